"""Every state change of uploads and media items: start, receive, finish, cancel, process, fail, sweep."""
from __future__ import annotations

import math
import mimetypes
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from lms.accounts.models import User
from lms.core.i18n import recipient_locale
from lms.core.images import ImageRejected, sniff_image, store_image_at
from lms.core.inputs import has_visible
from lms.core.realtime import emit_to_user
from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import Queue, after_commit, discard_stored_on_rollback, enqueue_after_commit
from lms.media.validate import sniff as sniff_video
from lms.storage import get_storage, new_key
from lms.uploads import parts
from lms.uploads.messages import human_bytes, human_seconds, too_large_message
from lms.uploads.models import WORKING_STATES, Media, MediaKind, MediaState, Upload, UploadMode
from lms.uploads.queries import KEPT_PREFIX, quota_problem
from lms.uploads.tus import CHECKSUM_MISMATCH

PROCESS_TASK = "lms.uploads.tasks:process_media"


class UploadError(ValueError):
    """An upload request that cannot be honoured; `message` is for the person, `status` for HTTP."""

    def __init__(self, message, status: int = 400, **extra):
        super().__init__(str(message))
        self.message = str(message)
        self.status = status
        self.extra = extra


class UploadRefused(UploadError):
    """What the upload is for no longer takes bytes (its purpose said why: the assignment closed,
    the uploader left the circle): 403, final. tus has no code of its own for this; a 4xx other than
    409/423 is what tus-js-client (and so Uppy) does not retry, and tuspy raises on any; 410 would
    read as "expired" to mobile clients that then create the upload again."""

    def __init__(self, message):
        super().__init__(message, status=403)


# -- receiving bytes ---------------------------------------------------------------------------

def _kind_of_name(filename: str, kind: MediaKind) -> str:
    """What a refusal's advice fits: a video upload, else the kind the name suggests (only words of advice
    hang on it; the content is judged after the upload, never by its name)."""
    if kind == MediaKind.video:
        return "video"
    guessed = (mimetypes.guess_type(filename or "")[0] or "").split("/")[0]
    return guessed if guessed in ("video", "audio", "image") else "file"


def start_upload(owner: User, *, filename: str, size: int, kind: MediaKind = MediaKind.video,
                 circle_id: int | None = None, max_seconds: int | None = None, through_app: bool = False,
                 purpose: str | None = None, purpose_id: int | None = None) -> Upload:
    """Create a media item in state `uploading` and the resumable upload that will fill it.

    `size` is the exact byte count the browser will send. `max_seconds` asks for a tighter length
    limit than the site's (an assignment's). With S3 storage the upload goes straight to the bucket
    in parts, unless `through_app` (a tus client: chunks through the app, moved into the bucket at
    the end). Raises UploadError for an empty or oversized file, and (413) for one that would take
    the owner past their storage quota (USER_QUOTA_BYTES), before any byte is sent. `purpose` and
    `purpose_id` (what the upload is for, already allowed) are kept on the upload, so each chunk
    can ask the purpose whether it still takes bytes.
    """
    config = current_app.config
    limit = config["MAX_UPLOAD_BYTES"] if kind == MediaKind.video else config["MAX_FILE_BYTES"]
    if size <= 0:
        raise UploadError(_l("The file is empty. Choose the file again and upload it once more."))
    if size > limit:
        raise UploadError(too_large_message(size, limit, _kind_of_name(filename, kind), filename), status=413)
    over_quota = quota_problem(owner, size)
    if over_quota:
        raise UploadError(over_quota, status=413)
    site_seconds = config["MAX_VIDEO_SECONDS"]
    if kind == MediaKind.video:
        max_seconds = site_seconds if not max_seconds else max(1, min(int(max_seconds), site_seconds))
    else:
        max_seconds = None
    storage = get_storage()
    media = Media(owner_id=owner.id, circle_id=circle_id, kind=kind, state=MediaState.uploading,
                  filename=_clean_filename(filename), bytes=size, max_seconds=max_seconds,
                  original_key=new_key("media") + "/original")
    upload = Upload(token=secrets.token_urlsafe(24), owner_id=owner.id, length=size, media=media,
                    purpose=purpose or None, purpose_id=purpose_id if purpose else None,
                    mode=UploadMode.s3 if storage.supports_multipart and not through_app else UploadMode.chunks)
    if upload.mode == UploadMode.s3:
        part_size = max(config["S3_PART_BYTES"], math.ceil(size / 10_000))
        upload.part_size = part_size
        upload.s3_upload_id = storage.create_multipart(media.original_key)
    db.session.add_all([media, upload])
    db.session.flush()
    return upload


class ChunkPlan(NamedTuple):
    """What `begin_chunk` decided for one chunk: where it goes and as which writer."""

    upload_id: int
    path: Path
    generation: int
    offset: int
    count: int
    length: int
    checksum: tuple[str, bytes] | None
    recorded_at: datetime  #: when the upload's row last recorded bytes


#: While bytes keep arriving, an upload's row records them at most this often (and on the last
#: byte): the partial file is the truth for resuming, the row only tells the expiry sweep and the
#: library page, and a write per chunk would cost a commit on every request.
RECORD_SECONDS = 30


def begin_chunk(upload: Upload, *, offset: int, count: int, checksum: tuple[str, bytes] | None = None,
                now: datetime | None = None) -> ChunkPlan:
    """Take `upload` over for a request that sends `count` bytes at `offset` (the newest request wins:
    an older one still sending stops before its next write, and what it wrote stays).

    Its result is all `write_chunk` needs, so the caller can end its database transaction while
    the bytes arrive. Raises UploadError: 409 with the real offset when `offset` is not where the
    received bytes end, 413 when the chunk would pass the announced length, 410 once expired.
    """
    _check_chunked(upload, now)
    if offset + count > upload.length:
        raise UploadError(_l("More bytes were sent than the file has. Start the upload again."), status=413)
    path = _part_path(upload)
    generation, size = parts.take_over(path)
    if size != offset:
        raise UploadError(_l("The upload continues from another point; resuming from there."),
                          status=409, offset=size)
    return ChunkPlan(upload.id, path, generation, offset, count, upload.length, checksum, upload.updated_at)


def needs_record(plan: ChunkPlan, new_offset: int, now: datetime | None = None) -> bool:
    """Whether `end_chunk` must run after this chunk: the upload is complete, or its row has not
    recorded bytes for RECORD_SECONDS."""
    return new_offset == plan.length or (now or utcnow()) - plan.recorded_at >= timedelta(seconds=RECORD_SECONDS)


def write_chunk(plan: ChunkPlan, stream) -> tuple[int, bool]:
    """Append the chunk's bytes from `stream` to the partial file (no database access); return
    (the new offset, whether the whole chunk arrived). Raises UploadError: 460 when the checksum
    does not match (the chunk's bytes are discarded), 409 when a newer request took over."""
    try:
        return parts.append(plan.path, stream, offset=plan.offset, count=plan.count, generation=plan.generation,
                            checksum=plan.checksum)
    except parts.OffsetMismatch as mismatch:
        raise UploadError(_l("The upload continues from another point; resuming from there."),
                          status=409, offset=mismatch.offset) from None
    except parts.Superseded:
        raise UploadError(_l("This upload was resumed by a newer request; this one stopped."),
                          status=409, offset=parts.current_size(plan.path)) from None
    except parts.ChecksumMismatch:
        raise UploadError(_l("Part of the file was damaged on the way. It is being sent again."),
                          status=CHECKSUM_MISMATCH, offset=plan.offset) from None


def end_chunk(upload: Upload, new_offset: int, now: datetime | None = None) -> int:
    """Record that the partial file of `upload` now ends at `new_offset`; finish the upload when
    every byte is there. Returns the offset."""
    now = now or utcnow()
    upload.offset = new_offset
    upload.updated_at = now
    upload.media.progress = int(100 * new_offset / upload.length)
    if new_offset == upload.length:
        _finish(upload, now)
    return new_offset


def receive_chunk(upload: Upload, stream, *, offset: int, count: int, checksum: tuple[str, bytes] | None = None,
                  now: datetime | None = None) -> int:
    """Append the next `count` bytes of a chunked upload from `stream` at `offset` in one step
    (`begin_chunk`, `write_chunk`, `end_chunk`), finishing the upload when the last byte arrives.
    Returns the new offset. Raises UploadError (see the three steps)."""
    plan = begin_chunk(upload, offset=offset, count=count, checksum=checksum, now=now)
    new_offset, _complete = write_chunk(plan, stream)
    return end_chunk(upload, new_offset, now)


def resume_offset(upload: Upload, now: datetime | None = None) -> int:
    """Bytes received so far, for a client about to resume (HEAD). For a chunked upload this takes
    the upload over (a request still sending stops before its next write) and finishes an upload
    whose last byte arrived on a request that died before it could record it. Raises UploadError
    (410) once the upload expired."""
    if upload.is_complete:
        return upload.length
    if upload.mode != UploadMode.chunks:
        return upload.offset
    _check_chunked(upload, now)
    _generation, size = parts.take_over(_part_path(upload))
    if size == upload.length:
        end_chunk(upload, size, now)
    return size


def expires_at(upload: Upload) -> datetime | None:
    """When an unfinished upload that receives nothing more will be deleted (tus Upload-Expires)."""
    if upload.is_complete:
        return None
    return expires_from(upload.updated_at)


def expires_from(recorded_at: datetime) -> datetime:
    """When an unfinished upload whose row last recorded bytes at `recorded_at` expires."""
    return recorded_at + timedelta(hours=current_app.config["UPLOAD_EXPIRY_HOURS"])


def _check_chunked(upload: Upload, now: datetime | None) -> None:
    if upload.mode != UploadMode.chunks:
        raise UploadError(_l("This upload goes straight to storage in parts."), status=409)
    if upload.is_complete:
        raise UploadError(_l("This upload is already complete."), status=409, offset=upload.length)
    if expires_at(upload) <= (now or utcnow()):
        raise UploadError(_l("This upload has expired. Choose the file and upload it again."), status=410)


def _part_path(upload: Upload) -> Path:
    return parts.part_path(current_app.config["UPLOAD_DIR"], upload.token)


def chunk_offset(upload: Upload) -> int:
    """Bytes received so far: the partial file's size (the truth after a crash), or all when done."""
    if upload.is_complete:
        return upload.length
    return parts.current_size(_part_path(upload))


def presign_parts(upload: Upload, numbers: list[int]) -> dict[str, str]:
    """Presigned PUT URLs for parts `numbers` of a direct-to-bucket upload. Raises UploadError."""
    if upload.mode != UploadMode.s3 or upload.is_complete:
        raise UploadError(_l("This upload does not take parts."), status=409)
    count = math.ceil(upload.length / upload.part_size)
    if not numbers or len(numbers) > 100 or any(not 1 <= n <= count for n in numbers):
        raise UploadError(_l("Those part numbers do not belong to this file."))
    storage = get_storage()
    expires = current_app.config["MEDIA_URL_MAX_AGE"]
    return {str(n): storage.presign_part(upload.media.original_key, upload.s3_upload_id, n, expires) for n in numbers}


def received_parts(upload: Upload) -> list[dict]:
    """The parts the bucket holds so far, to resume: [{"number", "size", "etag"}]."""
    if upload.mode != UploadMode.s3:
        raise UploadError(_l("This upload does not take parts."), status=409)
    if upload.is_complete:
        return []
    try:
        listed = get_storage().list_parts(upload.media.original_key, upload.s3_upload_id)
    except FileNotFoundError:
        raise UploadError(_l("This upload has expired. Choose the file and upload it again."), status=410) from None
    return [{"number": n, "size": size, "etag": etag} for n, size, etag in listed]


def complete_parts(upload: Upload, now: datetime | None = None) -> None:
    """Assemble a direct-to-bucket upload from the parts the bucket lists (the browser's word is not
    taken) and finish it. Raises UploadError when parts are missing or the size is wrong."""
    if upload.is_complete:
        return
    listed = received_parts(upload)
    count = math.ceil(upload.length / upload.part_size)
    numbers = [p["number"] for p in listed]
    if numbers != list(range(1, count + 1)) or sum(p["size"] for p in listed) != upload.length:
        got = sum(p["size"] for p in listed)
        raise UploadError(_("Only %(got)s of %(total)s have arrived. Keep this page open to finish the upload.",
                            got=human_bytes(got), total=human_bytes(upload.length)), status=409)
    storage = get_storage()
    storage.complete_multipart(upload.media.original_key, upload.s3_upload_id)
    now = now or utcnow()
    upload.offset = upload.length
    upload.updated_at = now
    _finish(upload, now)


def _finish(upload: Upload, now: datetime) -> None:
    """Every byte is stored: stamp the receipt time and queue processing. A file is ready at once,
    unless its bytes are an image or an MP4/MOV/Matroska video (whatever its name): then the job
    replaces it with a copy without its metadata (GPS position, device) first, and nobody can
    download it until then.

    A chunked upload's partial file moves into storage once this is committed (before the job is
    queued, which runs after it); a crash in between leaves it for `settle_finished_parts`.
    """
    claimed = db.session.execute(
        db.update(Upload).where(Upload.id == upload.id, Upload.completed_at.is_(None))
        .values(completed_at=now, offset=upload.length).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # another request recorded the last byte first
        db.session.refresh(upload)
        return
    upload.completed_at = now
    media = upload.media
    media.received_at = now
    media.progress = 0
    if upload.mode == UploadMode.chunks:
        path = _part_path(upload)
        head = _read_head(path)
        after_commit(lambda: _move_in(media.original_key, path))
    else:
        head = b"".join(get_storage().iter_range(media.original_key, 0, 15))
    if media.kind == MediaKind.file and (sniff_image(head) is not None or sniff_video(head) is None):
        queue_processing(media, now)
    elif media.kind == MediaKind.file:
        media.state = MediaState.ready
        media.ready_at = now
        media.progress = 100
        push_state(media)
    else:
        queue_processing(media, now)


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(16)


def _move_in(key: str, path: Path) -> None:
    """Move a finished partial file into storage (after the commit that recorded it complete)."""
    try:
        get_storage().move_in(key, path)
    except FileNotFoundError:  # moved already (the sweep, or another request that saw it finish)
        pass
    parts.state_path(path).unlink(missing_ok=True)


def settle_finished_parts(now: datetime | None = None, *, grace_seconds: int = 60) -> int:
    """Finish what a crash interrupted in the upload folder: move into storage the partial files of
    uploads recorded complete (the server died between the commit and the move), and delete files
    whose upload no longer exists (cancelled or expired, then a crash before the files went).
    Files younger than `grace_seconds` are left to the request handling them. Returns how many
    files it moved or deleted."""
    folder = Path(current_app.config["UPLOAD_DIR"])
    if not folder.is_dir():
        return 0
    cutoff = (now or utcnow()).timestamp() - grace_seconds
    found: dict[str, Path] = {}
    for path in folder.iterdir():
        if path.suffix in (".part", ".state") and _mtime(path) < cutoff:
            found.setdefault(path.stem, path.with_suffix(".part"))
        if len(found) >= 500:
            break
    if not found:
        return 0
    uploads = {u.token: u for u in db.session.scalars(db.select(Upload).where(Upload.token.in_(list(found))))}
    settled = 0
    for token, path in found.items():
        upload = uploads.get(token)
        if upload is None:
            parts.remove(path)
            settled += 1
        elif upload.is_complete and upload.mode == UploadMode.chunks:
            if path.exists():
                _move_in(upload.media.original_key, path)
            else:
                parts.state_path(path).unlink(missing_ok=True)
            settled += 1
    return settled


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")


def cancel_upload(upload: Upload) -> None:
    """Stop an unfinished upload: delete its media item, and its bytes once that is committed."""
    if upload.is_complete:
        raise UploadError(_l("This upload is already complete."), status=409)
    _discard(upload)


def end_upload(upload: Upload) -> None:
    """A client terminates `upload` (tus DELETE). Unfinished: as `cancel_upload`. Finished: only
    the upload session ends (its URL answers 404 from now on); the media item it made stays, as
    it may already be handed in, and is deleted from the owner's uploads like any other."""
    if upload.is_complete:
        media = upload.media
        media.upload = None  # the relationship's delete-orphan removes the session, not the media
        db.session.flush()
        return
    _discard(upload)


def _discard(upload: Upload) -> None:
    """Delete the media item of an unfinished upload; its bytes go once that is committed."""
    if upload.mode == UploadMode.s3 and upload.s3_upload_id:
        key, upload_id = upload.media.original_key, upload.s3_upload_id
        after_commit(lambda: get_storage().abort_multipart(key, upload_id))
    else:
        path = _part_path(upload)
        after_commit(lambda: parts.remove(path))
    db.session.delete(upload.media)


def expire_uploads(now: datetime | None = None) -> int:
    """Delete uploads that received nothing for UPLOAD_EXPIRY_HOURS (their bytes after the commit);
    settle partial files a crash left behind. Returns how many uploads expired."""
    now = now or utcnow()
    settle_finished_parts(now)  # first: it must not see the files of uploads deleted below, before the commit
    cutoff = now - timedelta(hours=current_app.config["UPLOAD_EXPIRY_HOURS"])
    stale = db.session.scalars(db.select(Upload).where(Upload.completed_at.is_(None), Upload.updated_at < cutoff)
                               .limit(500)).all()
    for upload in stale:
        _discard(upload)
    db.session.flush()
    return len(stale)


# -- processing state ----------------------------------------------------------------------------

def queue_processing(media: Media, now: datetime | None = None) -> None:
    """Put `media` in the `uploaded` state and enqueue its processing after the commit. If the job is
    lost (a restart of the embedded worker), the sweep queues it again once `retry_at` passes."""
    now = now or utcnow()
    media.state = MediaState.uploaded
    media.retry_at = now + timedelta(seconds=current_app.config["MEDIA_STALE_SECONDS"])
    push_state(media)  # queued before the job, so the page hears "uploaded" before what the job says
    enqueue_after_commit(PROCESS_TASK, media.id, queue=Queue.media)


def claim_media(media_id: int, now: datetime | None = None) -> int | None:
    """Take `media_id` for processing if it is waiting (or its worker went silent); return the
    attempt number that now owns it, or None when another worker has it or it is done."""
    now = now or utcnow()
    config = current_app.config
    stale = now - timedelta(seconds=config["MEDIA_STALE_SECONDS"])
    waiting = Media.state == MediaState.uploaded
    abandoned = Media.state.in_(WORKING_STATES) & (Media.heartbeat_at < stale)
    result = db.session.execute(
        db.update(Media)
        .where(Media.id == media_id, waiting | abandoned, Media.attempts < config["MEDIA_MAX_ATTEMPTS"])
        .values(state=MediaState.checking, attempts=Media.attempts + 1, heartbeat_at=now, progress=0,
                retry_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    media = db.session.get(Media, media_id, populate_existing=True)
    push_state(media)
    return media.attempts


class Superseded(Exception):
    """Another worker took this item over (ours was presumed dead); stop without writing."""


def update_processing(media: Media, attempt: int, *, state: MediaState | None = None,
                      progress: int | None = None, now: datetime | None = None) -> None:
    """Record the worker's progress and refresh its heartbeat. Raises Superseded when the item is
    no longer held by `attempt`."""
    values = {"heartbeat_at": now or utcnow()}
    if state is not None:
        values["state"] = state
    if progress is not None:
        values["progress"] = max(0, min(100, int(progress)))
    result = db.session.execute(
        db.update(Media).where(Media.id == media.id, Media.attempts == attempt, Media.state.in_(WORKING_STATES))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Superseded(media.id)
    db.session.refresh(media)
    push_state(media)


def mark_ready(media: Media, attempt: int, *, mp4_key: str, poster_key: str | None, hls_prefix: str | None,
               duration: float | None, width: int | None, height: int | None, now: datetime | None = None) -> None:
    """The pipeline succeeded: record what it made."""
    _check_holder(media, attempt)
    now = now or utcnow()
    media.state = MediaState.ready
    media.progress = 100
    media.mp4_key, media.poster_key, media.hls_prefix = mp4_key, poster_key, hls_prefix
    media.duration, media.width, media.height = duration, width, height
    media.ready_at = now
    media.heartbeat_at = None
    media.error_code, media.error_params = None, None
    push_state(media)


def mark_cleaned(media: Media, attempt: int, *, size: int, width: int | None, height: int | None,
                 now: datetime | None = None) -> None:
    """An image file was replaced by its cleaned copy (`size` bytes, `width`×`height` pixels): ready."""
    _check_holder(media, attempt)
    now = now or utcnow()
    media.state = MediaState.ready
    media.progress = 100
    media.bytes, media.width, media.height = size, width, height
    media.ready_at = now
    media.heartbeat_at = None
    media.error_code, media.error_params = None, None
    push_state(media)


def fail_media(media: Media, code: str, params: dict | None = None) -> None:
    """Fail `media` for good with a reason code (a rejection, or "processing_failed"); the original stays."""
    media.state = MediaState.failed
    media.error_code = code
    media.error_params = params or None
    media.heartbeat_at = None
    media.retry_at = None
    push_state(media)


def retry_later(media: Media, attempt: int, now: datetime | None = None) -> bool:
    """After a failure that may pass (ffmpeg crashed, timed out, storage hiccup): queue again with
    back-off, or fail for good after MEDIA_MAX_ATTEMPTS. Returns whether it will be retried."""
    _check_holder(media, attempt)
    now = now or utcnow()
    if media.attempts >= current_app.config["MEDIA_MAX_ATTEMPTS"]:
        fail_media(media, "processing_failed")
        return False
    media.state = MediaState.uploaded
    media.heartbeat_at = None
    media.retry_at = now + timedelta(seconds=30 * 2 ** (media.attempts - 1))
    push_state(media)
    return True


def retry_media(media: Media) -> None:
    """Process a failed item again from its kept original, with a fresh count of attempts (operator
    or owner). Raises UploadError unless it failed."""
    if media.state != MediaState.failed or media.kind != MediaKind.video or not media.received_at:
        raise UploadError(_l("Only a video whose processing failed can be processed again."), status=409)
    media.attempts = 0
    media.error_code, media.error_params = None, None
    queue_processing(media)


def sweep_media(now: datetime | None = None) -> tuple[int, int]:
    """Recover from dead workers and lost jobs: finished uploads whose file a crash left outside
    storage are moved in (`settle_finished_parts`), items whose worker went silent are queued
    again (or fail after the last attempt), and waiting items past their `retry_at` are enqueued.
    Returns (re-queued, failed)."""
    now = now or utcnow()
    settle_finished_parts(now)
    config = current_app.config
    stale = now - timedelta(seconds=config["MEDIA_STALE_SECONDS"])
    requeued = failed = 0
    silent = db.session.scalars(db.select(Media).where(Media.state.in_(WORKING_STATES), Media.heartbeat_at < stale)
                                .limit(200)).all()
    for media in silent:
        if media.attempts >= config["MEDIA_MAX_ATTEMPTS"]:
            fail_media(media, "processing_failed")
            failed += 1
        else:
            media.state = MediaState.uploaded
            media.heartbeat_at = None
            media.retry_at = now
    db.session.flush()
    due = db.session.scalars(db.select(Media).where(Media.state == MediaState.uploaded, Media.retry_at <= now)
                             .order_by(Media.retry_at).limit(200)).all()
    for media in due:
        queue_processing(media, now)
        requeued += 1
    db.session.flush()
    return requeued, failed


def _check_holder(media: Media, attempt: int) -> None:
    db.session.refresh(media)
    if media.attempts != attempt or media.state not in WORKING_STATES:
        raise Superseded(media.id)


def push_state(media: Media) -> None:
    """Send the item's state to its owner's open pages once the transaction commits."""
    from lms.uploads.queries import media_state_json

    db.session.flush()
    owner = media.owner
    # Written for the owner (their profile's or browser's language), whoever's request or job this is.
    with force_locale(recipient_locale(owner)):
        emit_to_user(media.owner_id, "media_state", media_state_json(media, owner))


# -- using media elsewhere -------------------------------------------------------------------------

def attach_check(media: Media | None, user: User, kind: MediaKind = MediaKind.video,
                 max_seconds: int | None = None) -> str | None:
    """Why `user` cannot attach `media` (to a submission, a post…), or None when they can."""
    if media is None or media.owner_id != user.id:
        return _("That upload was not found. Upload the file again.")
    if media.kind != kind:
        return _("Please upload a video here.") if kind == MediaKind.video else _("Please upload a file here.")
    if media.state == MediaState.uploading:
        return _("The upload has not finished yet. Wait until it reaches 100 %, then submit.")
    if media.state == MediaState.failed:
        from lms.uploads.messages import error_message

        return error_message(media)
    if kind == MediaKind.video and max_seconds:
        limit = media.max_seconds or current_app.config["MAX_VIDEO_SECONDS"]
        if limit > max_seconds or (media.duration is not None and media.duration > max_seconds + 1):
            return _("This video was checked against a longer limit than this assignment's %(limit)s. "
                     "Upload it again from this page.", limit=human_seconds(max_seconds))
    return None


def _clean_filename(name: str) -> str:
    """Keep a file name for display only: no folders, no control, format (bidi) or other invisible
    characters, bounded length; "" when nothing visible is left (lms.core.inputs.has_visible)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] if has_visible(name) else ""


# -- images a refused form carried -------------------------------------------------------------------

#: At most this many images of one refused form are kept.
MAX_KEPT_IMAGES = 20


def keep_images(owner: User, images, *, circle_id: int | None = None, now: datetime | None = None) -> list[Media]:
    """Keep the images a form the server refused carried (werkzeug FileStorage items of a file field),
    so the page can come back with them still attached (lms.uploads.queries.kept_images) instead of
    asking for them again: each is checked and cleaned as any image is (lms.core.images), stored, and
    recorded as `owner`'s own finished upload (kind file; it counts against their storage and shows in
    their uploads until a form uses it). What is not an acceptable image is left out (the refusal says
    so). Call after the refused transaction rolled back; the caller commits."""
    now = now or utcnow()
    kept = []
    for image in list(images)[:MAX_KEPT_IMAGES]:
        if not getattr(image, "filename", ""):
            continue
        if quota_problem(owner, 0):  # their storage is full: what is kept counts against it like any upload
            break
        try:
            image.stream.seek(0)
            key = new_key(KEPT_PREFIX) + "/original"
            made = store_image_at(image.stream, key)
        except (ImageRejected, OSError, ValueError):
            continue
        discard_stored_on_rollback(key)
        media = Media(owner_id=owner.id, circle_id=circle_id, kind=MediaKind.file, state=MediaState.ready,
                      filename=_clean_filename(image.filename), bytes=made.bytes, original_key=key,
                      width=made.width, height=made.height, progress=100, received_at=now, ready_at=now)
        db.session.add(media)
        kept.append(media)
    db.session.flush()
    return kept


def adopt_kept_image(media: Media) -> str:
    """Hand the stored image of a kept upload (`keep_images`) over to what now uses it (a check-in's photo,
    a post's image): the media item goes, its stored object stays and is returned (its storage key), now
    referred to by the caller's row. On a rollback the item is back and still names it. Raises ValueError for
    any other media item (an upload of the uploader may be in use elsewhere)."""
    key = media.original_key or ""
    if media.kind != MediaKind.file or not key.startswith(KEPT_PREFIX + "/"):
        raise ValueError(f"media {media.id} is not a kept image")
    db.session.delete(media)
    return key


def take_kept_images(kept) -> list:
    """The bytes of kept images (`keep_images`) as streams, for a form that stores the images it gets
    (they are checked and cleaned there as any image); the kept uploads go, their stored objects once
    that commits (on a rollback they are still there, still kept)."""
    from io import BytesIO

    storage = get_storage()
    streams = []
    for media in kept:
        with storage.open(media.original_key) as f:
            streams.append(BytesIO(f.read()))
        key = media.original_key
        db.session.delete(media)
        after_commit(lambda key=key: storage.delete(key))
    return streams


def refused_images(owner: User, sent_ids, files, *, circle_id: int | None = None,
                   limit: int = MAX_KEPT_IMAGES) -> list[Media]:
    """What the page of a refused form offers again as still attached: the images kept from earlier tries
    whose ids came back with it (lms.uploads.queries.kept_images) and this try's `files`, kept now
    (`keep_images`); at most `limit`. For a one-image field (`limit` 1) a newly chosen image wins. Call
    after the refused transaction rolled back; the caller commits."""
    from lms.uploads.queries import kept_images

    new = keep_images(owner, [f for f in (files or []) if getattr(f, "filename", "")], circle_id=circle_id)
    old = [m for m in kept_images(owner, sent_ids) if m not in new]
    return (new + old if limit == 1 else old + new)[:limit]
