"""Background jobs: process an uploaded video or clean an uploaded image file, sweep up after dead
workers, delete abandoned uploads."""
from __future__ import annotations

import logging
import posixpath
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from lms import media as media_lib
from lms.core.images import CleanImage, ImageRejected, clean_stored_image
from lms.core.types import utcnow
from lms.media.validate import sniff as sniff_video
from lms.extensions import db
from lms.storage import get_storage
from lms.uploads import operations as ops
from lms.uploads.models import Media, MediaKind, MediaState

log = logging.getLogger(__name__)


def process_media(media_id: int) -> None:
    """Validate, transcode, make a poster (and HLS for long videos) of media item `media_id`.

    Safe to run twice or concurrently: only the worker that claims the item works on it. A file that
    is not acceptable fails for good with its reason; a crash or timeout is retried with back-off up
    to MEDIA_MAX_ATTEMPTS; a worker killed mid-job is noticed by `sweep_media` through its heartbeat.
    """
    attempt = ops.claim_media(media_id)
    db.session.commit()
    if attempt is None:
        return
    media = db.session.get(Media, media_id)
    app = current_app._get_current_object()
    with _Heartbeat(app, media_id, attempt):
        try:
            if media.kind == MediaKind.file:
                cleaned = _clean_file(media)
            else:
                made = _pipeline(media, attempt)
        except ops.Superseded:
            db.session.rollback()
            log.warning("media %s was taken over by another worker", media_id)
            return
        except (media_lib.MediaRejected, ImageRejected) as rejected:
            db.session.rollback()
            log.info("media %s rejected: %s", media_id, rejected)
            ops.fail_media(db.session.get(Media, media_id), rejected.code, rejected.params)
            db.session.commit()
            return
        except Exception:
            db.session.rollback()
            log.exception("processing media %s failed (attempt %s)", media_id, attempt)
            try:
                ops.retry_later(db.session.get(Media, media_id), attempt)
                db.session.commit()
            except ops.Superseded:
                db.session.rollback()
            return
    try:
        if media.kind == MediaKind.file:
            size, width, height = cleaned
            ops.mark_cleaned(media, attempt, size=size, width=width, height=height)
        else:
            ops.mark_ready(media, attempt, **made.__dict__)
        db.session.commit()
    except ops.Superseded:
        db.session.rollback()


@dataclass
class _Made:
    mp4_key: str
    poster_key: str | None
    hls_prefix: str | None
    duration: float | None
    width: int | None
    height: int | None


def _pipeline(media: Media, attempt: int) -> _Made:
    config = current_app.config
    storage = get_storage()
    prefix = posixpath.dirname(media.original_key)
    limits = media_lib.Limits(max_bytes=config["MAX_UPLOAD_BYTES"],
                              max_seconds=media.max_seconds or config["MAX_VIDEO_SECONDS"])
    with storage.local_path(media.original_key) as src, \
            tempfile.TemporaryDirectory(prefix="lms-media-", dir=config.get("MEDIA_WORK_DIR")) as tmp:
        # Everything but the full decode; the transcode's own decode finishes the validation (one
        # pass over the file instead of two), rejecting a truncated or damaged file as validate would.
        try:
            info = media_lib.validate(src, limits, decode=False)
            ops.update_processing(media, attempt, state=MediaState.processing, progress=0)
            db.session.commit()

            made = media_lib.make_renditions(src, Path(tmp), duration=info.duration, max_seconds=limits.max_seconds,
                                             hls_min_seconds=config["MEDIA_HLS_MIN_SECONDS"],
                                             progress=_progress_reporter(media, attempt), info=info, limits=limits)
        except media_lib.MediaRejected as rejected:
            if rejected.code in STRIP_REJECTED:
                try:
                    _strip_original(media, src, Path(tmp))
                except media_lib.FFmpegError:  # the rejection stands; say why the original is as received
                    log.exception("could not strip the metadata of rejected media %s", media.id)
            raise
        hls_prefix = None
        if made.hls_playlist is not None:
            hls_prefix = f"{prefix}/hls"
            for path in sorted(made.hls_playlist.parent.iterdir()):
                kind = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else "video/mp2t"
                storage.put_file(f"{hls_prefix}/{path.name}", path, kind)
        storage.put_file(f"{prefix}/poster.jpg", made.poster, "image/jpeg")
        storage.put_file(f"{prefix}/video.mp4", made.mp4, "video/mp4")
        _strip_original(media, src, Path(tmp))
        return _Made(mp4_key=f"{prefix}/video.mp4", poster_key=f"{prefix}/poster.jpg", hls_prefix=hls_prefix,
                     duration=made.duration, width=made.width, height=made.height)


#: Rejections of whole, sound videos (a limit, not the file, refused them): their originals are
#: stripped too. A cut or damaged file is kept as received: its remux would be another, playable file,
#: and a later retry must judge the upload itself.
STRIP_REJECTED = frozenset({"too_long", "too_large_dimensions", "too_many_streams"})


def _strip_original(media: Media, src: Path, tmp: Path) -> None:
    """Replace the stored original with its copy without location and device metadata
    (media.strip_metadata: the same streams, bit for bit). Teachers download originals: a phone's
    GPS position and device name must not travel with them, and nobody needs them; like an image
    attachment's, no copy with the metadata is kept. Raises FFmpegError when the remux fails (the
    job is retried, and fails for good rather than leave the metadata to others)."""
    stripped = tmp / "original-stripped"
    media_lib.strip_metadata(src, stripped)
    get_storage().put_file(media.original_key, stripped)


def _clean_file(media: Media) -> tuple[int, int | None, int | None]:
    """A file handed in as an attachment (see operations._finish), before the item is ready: an image
    is replaced by its copy made from the pixels alone (lms.core.images.clean_image: no GPS position,
    device, thumbnail); a video (MP4/MOV/WebM) by its copy without location and device metadata
    (media.strip_metadata). Its owner gets the cleaned copy too; no copy with the metadata is kept.
    Other documents, and videos ffmpeg cannot remux, stay as received. Returns the stored size and,
    for an image, its width and height. Raises ImageRejected."""
    cleaned = clean_stored_image(media.original_key)
    if cleaned is not None:
        return cleaned.bytes, cleaned.width, cleaned.height
    size = strip_stored_video(media.original_key)
    return (media.bytes if size is None else size), None, None


def strip_stored_video(key: str) -> int | None:
    """Replace the stored object `key`, when its bytes are an MP4/MOV/Matroska video ffmpeg can remux,
    by its copy without location and device metadata (media.strip_metadata); return the new size, or
    None when it is left as it is (another kind of file, or one ffmpeg cannot remux). Running it
    again changes nothing that matters. Raises FileNotFoundError, FFmpegTimeout."""
    storage = get_storage()
    head = b"".join(storage.iter_range(key, 0, 4095))
    if not head or sniff_video(head) is not None:  # only what looks like MP4/MOV/Matroska reaches ffmpeg
        return None
    with storage.local_path(key) as src, \
            tempfile.TemporaryDirectory(prefix="lms-media-", dir=current_app.config.get("MEDIA_WORK_DIR")) as tmp:
        stripped = Path(tmp) / "stripped"
        try:
            media_lib.strip_metadata(src, stripped)
        except media_lib.FFmpegTimeout:
            raise
        except media_lib.FFmpegError as error:
            log.info("%s kept as received, not a video ffmpeg can remux: %s", key, error)
            return None
        return storage.put_file(key, stripped)


def _progress_reporter(media: Media, attempt: int):
    """Record transcoding progress at most once a second (each one also a heartbeat and a push)."""
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if fraction < 1 and now - last[0] < 1:
            return
        last[0] = now
        ops.update_processing(media, attempt, progress=round(fraction * 100))
        db.session.commit()

    return report


class _Heartbeat:
    """While a job holds an item, a thread refreshes its `heartbeat_at` (the decode check and HLS give
    no progress of their own); if the process dies, the heartbeat stops and the sweep takes over."""

    def __init__(self, app, media_id: int, attempt: int):
        self.app = app
        self.media_id = media_id
        self.attempt = attempt
        self.interval = app.config["MEDIA_HEARTBEAT_SECONDS"]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{media_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        from lms.uploads.models import WORKING_STATES

        with self.app.app_context():
            while not self.stop.wait(self.interval):
                try:
                    db.session.execute(
                        db.update(Media)
                        .where(Media.id == self.media_id, Media.attempts == self.attempt,
                               Media.state.in_(WORKING_STATES))
                        .values(heartbeat_at=utcnow()).execution_options(synchronize_session=False))
                    db.session.commit()
                except Exception:  # a missed beat is not fatal; the next one may succeed
                    db.session.rollback()
                    log.exception("heartbeat of media %s failed", self.media_id)
            db.session.remove()


def sweep_media() -> None:
    """Periodic: re-queue items whose worker died or whose job was lost; fail those out of attempts."""
    requeued, failed = ops.sweep_media()
    if requeued or failed:
        log.info("media sweep: %d re-queued, %d failed for good", requeued, failed)


def cleanup_uploads() -> None:
    """Periodic: delete uploads that were started and never finished (UPLOAD_EXPIRY_HOURS)."""
    count = ops.expire_uploads()
    if count:
        log.info("deleted %d abandoned uploads", count)
