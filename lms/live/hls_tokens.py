"""Live segments without a database query: the playlist request is checked in full (member of the circle,
not removed from the lesson, lesson on air) and writes into every segment URI of the playlist it answers a
short-lived signed token; a segment request checks that token alone and is served (or handed to nginx).

Why: a viewer's player asks for the playlist and a new segment about once a second each; checking both in
full cost 4 queries and ~4 ms CPU a request (scripts/bench/live_hls), ~41 cores and 40,000 queries/s for
5,000 viewers. A segment now costs no query and a fraction of the CPU.

The token is signed as the app's other signed media URLs are (lms.uploads.access: itsdangerous's
URLSafeTimedSerializer keyed by the app's SECRET_KEY, its own salt). It carries the viewer's id, a digest
of the viewer's session token (the session cookie's, so another account's or a signed-out browser's
cookie does not match), the lesson's id, where its segments are (stream path, origin host) and, in its
timestamp, when it was made. A segment request is refused (404) when the token is missing, forged, older
than TOKEN_SECONDS, for another lesson, or the request's session is not the one it was made for.

Lifetime, TOKEN_SECONDS = 30 s: the player re-reads the playlist every target duration (1 s) and takes the
fresh token with it, so only a segment listed in a playlist fetched up to 30 s ago needs an old one: a slow
phone's fetch and hls.js's retries fit in it (2-3 target durations, 3 s, would cut a stalled viewer off
mid-retry). A member removed from the lesson or the circle gets no playlist from their next request on
and no segment once their last token is 30 s old: within 30 s + one playlist (README).
"""
from __future__ import annotations

import hashlib
import re

from flask import current_app, g, request, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.media.live import SEGMENT

#: seconds a segment token is accepted (see above); LMS_LIVE_SEGMENT_TOKEN_SECONDS overrides it
TOKEN_SECONDS = 30
#: the query parameter of a segment URI that carries the token
PARAM = "t"
_SALT = "live-segment-v1"
#: a segment URI line of a live playlist (our ingests name them 0.ts, 1.ts, …)
_SEGMENT_LINE = re.compile(rb"^(\d{1,9}\.ts)\r?$", re.M)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def lifetime() -> int:
    return int(current_app.config.get("LIVE_SEGMENT_TOKEN_SECONDS") or TOKEN_SECONDS)


def _session_digest() -> str:
    """A short digest of this request's session token (Flask-Login keeps it as `_user_id`): binds a token
    to the browser session it was made for without keeping the session token itself in a URL."""
    token = session.get("_user_id") or ""
    return hashlib.sha256(f"live-segment:{token}".encode()).hexdigest()[:16] if token else ""


def make(viewer_id: int, lesson, origin: str | None) -> str:
    """The token for `viewer_id`'s segment requests of `lesson` for the next TOKEN_SECONDS."""
    return _serializer().dumps([viewer_id, _session_digest(), lesson.id, lesson.stream_path, origin])


class Grant:
    __slots__ = ("viewer_id", "lesson_id", "stream_path", "origin")

    def __init__(self, viewer_id: int, lesson_id: int, stream_path: str, origin: str | None):
        self.viewer_id, self.lesson_id, self.stream_path, self.origin = viewer_id, lesson_id, stream_path, origin


def read(token: str | None, lesson_id: int) -> Grant | None:
    """What a segment request's token grants, if it is genuine, fresh, for `lesson_id` and made for this
    request's session; None otherwise. No database."""
    if not token or len(token) > 400:
        return None
    try:
        viewer_id, digest, for_lesson, stream_path, origin = _serializer().loads(token, max_age=lifetime())
    except (BadSignature, ValueError, TypeError):
        return None
    mine = _session_digest()
    if not mine or digest != mine or for_lesson != lesson_id or not isinstance(stream_path, str):
        return None
    return Grant(int(viewer_id), int(for_lesson), stream_path, origin if isinstance(origin, str) else None)


def sign_playlist(body: bytes, token: str) -> bytes:
    """`body` (a live playlist) with `?t=<token>` added to each segment URI."""
    suffix = f"?{PARAM}={token}".encode()
    return _SEGMENT_LINE.sub(lambda m: m.group(1) + suffix, body)


def is_segment_request() -> bool:
    """Whether this request is a live segment with a token (answered without the session's user)."""
    return (request.endpoint == "live.hls" and PARAM in request.args
            and bool(SEGMENT.match((request.view_args or {}).get("name", ""))))


def skip_user_loading() -> None:
    """First before-request hook: a segment request with a token never loads the session's user (the
    loader reads the session row: a query, 2 with its touch). The token stands for the user; the view
    reads the session cookie itself. Flask-Login then sees an anonymous user for this request only."""
    if is_segment_request():
        from lms.extensions import login_manager

        g._login_user = login_manager.anonymous_user()
