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
- A member's request for the playlist or a segment reaches any web process, which checks it as always
  (lms.live.video_routes.hls). If the lesson's origin is another host, the answer is an empty response
  with `X-Accel-Redirect: /_live_origin/<origin>/<stream_path>/<file>`: the web host's nginx
  (deploy/nginx/live-origin-route.conf, an `internal` location) fetches the file from the origin and
  sends it. The app never moves the bytes.
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
_ORIGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,250}[A-Za-z0-9])?(?::\d{1,5})?$")
#: the most segments a replay fetches (6 hours of 1 s segments, and some)
MAX_SEGMENTS = 6 * 3600 + 600


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
