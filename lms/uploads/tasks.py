"""Background jobs: process an uploaded video or clean an uploaded image file, sweep up after dead
workers, delete abandoned uploads."""
from __future__ import annotations

import logging
import os
import posixpath
import re
import secrets
import shutil
import socket
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app

from lms import media as media_lib
from lms.core.images import CleanImage, ImageRejected, clean_stored_image
from lms.core.types import utcnow
from lms.media.audio import sniff_audio, transcode_audio, validate_audio
from lms.media.validate import sniff as sniff_video
from lms.extensions import db
from lms.jobs import Queue, Task, after_commit, enqueue_after_commit
from lms.storage import get_storage
from lms.uploads import operations as ops
from lms.uploads.models import Media, MediaKind, MediaState

log = logging.getLogger(__name__)


def process_media(media_id: int) -> None:
    """Validate, transcode, make a poster (and HLS for long videos) of media item `media_id`.

    Safe to run twice or concurrently: only the worker that claims the item works on it. A file that
    is not acceptable fails for good with its reason; a crash or timeout is retried with back-off up
    to MEDIA_MAX_ATTEMPTS; a worker killed mid-job is noticed by `sweep_media` through its heartbeat.
    Every temporary file is in one work folder of this job (`work_folder`), removed when it ends and,
    if this process is killed, by the next sweep on this host.
    """
    _sweep_quietly()  # what a worker killed on this host left behind, before adding more
    attempt = ops.claim_media(media_id)
    db.session.commit()
    if attempt is None:
        return
    media = db.session.get(Media, media_id)
    app = current_app._get_current_object()
    with _Heartbeat(app, media_id, attempt), work_folder(f"{media_id}-{attempt}") as work:
        try:
            if media.kind == MediaKind.file:
                cleaned = _clean_file(media, work)
            else:
                made = _pipeline(media, attempt, work)
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
            fields = dict(made.__dict__)
            if fields.pop("standard_later"):
                # Ready now with the copy of the phone's video; the lighter standard rendition follows
                # when nothing more urgent is queued (make_standard_rendition).
                enqueue_after_commit(Task.make_standard_rendition, media_id, queue=Queue.later)
            ops.mark_ready(media, attempt, **fields)
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
    #: the web video is a copy heavier than the standard rendition, which is to be made later
    standard_later: bool = False


def _pipeline(media: Media, attempt: int, work: Path) -> _Made:
    config = current_app.config
    storage = get_storage()
    prefix = posixpath.dirname(media.original_key)
    limits = media_lib.Limits(max_bytes=config["MAX_UPLOAD_BYTES"],
                              max_seconds=media.max_seconds or config["MAX_VIDEO_SECONDS"])
    tmp = work / "made"
    with storage.local_path(media.original_key, dir=work) as src:
        if media.accepts_audio and _sound_only(src):
            return _sound_pipeline(media, attempt, src, limits, work)
        # Everything but the full decode; the transcode's own decode (or, for a video browsers play as
        # it is, the stream copy's read) finishes the validation (one pass over the file instead of
        # two), rejecting a truncated or damaged file as validate would.
        try:
            info = media_lib.validate(src, limits, decode=False)
            ops.update_processing(media, attempt, state=MediaState.processing, progress=0)
            db.session.commit()

            made = media_lib.make_renditions(src, tmp, duration=info.duration, max_seconds=limits.max_seconds,
                                             hls_min_seconds=config["MEDIA_HLS_MIN_SECONDS"],
                                             progress=_progress_reporter(media, attempt), info=info, limits=limits)
        except media_lib.MediaRejected as rejected:
            if rejected.code in STRIP_REJECTED:
                try:
                    _strip_original(media, src, work)
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
        _strip_original(media, src, work)
        return _Made(mp4_key=f"{prefix}/video.mp4", poster_key=f"{prefix}/poster.jpg", hls_prefix=hls_prefix,
                     duration=made.duration, width=made.width, height=made.height,
                     standard_later=made.heavier_than_standard)


#: ffmpeg's niceness for the standard rendition made after a video is ready: the lowest, below the
#: processing that makes other videos ready (FFMPEG_NICE, 10) and far below the web processes.
STANDARD_NICENESS = 19


def make_standard_rendition(media_id: int) -> None:
    """Low priority (Queue.later): give a ready video whose web video is a copy of the phone's, heavier
    than the standard rendition (above 720p or ~3.5 Mbit/s), the standard 720p encode (and HLS if it
    has HLS), and put it in the copy's place in one update: the same URLs now serve it. Pages signed
    before keep the copy they may be playing (routes._served_key) until the sweep deletes it, when
    their URLs have expired (`drop_replaced_renditions`). Nothing is shown to anyone; a failure leaves
    the copy, which plays, and is only logged. Safe to run twice: only the first swap counts."""
    media = db.session.get(Media, media_id)
    if (media is None or media.state != MediaState.ready or media.kind != MediaKind.video or not media.mp4_key
            or media.replaced_at is not None or not media.original_key):
        return
    heavy_key, heavy_hls = media.mp4_key, media.hls_prefix
    folder = f"{posixpath.dirname(media.original_key)}/standard-{secrets.token_hex(4)}"
    db.session.rollback()  # no transaction held open through the encode
    storage = get_storage()
    stored: list[str] = []
    try:
        with work_folder(f"{media_id}-standard") as work, storage.local_path(heavy_key, dir=work) as src:
            made = media_lib.standard_rendition(src, work / "standard", with_hls=heavy_hls is not None,
                                                niceness=STANDARD_NICENESS)
            hls_prefix = None
            if made.hls_playlist is not None:
                hls_prefix = f"{folder}/hls"
                for path in sorted(made.hls_playlist.parent.iterdir()):
                    kind = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else "video/mp2t"
                    storage.put_file(f"{hls_prefix}/{path.name}", path, kind)
                    stored.append(f"{hls_prefix}/{path.name}")
            storage.put_file(f"{folder}/video.mp4", made.mp4, "video/mp4")
            stored.append(f"{folder}/video.mp4")
        swapped = db.session.execute(
            db.update(Media)
            .where(Media.id == media_id, Media.state == MediaState.ready, Media.mp4_key == heavy_key,
                   Media.replaced_at.is_(None))
            .values(mp4_key=f"{folder}/video.mp4", hls_prefix=hls_prefix, previous_mp4_key=heavy_key,
                    previous_hls_prefix=heavy_hls, replaced_at=utcnow(), width=made.width, height=made.height)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("the standard rendition of media %s failed; its copy stays", media_id)
        swapped = 0
    if not swapped:  # deleted, reprocessed or already replaced meanwhile: what was stored is nobody's
        for key in stored:
            storage.delete(key)
        return
    log.info("media %s: the standard rendition replaced the copy", media_id)


def drop_replaced_renditions(now=None, batch: int = 200) -> int:
    """Delete the copies standard renditions replaced once no page signed before can fetch them
    (MEDIA_URL_MAX_AGE after, plus a minute); return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["MEDIA_URL_MAX_AGE"] + 60)
    rows = db.session.scalars(
        db.select(Media).where(Media.replaced_at < cutoff, Media.previous_mp4_key.is_not(None)).limit(batch)).all()
    storage = get_storage()
    for media in rows:
        mp4, hls = media.previous_mp4_key, media.previous_hls_prefix
        media.previous_mp4_key = media.previous_hls_prefix = None
        after_commit(lambda mp4=mp4: storage.delete(mp4))
        if hls:
            after_commit(lambda hls=hls: storage.delete_prefix(hls))
    db.session.commit()
    return len(rows)


def _sound_only(src: Path) -> bool:
    """Whether the file at `src` is sound without a picture: an MP3, Ogg, FLAC, WAV or M4A file, or an
    MP4/Matroska file whose streams are sound only."""
    with open(src, "rb") as f:
        head = f.read(4096)
    if sniff_audio(head):
        return True
    if sniff_video(head) is not None:
        return False
    try:
        info = media_lib.probe(src)
    except media_lib.FFmpegError:
        return False
    return info.video_streams == 0 and info.audio_streams > 0


def _sound_pipeline(media: Media, attempt: int, src: Path, limits: media_lib.Limits, work: Path) -> _Made:
    """A sound file accepted for playing in the page (media.accepts_audio): validated, then transcoded to
    AAC in MP4, stored as the item's MP4 (no poster, no HLS). The original stays as it is (it is a
    copy of a file its viewers may download anyway)."""
    info = validate_audio(src, limits)
    ops.update_processing(media, attempt, state=MediaState.processing, progress=0)
    db.session.commit()
    made = work / "sound.mp4"
    result = transcode_audio(src, made, limits=limits, info=info, progress=_progress_reporter(media, attempt))
    key = f"{posixpath.dirname(media.original_key)}/video.mp4"
    get_storage().put_file(key, made, "video/mp4")
    return _Made(mp4_key=key, poster_key=None, hls_prefix=None, duration=result.duration, width=None, height=None)


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


def _clean_file(media: Media, work: Path) -> tuple[int, int | None, int | None]:
    """A file handed in as an attachment (see operations._finish), before the item is ready: an image
    is replaced by its copy made from the pixels alone (lms.core.images.clean_image: no GPS position,
    device, thumbnail); a video (MP4/MOV/WebM) by its copy without location and device metadata
    (media.strip_metadata). Its owner gets the cleaned copy too; no copy with the metadata is kept.
    Other documents, and videos ffmpeg cannot remux, stay as received. Returns the stored size and,
    for an image, its width and height. Raises ImageRejected."""
    cleaned = clean_stored_image(media.original_key, work)
    if cleaned is not None:
        return cleaned.bytes, cleaned.width, cleaned.height
    size = strip_stored_video(media.original_key, work)
    return (media.bytes if size is None else size), None, None


def strip_stored_video(key: str, work: Path | None = None) -> int | None:
    """Replace the stored object `key`, when its bytes are an MP4/MOV/Matroska video ffmpeg can remux,
    by its copy without location and device metadata (media.strip_metadata); return the new size, or
    None when it is left as it is (another kind of file, or one ffmpeg cannot remux). Temporary files
    go into `work` (a job's folder), else into a work folder of its own. Running it again changes
    nothing that matters. Raises FileNotFoundError, FFmpegTimeout."""
    storage = get_storage()
    head = b"".join(storage.iter_range(key, 0, 4095))
    if not head or sniff_video(head) is not None:  # only what looks like MP4/MOV/Matroska reaches ffmpeg
        return None
    if work is None:
        with work_folder(f"strip-{secrets.token_hex(4)}") as own:
            return strip_stored_video(key, own)
    with storage.local_path(key, dir=work) as src:
        stripped = work / f"stripped-{secrets.token_hex(4)}"
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


# -- work folders ------------------------------------------------------------------------------

#: Every job's temporary files live in a folder of its own below this one, inside MEDIA_WORK_DIR
#: (default: the system temporary folder): "<what>-<pid>@<host>", e.g. "42-2-1234@worker-1".
WORK_FOLDERS = "circles-media"
_HOST = re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname())[:64] or "localhost"
_OWNER = re.compile(r"^.+-(?P<pid>\d+)@(?P<host>[A-Za-z0-9._-]+)$")


def work_root() -> Path:
    """The folder holding every job's work folder on this host."""
    return Path(current_app.config.get("MEDIA_WORK_DIR") or tempfile.gettempdir()) / WORK_FOLDERS


class work_folder:  # noqa: N801 - used like tempfile.TemporaryDirectory
    """A fresh folder for one job's temporary files (`with work_folder("42-2") as path:`), removed
    when the block ends however it ends. A thread touches it every MEDIA_HEARTBEAT_SECONDS while
    the block runs, so `sweep_work_folders` can tell a live job's folder (its process alive and its
    folder fresh) from one a killed worker left behind."""

    def __init__(self, label: str):
        self.path = work_root() / f"{label}-{os.getpid()}@{_HOST}"
        self.every = current_app.config["MEDIA_HEARTBEAT_SECONDS"]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._touch, name=f"work-{label}", daemon=True)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(self.path.parent):
            raise RuntimeError(f"{self.path.parent} is not a folder of this user only (a link, another owner, or "
                               f"writable by others): remove it, or set MEDIA_WORK_DIR")
        if self.path.exists():  # left by an earlier process with our pid (a restarted container)
            shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(mode=0o700)
        self.thread.start()
        return self.path

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        shutil.rmtree(self.path, ignore_errors=True)

    def _touch(self) -> None:
        while not self.stop.wait(self.every):
            try:
                os.utime(self.path)
            except OSError:  # removed under us: the job ends with its own error when it writes there
                return


def sweep_work_folders(now: float | None = None) -> int:
    """Remove the work folders that jobs killed on this host left behind: those of a process of this
    host that no longer runs, and any not touched for MEDIA_STALE_SECONDS (its job's keeper stopped:
    the process is gone, or its pid now belongs to another one). A live job's folder stays. Returns
    how many were removed."""
    root = work_root()
    stale = current_app.config["MEDIA_STALE_SECONDS"]
    now = time.time() if now is None else now
    if not _private(root):  # missing, or not ours to clean (work_folder refuses to use it too)
        return 0
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    removed = 0
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:  # its job just ended
            continue
        owner = _OWNER.match(entry.name)
        dead = owner is not None and owner["host"] == _HOST and not _pid_alive(int(owner["pid"]))
        if dead or age > stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
            log.info("removed the work folder %s left by a job that died", entry.path)
    return removed


def _private(folder: Path) -> bool:
    """Whether `folder` is a real folder (not a link) of this user that nobody else may write in: in a
    shared temporary folder another account could otherwise plant links where a job writes or the
    sweep deletes."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _pid_alive(pid: int) -> bool:
    """Whether process `pid` of this host still runs (a zombie waiting for its parent does not)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _sweep_quietly() -> None:
    try:
        sweep_work_folders()
    except Exception:  # never fail a job over another job's leftovers
        log.exception("sweeping the work folders failed")


def sweep_media() -> None:
    """Periodic: re-queue items whose worker died or whose job was lost; fail those out of attempts;
    delete web videos replaced by their standard rendition once no URL can reach them; remove the
    work folders of jobs killed on this host (`sweep_work_folders`)."""
    requeued, failed = ops.sweep_media()
    if requeued or failed:
        log.info("media sweep: %d re-queued, %d failed for good", requeued, failed)
    dropped = drop_replaced_renditions()
    if dropped:
        log.info("media sweep: %d web videos replaced by their standard rendition deleted", dropped)
    _sweep_quietly()


def cleanup_uploads() -> None:
    """Periodic: delete uploads that were started and never finished (UPLOAD_EXPIRY_HOURS)."""
    count = ops.expire_uploads()
    if count:
        log.info("deleted %d abandoned uploads", count)
