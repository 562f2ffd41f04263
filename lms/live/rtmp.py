"""RTMP ingest through nginx-rtmp (deploy/nginx/rtmp.conf): what its callbacks decide.

nginx asks `on_publish` before it takes an encoder's stream, with form fields `app`, `name` (the stream
name: the lesson's stream_path) and the publish URL's arguments (`key`: the secret OBS sends after "?key=").
A lesson whose current key this is goes live with ingest "rtmp"; anything else is refused (nginx drops
the encoder on a non-2xx answer). `on_publish_done` fires when the encoder stops or its connection drops:
the lesson waits as "reconnecting" (OBS reconnects by itself), and ends when its grace period runs out or
a host ends it. `on_update` (every 10 s while publishing) drops an encoder whose lesson has ended or whose
key was replaced. nginx writes the HLS into LIVE_DIR/<stream_path>/, the layout of the browser ingest.

The callbacks are for nginx only: from a loopback address, or anywhere with LIVE_RTMP_CALLBACK_SECRET as
the `secret` argument of the callback URL (nginx on another host).
"""
from __future__ import annotations

import hmac
import ipaddress
import logging

import sqlalchemy as sa
from flask import current_app

from lms.extensions import db
from lms.live import ingest
from lms.live import origin as live_origin
from lms.live.models import IngestKind, LessonState, LiveLesson

log = logging.getLogger(__name__)

#: the nginx-rtmp application name of deploy/nginx/rtmp.conf (OBS's server URL ends with it)
APPLICATION = "live"


def _operations():
    from lms.live import operations

    return operations


def caller_allowed(remote_addr: str | None, secret: str | None) -> bool:
    """Whether a callback comes from our nginx: the configured shared secret, else a loopback address."""
    configured = current_app.config.get("LIVE_RTMP_CALLBACK_SECRET")
    if configured:
        return bool(secret) and hmac.compare_digest(str(secret), str(configured))
    try:
        return ipaddress.ip_address((remote_addr or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def publish(app_name: str | None, name: str | None, key: str | None,
            origin: str | None = None) -> LiveLesson | None:
    """An encoder asks to publish `name` with `key`: the lesson, now live (flushed), or None to refuse
    (unknown application, wrong or regenerated key, lesson over, or the host is broadcasting from the
    browser right now). `origin`: where that nginx serves its hls_path to the other hosts (host:port, named
    in its callback URL; lms.live.origin), None when nginx-rtmp writes the app's own LIVE_DIR."""
    if app_name not in (None, "", APPLICATION):
        return None
    ops = _operations()
    lesson = ops.check_stream_key(name, key)
    if lesson is None:
        log.info("RTMP publish refused for stream %r: wrong, old or missing key", name)
        return None
    if lesson.state == LessonState.live and lesson.ingest == IngestKind.browser and ingest.get(lesson.id):
        log.info("RTMP publish refused for lesson %s: the browser is broadcasting it", lesson.id)
        return None
    lesson.origin = live_origin.valid(origin)
    try:
        ops.go_live(lesson, IngestKind.rtmp, None)
    except ops.LiveError:
        return None
    if lesson.origin is None:  # nginx-rtmp writes this host's LIVE_DIR
        ingest.lesson_folder(lesson).mkdir(parents=True, exist_ok=True)
    return lesson


def still_allowed(name: str | None, key: str | None) -> bool:
    """nginx's periodic on_update for a stream being published: go on only while the key is still the
    lesson's current one and the lesson is on air. Ending the lesson (its key is cleared) or making a new
    key (a leaked one) thus drops the encoder within notify_update_timeout."""
    lesson = _operations().check_stream_key(name, key)
    return lesson is not None and lesson.is_on_air


def publish_done(name: str | None) -> LiveLesson | None:
    """The encoder stopped: a live RTMP lesson waits as reconnecting (flushed). Returns the lesson, if any."""
    if not name:
        return None
    lesson = db.session.scalar(sa.select(LiveLesson).where(LiveLesson.stream_path == name))
    if lesson is None:
        return None
    if lesson.state == LessonState.live and lesson.ingest == IngestKind.rtmp:
        _operations().mark_reconnecting(lesson)
    return lesson
