"""The replay: when a lesson ends, its recording (the live segments, joined) becomes a video in the circle.

`queue_replay` (called by operations.end_lesson) marks the lesson's replay "processing" and queues
`make_replay` on the media queue. The job joins the segments (MPEG-TS, made to be concatenated),
remuxes them by stream copy into a faststart MP4, a poster and VOD HLS (lms.media.live: no
re-encoding, so an hour-long lesson takes about a minute, well within the 10 minutes asked; the
video was already H.264/AAC when it went out live), stores them like any processed upload and creates
a ready Media item owned by the lesson's author. Members watch it on the lesson page (the chat and
questions scroll in step, by LiveMessage.offset_seconds); staff may download the MP4. A failure marks
the replay "failed" and keeps the segments (`make_replay(lesson_id)` may be run again).

Who may fetch the replay's files is asked on every request (media subject "live_replay").
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from lms.accounts.models import User
from lms.circles.models import Membership
from lms.core.realtime import emit_to_room
from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import Queue, enqueue_after_commit
from lms.live import ingest, origin
from lms.live.models import LessonState, LiveLesson, LiveMessage, ReplayView
from lms.media import FFmpegError
from lms.media import live as live_media
from lms.storage import get_storage, new_key
from lms.uploads.access import Rendition, register_subject
from lms.uploads.models import Media, MediaKind, MediaState

log = logging.getLogger(__name__)

PROCESSING, READY, FAILED = "processing", "ready", "failed"
TASK = "lms.live.replay:make_replay"
SUBJECT = "live_replay"
#: the job waits until the ingest has written nothing for this long (its last segments) …
QUIET_SECONDS = 2.0
#: … but no longer than this
QUIET_WAIT_MAX = 30.0


def queue_replay(lesson: LiveLesson) -> None:
    """Mark the replay processing and make it after the commit (flush only). Called when a lesson ends."""
    if lesson.went_live_at is None or lesson.replay_state in (PROCESSING, READY):
        return
    lesson.replay_state = PROCESSING
    db.session.flush()
    enqueue_after_commit(TASK, lesson.id, queue=Queue.media)


def _wait_quiet(folder) -> None:
    """Let a stream that is still finishing (its ffmpeg writing the last segments) settle."""
    deadline = time.monotonic() + QUIET_WAIT_MAX
    while time.monotonic() < deadline:
        try:
            newest = max((e.stat().st_mtime for e in os.scandir(folder)), default=0)
        except FileNotFoundError:
            return
        if time.time() - newest >= QUIET_SECONDS:
            return
        time.sleep(0.5)


def make_replay(lesson_id: int) -> None:
    """The job: the lesson's segments → a ready Media item as its replay (see the module's text)."""
    from lms.uploads.tasks import work_folder

    lesson = db.session.get(LiveLesson, lesson_id)
    if lesson is None or lesson.state != LessonState.ended or lesson.replay_state == READY:
        return
    folder = ingest.lesson_folder(lesson)
    ingest.finish(lesson.id)  # a browser stream of this process still open (ended from the lesson page)
    elsewhere = origin.remote(lesson)
    if elsewhere is not None:  # another host ingested it: its segments come from there (lms.live.origin)
        folder = _fetch_from_origin(lesson)
    else:
        _wait_quiet(folder)
    parts = live_media.segments(folder) if folder.is_dir() else []
    if not parts:
        log.warning("live lesson %s ended without any recorded video", lesson_id)
        lesson.replay_state = FAILED
        _push(lesson)
        db.session.commit()
        return
    storage = get_storage()
    prefix = new_key("media")
    try:
        with work_folder(f"replay-{lesson_id}") as work:
            recording = work / "recording.ts"
            live_media.join_segments(parts, recording)
            made = live_media.replay_renditions(recording, work / "made")
            for path in sorted(made.hls_playlist.parent.iterdir()):
                kind = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else "video/mp2t"
                storage.put_file(f"{prefix}/hls/{path.name}", path, kind)
            storage.put_file(f"{prefix}/poster.jpg", made.poster, "image/jpeg")
            size = storage.move_in(f"{prefix}/video.mp4", made.mp4, "video/mp4")
    except (FFmpegError, OSError):
        log.exception("the replay of live lesson %s could not be made", lesson_id)
        db.session.rollback()
        lesson = db.session.get(LiveLesson, lesson_id)
        lesson.replay_state = FAILED
        _push(lesson)
        db.session.commit()
        return
    now = utcnow()
    owner_id = lesson.created_by_id or _any_host_id(lesson)
    media = Media(owner_id=owner_id, circle_id=lesson.circle_id, kind=MediaKind.video, state=MediaState.ready,
                  filename=f"{lesson.title[:240]}.mp4", bytes=size, original_key=f"{prefix}/video.mp4",
                  mp4_key=f"{prefix}/video.mp4", poster_key=f"{prefix}/poster.jpg", hls_prefix=f"{prefix}/hls",
                  duration=made.duration, width=made.width, height=made.height, progress=100,
                  received_at=now, ready_at=now)
    db.session.add(media)
    db.session.flush()
    lesson.replay_media_id = media.id
    lesson.replay_state = READY
    _push(lesson)
    db.session.commit()
    shutil.rmtree(folder, ignore_errors=True)  # the replay holds it all now
    log.info("replay of live lesson %s ready: media %s, %.0f s", lesson_id, media.id, made.duration)


def _fetch_from_origin(lesson: LiveLesson) -> Path:
    """The segments of a lesson ingested on another host, copied into a folder of this worker's LIVE_DIR
    (removed with the replay made, as a local folder is); the origin's own folder is left to that host's
    clean-up (README "Live lessons: several hosts"). Waits as _wait_quiet does, on the origin's playlist."""
    folder = ingest.live_root() / ".fetched" / lesson.stream_path
    time.sleep(QUIET_SECONDS)  # the origin's ffmpeg or nginx writes its last segments
    try:
        origin.fetch_segments(lesson, folder)
    except Exception:  # noqa: BLE001 - the origin is down or refuses: the replay fails, the segments stay there
        log.exception("the segments of live lesson %s could not be fetched from %s", lesson.id, lesson.origin)
    return folder


def _any_host_id(lesson: LiveLesson) -> int:
    return db.session.scalar(sa.select(Membership.user_id).where(
        Membership.circle_id == lesson.circle_id, Membership.role == "owner").limit(1))


def _push(lesson: LiveLesson) -> None:
    from lms.live.notifications import NAMESPACE, room_name

    emit_to_room(room_name(lesson.id), "replay_state", {"lesson_id": lesson.id, "state": lesson.replay_state},
                 namespace=NAMESPACE)


# -- who may fetch the replay's files --------------------------------------------------------------

def _may_fetch(viewer: User, lesson_id: int | None, media: Media, rendition: Rendition) -> bool:
    lesson = db.session.get(LiveLesson, lesson_id) if lesson_id is not None else None
    if lesson is None or lesson.replay_media_id != media.id or not lesson.can_view(viewer):
        return False
    if rendition in (Rendition.original, Rendition.file):
        return lesson.is_staff(viewer)  # the MP4 download: staff only
    return rendition in (Rendition.mp4, Rendition.hls, Rendition.poster, Rendition.state)


def register(app: Flask) -> None:
    register_subject(app, SUBJECT, _may_fetch)


# -- what the replay page shows and records ---------------------------------------------------------

def replay_messages(lesson: LiveLesson) -> list[dict]:
    """The lesson's chat and questions (not deleted) in the order of the video, with each author's circle
    name: what scrolls beside the replay. One query."""
    rows = db.session.execute(
        sa.select(LiveMessage, Membership.display_name)
        .outerjoin(Membership, sa.and_(Membership.circle_id == lesson.circle_id,
                                       Membership.user_id == LiveMessage.user_id))
        .where(LiveMessage.lesson_id == lesson.id, LiveMessage.deleted_at.is_(None))
        .order_by(sa.func.coalesce(LiveMessage.offset_seconds, 0), LiveMessage.id))
    return [{"id": m.id, "kind": m.kind, "body": m.body, "at": max(0.0, m.offset_seconds or 0.0),
             "author": name or "", "answered": m.answered_at is not None, "pinned": m.pinned_at is not None}
            for m, name in rows]


def merge_ranges(ranges, limit: float | None = None) -> list[list[float]]:
    """Sorted, overlapping or touching ranges joined; each clipped to [0, limit]; empty ones dropped."""
    cleaned = []
    for start, end in ranges:
        start, end = max(0.0, float(start)), float(end)
        if limit:
            end = min(end, float(limit))
        if end > start:
            cleaned.append([start, end])
    cleaned.sort()
    merged: list[list[float]] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1] + 0.5:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [[round(s, 1), round(e, 1)] for s, e in merged]


def record_view(lesson: LiveLesson, user: User, ranges, *, duration: float,
                now: datetime | None = None) -> ReplayView:
    """Add the ranges `user` just played to their ReplayView of `lesson` (created at the first report)."""
    view = db.session.scalar(sa.select(ReplayView).where(ReplayView.lesson_id == lesson.id,
                                                         ReplayView.user_id == user.id))
    if view is None:
        view = ReplayView(lesson_id=lesson.id, user_id=user.id, watched=[], seconds_watched=0.0)
        db.session.add(view)
    merged = merge_ranges([*(view.watched or []), *ranges], limit=duration or None)
    view.watched = merged
    view.seconds_watched = round(sum(e - s for s, e in merged), 1)
    view.last_at = now or utcnow()
    db.session.flush()
    return view


def replay_context(lesson: LiveLesson) -> dict:
    """What templates/live/_player.html needs for an ended lesson (a template global)."""
    if lesson.replay_state != READY or lesson.replay_media is None:
        return {}
    from lms.uploads.queries import media_urls

    return {"media": lesson.replay_media, "urls": media_urls(lesson.replay_media, (SUBJECT, lesson.id)),
            "messages": replay_messages(lesson)}

