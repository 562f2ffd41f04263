"""Several hosts: a live lesson's segments stay on the disk of the host that ingests it (its *origin*) and
are fetched from there, as PeerTube serves a live from the server running it.

Why not object storage: a segment is written every second and read by every viewer within the next
second or two; putting each through S3 adds an upload (and a listing for the playlist) to the delay, and
a request to the bucket per viewer per second. Local files on the ingest host, read through nginx, add
a LAN hop of a millisecond. The replay, which is not live, goes to the storage as every video does.

How a request travels (README "Live lessons: several hosts"):

- Each ingest host (a Socket.IO process taking browser streams, or nginx-rtmp) sets LIVE_ORIGIN to the
  `host:port` where its nginx serves its LIVE_DIR to the other hosts (deploy/nginx/live-origin.conf,
  private network and a shared secret header, LIVE_ORIGIN_SECRET). Going live records it on the lesson
  (`LiveLesson.origin`; for RTMP nginx names its own origin in the callback URL, `?origin=host:port`).
- A member's request for the playlist reaches any web process, which checks it in full
  (lms.live.video_routes.hls); if the lesson's origin is another host the app reads the playlist (a few
  hundred bytes) from the origin itself, since it writes a token into its segment URIs
  (lms.live.hls_tokens). A segment request is checked by its token alone; if the lesson's origin is
  another host, the answer is an empty response with
  `X-Accel-Redirect: /_live_origin/<origin>/<stream_path>/<n>.ts`: the web host's nginx
  (deploy/nginx/circles.conf, an `internal` location) fetches the segment from the origin and sends it.
  The app never moves a segment's bytes.
- The replay job runs on any worker: when the segments are not on its disk it fetches them from the
  origin (`fetch_segments`) before joining them.

With LIVE_ORIGIN unset (one host, the default) nothing of this is used: segments are read from LIVE_DIR.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import current_app

from lms.media.live import PLAYLIST, SEGMENT

#: the internal location of deploy/nginx/live-origin-route.conf
ACCEL_PREFIX = "/_live_origin"
#: the path under which deploy/nginx/live-origin.conf serves LIVE_DIR on an ingest host
ORIGIN_PREFIX = "/live-origin"
#: the header carrying LIVE_ORIGIN_SECRET to the origin
SECRET_HEADER = "X-Live-Origin-Secret"
#: a host name or IPv4 address with an optional port: nothing that could change the URL's meaning
#: a stream path as live-origin.conf's location takes it
_STREAM = re.compile(r"^[A-Za-z0-9_-]+$")
_ORIGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,250}[A-Za-z0-9])?(?::\d{1,5})?$")
#: the most segments a replay fetches (6 hours of 1 s segments, and some)
MAX_SEGMENTS = 6 * 3600 + 600


#: values that are no secret: the placeholder earlier shipped configuration carried, and too short a value
_NOT_SECRETS = {"change-me", "changeme", "secret"}
MIN_SECRET_LENGTH = 16


def secret_problem(config) -> str | None:
    """Why a production host with LIVE_ORIGIN set may not start with its LIVE_ORIGIN_SECRET, or None.
    Checked at start-up (lms.live's registration), like the production checks of lms.config."""
    if config.get("ENV") != "production" or not config.get("LIVE_ORIGIN"):
        return None
    secret = str(config.get("LIVE_ORIGIN_SECRET") or "").strip()
    if not secret or secret.lower() in _NOT_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        return ("LMS_LIVE_ORIGIN is set but LMS_LIVE_ORIGIN_SECRET is "
                + ("empty" if not secret else "not a secret (a placeholder or shorter than 16 characters)")
                + ": generate one with `openssl rand -hex 32`, set it as LMS_LIVE_ORIGIN_SECRET on every host "
                "and in nginx's circles-live-origin-secret.conf (README \"Live lessons: several hosts\")")
    return None


def valid(origin: str | None) -> str | None:
    """`origin` if it is a plain host[:port], else None."""
    if origin and _ORIGIN.match(origin):
        return origin
    return None


def this_origin() -> str | None:
    """Where this host's LIVE_DIR is served to the other hosts (config LIVE_ORIGIN); None: one host."""
    return valid(current_app.config.get("LIVE_ORIGIN"))


def remote(lesson) -> str | None:
    """The lesson's origin when its segments are on another host than this one; None when they are here."""
    origin = valid(getattr(lesson, "origin", None))
    if origin is None or origin == this_origin():
        return None
    return origin


def accel_path(origin: str, lesson, name: str) -> str:
    """The internal path the web host's nginx fetches `name` of the lesson's folder from its origin by."""
    if name != PLAYLIST and not SEGMENT.match(name):
        raise ValueError(f"not a live file: {name!r}")
    return f"{ACCEL_PREFIX}/{origin}/{lesson.stream_path}/{name}"


def accel_segment_path(origin: str, stream_path: str, name: str) -> str:
    """accel_path for a segment request, which knows the lesson only by its token's stream path."""
    if not SEGMENT.match(name) or not _STREAM.match(stream_path or "") or valid(origin) is None:
        raise ValueError(f"not a live segment: {stream_path!r}/{name!r}")
    return f"{ACCEL_PREFIX}/{origin}/{stream_path}/{name}"


def fetch_playlist(origin: str, stream_path: str, timeout: float = 3) -> bytes:
    """The lesson's live playlist read from its origin (the app rewrites its segment URIs, so it reads the
    playlist, a few hundred bytes, itself; the segments still go through nginx). FileNotFoundError: none."""
    import requests

    if not _STREAM.match(stream_path or ""):
        raise FileNotFoundError(stream_path)
    headers = {SECRET_HEADER: str(current_app.config.get("LIVE_ORIGIN_SECRET") or "")}
    got = _http().get(f"http://{origin}{ORIGIN_PREFIX}/{stream_path}/{PLAYLIST}", headers=headers,
                      timeout=timeout)
    if got.status_code == 404:
        raise FileNotFoundError(stream_path)
    got.raise_for_status()
    return got.content


_SESSION = None


def _http():
    """One keep-alive requests session per process for the playlists read from origins."""
    global _SESSION
    if _SESSION is None:
        import requests

        _SESSION = requests.Session()
    return _SESSION


def origin_url(origin: str, lesson, name: str) -> str:
    return f"http://{origin}{ORIGIN_PREFIX}/{lesson.stream_path}/{name}"


def fetch_segments(lesson, folder: Path, timeout: float = 30) -> int:
    """Copy the lesson's segments 0.ts, 1.ts, … from its origin into `folder` (numbered without gaps: a
    resumed stream continues the numbering), until the origin has no next one. Returns how many."""
    import requests

    origin = valid(lesson.origin)
    if origin is None:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    headers = {SECRET_HEADER: str(current_app.config.get("LIVE_ORIGIN_SECRET") or "")}
    count = 0
    with requests.Session() as http:
        for number in range(MAX_SEGMENTS):
            name = f"{number}.ts"
            with http.get(origin_url(origin, lesson, name), headers=headers, timeout=timeout, stream=True) as got:
                if got.status_code == 404:
                    break
                got.raise_for_status()
                part = folder / f"{name}.part"
                with open(part, "wb") as out:
                    for chunk in got.iter_content(1 << 16):
                        out.write(chunk)
                part.replace(folder / name)
            count += 1
    return count
