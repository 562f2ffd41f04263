"""Reading media items and uploads, scoped to their owner; signed URLs and the state pushed to pages."""
from __future__ import annotations

import posixpath
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask import Flask, abort, current_app
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import User
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.uploads import access, bp, parts
from lms.uploads.access import OWN, Rendition, Subject
from lms.uploads.messages import error_message, human_bytes, human_seconds
from lms.uploads.models import WORKING_STATES, Media, MediaKind, MediaState, Upload, UploadMode


def get_upload_or_404(token: str, user: User) -> Upload:
    """The upload behind `token` if `user` started it; 404 otherwise (no hint that it exists)."""
    upload = db.session.scalar(db.select(Upload).where(Upload.token == token))
    if upload is None or upload.owner_id != user.id:
        abort(404)
    return upload


def get_own_media_or_404(user: User, media_id: int) -> Media:
    media = get_own_media(user, media_id)
    if media is None:
        abort(404)
    return media


def get_own_media(user: User, media_id: int | str | None) -> Media | None:
    """The media item `media_id` if `user` owns it (for forms that receive a media id), else None."""
    try:
        media_id = int(media_id)
    except (TypeError, ValueError):
        return None
    media = db.session.get(Media, media_id)
    if media is None or media.owner_id != user.id:
        return None
    return media


def kept_video(user: User, media_id: int | str | None) -> Media | None:
    """The video a failed submit sent, to show again in the uploader (with its input) so it is not lost:
    `user`'s own and still a usable video (one the server refused is not offered again); None otherwise."""
    media = get_own_media(user, media_id) if media_id else None
    if media is None or media.kind != MediaKind.video or media.is_failed:
        return None
    return media


#: Storage keys of the images kept from refused forms (lms.uploads.operations.keep_images) start so; no
#: other upload's do, so a kept image is never one in use elsewhere.
KEPT_PREFIX = "kept"


def kept_images(user: User, media_ids, *, limit: int = 20) -> list[Media]:
    """The images a refused form carried (lms.uploads.operations.keep_images), sent back with the form
    as ids: `user`'s own finished image uploads (an image file is ready only once cleaned and sized),
    each once, in the order sent; ids of anything else are left out. One query."""
    ids = []
    for value in list(media_ids or [])[:limit]:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number not in ids:
            ids.append(number)
    if not ids:
        return []
    found = {m.id: m for m in db.session.scalars(db.select(Media).where(
        Media.id.in_(ids), Media.owner_id == user.id, Media.kind == MediaKind.file, Media.state == MediaState.ready,
        Media.width.is_not(None), Media.original_key.like(KEPT_PREFIX + "/%")))}
    return [found[i] for i in ids if i in found]


def library(user: User, *, limit: int = 50) -> list[Media]:
    """The user's own uploads, newest first."""
    return list(db.session.scalars(
        db.select(Media).options(db.selectinload(Media.upload))  # what an unfinished upload holds
        .where(Media.owner_id == user.id).order_by(Media.id.desc()).limit(limit)))


#: No byte arrived for this long: an unfinished upload is said to have stopped, not to be arriving.
RECEIVING_SECONDS = 60


def upload_received(media: Media, now: datetime | None = None) -> dict | None:
    """What the server holds of `media`'s unfinished upload, for pages that must not guess from
    `media.progress` (written at most every RECORD_SECONDS): {"received": bytes on disk, "length",
    "percent", "last_byte_at", "receiving": whether a byte came in the last RECEIVING_SECONDS}.
    A direct-to-bucket upload's parts are known only to the bucket (a request per item): there
    "received", "percent" and "receiving" are None. None unless the item is still uploading."""
    upload = media.upload
    if media.state != MediaState.uploading or upload is None or upload.is_complete:
        return None
    received, last = upload.offset, upload.updated_at
    if upload.mode == UploadMode.chunks:
        # The partial file is the truth: its size is the tus offset, its mtime the last byte's time.
        try:
            found = parts.part_path(current_app.config["UPLOAD_DIR"], upload.token).stat()
        except FileNotFoundError:
            found = None
        if found is not None:
            received = found.st_size
            last = max(last, datetime.fromtimestamp(found.st_mtime, timezone.utc))
    else:
        return {"received": None, "length": upload.length, "percent": None, "last_byte_at": None, "receiving": None}
    received = min(received, upload.length)
    receiving = (now or utcnow()) - last < timedelta(seconds=RECEIVING_SECONDS)
    return {"received": received, "length": upload.length,
            "percent": int(100 * received / upload.length) if upload.length else 0,
            "last_byte_at": last.isoformat(), "receiving": receiving}


# -- storage used ----------------------------------------------------------------------------------

def storage_used(user: User | int) -> int:
    """Bytes of every media item `user` owns (uploads under way count with their announced size)."""
    user_id = user if isinstance(user, int) else user.id
    return int(db.session.scalar(db.select(db.func.coalesce(db.func.sum(Media.bytes), 0))
                                 .where(Media.owner_id == user_id)) or 0)


def quota_problem(user: User, size: int) -> str | None:
    """The sentence refusing a new upload of `size` bytes that would take `user` past
    USER_QUOTA_BYTES (0: no limit), naming what they use and the limit; None when it fits."""
    limit = current_app.config.get("USER_QUOTA_BYTES") or 0
    if limit <= 0:
        return None
    used = storage_used(user)
    if used + max(size, 0) <= limit:
        return None
    return _("This file (%(size)s) does not fit in your storage: you already use %(used)s of your %(limit)s. "
             "Nothing was uploaded. Ask your teacher or the site's administrator for more room.",
             size=human_bytes(size), used=human_bytes(used), limit=human_bytes(limit))


def circle_storage(circle_id: int, user_ids) -> tuple[int, dict[int, tuple[int, int]]]:
    """Storage of a circle: the bytes of every media item uploaded for it, and for each of `user_ids`
    (bytes for this circle, bytes in all). Two queries whatever the number of people."""
    ids = [int(i) for i in user_ids]
    total = int(db.session.scalar(db.select(db.func.coalesce(db.func.sum(Media.bytes), 0))
                                  .where(Media.circle_id == circle_id)) or 0)
    if not ids:
        return total, {}
    here = db.func.coalesce(db.func.sum(db.case((Media.circle_id == circle_id, Media.bytes), else_=0)), 0)
    rows = db.session.execute(db.select(Media.owner_id, here, db.func.sum(Media.bytes))
                              .where(Media.owner_id.in_(ids)).group_by(Media.owner_id))
    found = {owner: (int(a or 0), int(b or 0)) for owner, a, b in rows}
    return total, {i: found.get(i, (0, 0)) for i in ids}


def own_storage() -> dict:
    """The current user's storage for "My uploads" (a template global): bytes used and the quota (0: none)."""
    used = storage_used(current_user) if _has_user() else 0
    return {"used": used, "quota": current_app.config.get("USER_QUOTA_BYTES") or 0}


def storage_usage(circle, memberships=()) -> dict | None:
    """For the roster (a template global): the circle's total and, for each of `memberships`, the
    bytes uploaded for this circle and in all, with the quota. None unless the current user may
    edit the circle (owner, teachers, overseers): a student never sees anyone's usage."""
    if not _has_user() or not circle.can_edit(current_user):
        return None
    total, people = circle_storage(circle.id, [m.user_id for m in memberships])
    return {"total": total, "people": people, "quota": current_app.config.get("USER_QUOTA_BYTES") or 0}


def resume_session(media: Media) -> dict | None:
    """What the owner's uploader needs to continue `media`'s unfinished upload from another page or
    browser (the answer of its creation): {token, url, mode, media_id, chunk_size | part_size,
    length, filename}. Render it only on the owner's own pages; None once the upload is finished."""
    upload = media.upload
    if media.state != MediaState.uploading or upload is None or upload.is_complete:
        return None
    session = {"token": upload.token, "url": path_for("uploads.chunk", token=upload.token), "mode": upload.mode.value,
               "media_id": media.id, "length": upload.length, "filename": media.filename}
    if upload.mode == UploadMode.s3:
        session["part_size"] = upload.part_size
    else:
        session["chunk_size"] = current_app.config["UPLOAD_CHUNK_BYTES"]
    return session


# -- what other domains attach to an upload ---------------------------------------------------------

#: (user, [Media]) -> {media id: [{"text", "url", "action", "action_label"}]}
UsesProvider = Callable[[User, list], dict]
_USES = "lms_upload_uses"


def register_library_uses(app: Flask, provider: UsesProvider) -> None:
    """Let a domain say what an upload on "My uploads" is kept for (a homework draft: its assignment
    and a "Hand in" action). Call at app start; `provider` answers for a whole page in a few queries."""
    providers = app.extensions.setdefault(_USES, [])
    if provider not in providers:
        providers.append(provider)


def library_uses(media_list) -> dict[int, list[dict]]:
    """What the registered domains attach to each of the current user's `media_list` (a template global)."""
    found: dict[int, list[dict]] = {}
    media_list = list(media_list)
    if not media_list or not _has_user():
        return found
    for provider in current_app.extensions.get(_USES, []):
        for media_id, uses in provider(current_user, media_list).items():
            found.setdefault(media_id, []).extend(uses)
    return found


@bp.record_once
def _template_globals(state) -> None:
    state.app.add_template_global(library_uses, "library_uses")
    state.app.add_template_global(storage_usage, "storage_usage")
    state.app.add_template_global(human_bytes, "human_bytes")
    state.app.add_template_global(own_storage, "own_storage")
    state.app.add_template_global(upload_received, "upload_received")
    state.app.add_template_global(resume_session, "resume_session")
    state.app.add_template_global(human_seconds, "human_seconds")


# -- signed URLs ---------------------------------------------------------------------------------

def media_urls(media: Media | None, subject: Subject | tuple = OWN, user: User | None = None) -> dict[str, str]:
    """URLs of what exists of `media`, signed for `user` (default: the current user) and for
    `subject`, the thing the page shows it for (("submission", 42); default: the owner's own pages).

    Keys: "state" always; "mp4", "poster", "hls" when made; "download": an attachment's file, or a
    video's original only when the subject's checker allows the viewer the original (its owner and
    staff: it keeps the phone's location and device name). Call after checking that the viewer may
    see `subject`; serving asks the subject's checker again on every request.
    """
    if media is None:
        return {}
    subject = Subject(*subject)
    viewer = user or current_user

    def url(rendition: Rendition) -> str:
        return path_for("uploads.serve", token=access.sign(viewer.id, media, rendition, subject),
                        name=access.URL_NAMES[rendition])

    urls = {"state": url(Rendition.state)}
    if media.kind == MediaKind.file:
        if media.state == MediaState.ready:
            urls["download"] = url(Rendition.file)
        return urls
    if media.mp4_key:
        urls["mp4"] = url(Rendition.mp4)
    if media.poster_key:
        urls["poster"] = url(Rendition.poster)
    if media.hls_prefix:
        urls["hls"] = url(Rendition.hls)
    if (media.original_key and (media.is_ready or media.is_failed)  # stripped of its metadata by then
            and access.may_fetch(viewer, media, Rendition.original, subject)):
        urls["download"] = url(Rendition.original)
    return urls


def media_state_url(media: Media, subject: Subject | tuple = OWN, user: User | None = None) -> str:
    """A signed URL where `user` (default: the current user) can poll the item's state: for
    viewers who are not its owner (a teacher grading a video still being processed), who get no
    pushes. Same rules as `media_urls`, whose "state" key it is."""
    subject = Subject(*subject)
    return path_for("uploads.serve", token=access.sign((user or current_user).id, media, Rendition.state, subject),
                    name=access.URL_NAMES[Rendition.state])


def media_state_json(media: Media, user: User | None = None, subject: Subject | tuple = OWN,
                     now: datetime | None = None) -> dict:
    """What the uploader's page (or a viewer polling a state URL) shows: state, progress, the
    reason of a failure, and, when ready, URLs signed for `user` and `subject` (see `media_urls`).

    Whether the server is retrying, so a page never sits at an old percentage: "stalled" when the
    worker holding the item went silent (no heartbeat for `stall_seconds`: it died; the sweep will
    queue it again, or fail it after its last attempt), "retrying" when another attempt is coming
    (it went silent, or an earlier attempt stopped and the item waits for the next); "attempt" is
    the attempt under way or coming, of "max_attempts".
    """
    most = current_app.config["MEDIA_MAX_ATTEMPTS"]
    stalled = is_stalled(media, now)
    # A silent worker's item is queued again by the sweep, unless that was its last attempt.
    retrying = (stalled and media.attempts < most) or (media.state == MediaState.uploaded and media.attempts > 0)
    data = {
        "id": media.id,
        "kind": media.kind.value,
        "state": media.state.value,
        "progress": media.progress,
        "stalled": stalled,
        "retrying": retrying,
        "attempt": media.attempts + 1 if retrying else media.attempts,
        "max_attempts": most,
        "error": error_message(media),
        "filename": media.filename,
        "bytes": media.bytes,
        "duration": media.duration,
        "width": media.width,
        "height": media.height,
        "received_at": media.received_at.isoformat() if media.received_at else None,
        "upload": upload_received(media, now),  # an unfinished upload: the bytes the server holds
    }
    owner = user or (media.owner if not _has_user() else current_user)
    data["urls"] = media_urls(media, subject, owner) if media.state == MediaState.ready else {}
    return data


def stall_seconds() -> float:
    """How long a worker may stay silent before pages say the server is retrying: three missed
    heartbeats, and never longer than the sweep waits before it re-queues (MEDIA_STALE_SECONDS)."""
    config = current_app.config
    return min(3 * config["MEDIA_HEARTBEAT_SECONDS"], config["MEDIA_STALE_SECONDS"])


def is_stalled(media: Media, now: datetime | None = None) -> bool:
    """Whether a worker holds `media` but has not been heard from for `stall_seconds` (it died)."""
    if media.state not in WORKING_STATES or media.heartbeat_at is None:
        return False
    return media.heartbeat_at < (now or utcnow()) - timedelta(seconds=stall_seconds())


def _has_user() -> bool:
    from flask import has_request_context

    return has_request_context() and current_user.is_authenticated


def media_prefix(media: Media) -> str:
    """The storage folder of everything made from one upload."""
    return posixpath.dirname(media.original_key)
