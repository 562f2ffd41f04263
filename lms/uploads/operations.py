"""Every state change of uploads and media items: start, receive, finish, cancel, process, fail, sweep."""
from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from lms.accounts.models import User
from lms.core.images import sniff_image
from lms.core.inputs import has_visible
from lms.core.realtime import emit_to_user
from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import Queue, enqueue_after_commit
from lms.storage import get_storage, new_key
from lms.uploads import parts
from lms.uploads.messages import human_bytes, human_seconds
from lms.uploads.models import WORKING_STATES, Media, MediaKind, MediaState, Upload, UploadMode

PROCESS_TASK = "lms.uploads.tasks:process_media"


class UploadError(ValueError):
    """An upload request that cannot be honoured; `message` is for the person, `status` for HTTP."""

    def __init__(self, message, status: int = 400, **extra):
        super().__init__(str(message))
        self.message = str(message)
        self.status = status
        self.extra = extra


# -- receiving bytes ---------------------------------------------------------------------------

def start_upload(owner: User, *, filename: str, size: int, kind: MediaKind = MediaKind.video,
                 circle_id: int | None = None, max_seconds: int | None = None) -> Upload:
    """Create a media item in state `uploading` and the resumable upload that will fill it.

    `size` is the exact byte count the browser will send. `max_seconds` asks for a tighter length
    limit than the site's (an assignment's). With S3 storage the upload goes straight to the bucket
    in parts. Raises UploadError for an empty or oversized file.
    """
    config = current_app.config
    limit = config["MAX_UPLOAD_BYTES"] if kind == MediaKind.video else config["MAX_FILE_BYTES"]
    if size <= 0:
        raise UploadError(_l("The file is empty. Choose the file again and upload it once more."))
    if size > limit:
        raise UploadError(
            _("The file is %(size)s, more than the %(limit)s allowed. Choose a smaller file.",
              size=human_bytes(size), limit=human_bytes(limit)), status=413)
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
                    mode=UploadMode.s3 if storage.supports_multipart else UploadMode.chunks)
    if upload.mode == UploadMode.s3:
        part_size = max(config["S3_PART_BYTES"], math.ceil(size / 10_000))
        upload.part_size = part_size
        upload.s3_upload_id = storage.create_multipart(media.original_key)
    db.session.add_all([media, upload])
    db.session.flush()
    return upload


def receive_chunk(upload: Upload, stream, *, offset: int, count: int, now: datetime | None = None) -> int:
    """Append the next `count` bytes of a chunked upload from `stream`, starting at `offset`.

    Finishes the upload when the last byte arrives. Returns the new offset. Raises UploadError:
    409 with the real offset when `offset` is not where the received bytes end (or another request
    is writing), 413 when the chunk would pass the announced length.
    """
    if upload.is_complete:
        raise UploadError(_l("This upload is already complete."), status=409, offset=upload.length)
    if offset + count > upload.length:
        raise UploadError(_l("More bytes were sent than the file has. Start the upload again."), status=413)
    path = parts.part_path(current_app.config["UPLOAD_DIR"], upload.token)
    try:
        new_offset, _complete = parts.append(path, stream, offset=offset, count=count)
    except parts.OffsetMismatch as mismatch:
        raise UploadError(_l("The upload continues from another point; resuming from there."),
                          status=409, offset=mismatch.offset) from None
    except parts.Busy:
        raise UploadError(_l("This upload is already being sent from another tab or window."),
                          status=409, offset=parts.current_size(path)) from None
    now = now or utcnow()
    upload.offset = new_offset
    upload.updated_at = now
    upload.media.progress = int(100 * new_offset / upload.length)
    if new_offset == upload.length:
        storage = get_storage()
        storage.move_in(upload.media.original_key, path)
        _finish(upload, now)
    return new_offset


def chunk_offset(upload: Upload) -> int:
    """Bytes received so far: the partial file's size (the truth after a crash), or all when done."""
    if upload.is_complete:
        return upload.length
    return parts.current_size(parts.part_path(current_app.config["UPLOAD_DIR"], upload.token))


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
    unless its bytes are an image (whatever its name): then the job replaces it with a copy without
    its metadata (lms.core.images.clean_image) first, and nobody can download it until then."""
    media = upload.media
    upload.completed_at = now
    media.received_at = now
    media.progress = 0
    if media.kind == MediaKind.file and _holds_image(media):
        queue_processing(media, now)
    elif media.kind == MediaKind.file:
        media.state = MediaState.ready
        media.ready_at = now
        media.progress = 100
        push_state(media)
    else:
        queue_processing(media, now)


def _holds_image(media: Media) -> bool:
    """Whether a stored file is a PNG, JPEG, GIF or WebP image by its first bytes."""
    head = b"".join(get_storage().iter_range(media.original_key, 0, 15))
    return sniff_image(head) is not None


def cancel_upload(upload: Upload) -> None:
    """Stop an unfinished upload: free its bytes and delete its media item."""
    if upload.is_complete:
        raise UploadError(_l("This upload is already complete."), status=409)
    _discard(upload)


def _discard(upload: Upload) -> None:
    if upload.mode == UploadMode.s3 and upload.s3_upload_id:
        get_storage().abort_multipart(upload.media.original_key, upload.s3_upload_id)
    else:
        parts.part_path(current_app.config["UPLOAD_DIR"], upload.token).unlink(missing_ok=True)
    db.session.delete(upload.media)


def expire_uploads(now: datetime | None = None) -> int:
    """Delete uploads that received nothing for UPLOAD_EXPIRY_HOURS; return how many."""
    now = now or utcnow()
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
    """Recover from dead workers and lost jobs: items whose worker went silent are queued again (or
    fail after the last attempt), and waiting items past their `retry_at` are enqueued. Returns
    (re-queued, failed)."""
    now = now or utcnow()
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
    # A job has no request: it writes in the owner's chosen language (a request already does).
    locale = owner.locale or (None if has_request_context() else current_app.config["BABEL_DEFAULT_LOCALE"])
    if locale is None:
        emit_to_user(media.owner_id, "media_state", media_state_json(media, owner))
        return
    with force_locale(locale):
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
