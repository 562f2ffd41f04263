"""Reading media items and uploads, scoped to their owner; signed URLs and the state pushed to pages."""
from __future__ import annotations

import posixpath

from flask import abort
from flask_login import current_user

from lms.accounts.models import User
from lms.core.urls import path_for
from lms.extensions import db
from lms.uploads import access
from lms.uploads.access import OWN, Rendition, Subject
from lms.uploads.messages import error_message
from lms.uploads.models import Media, MediaKind, MediaState, Upload


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


def library(user: User, *, limit: int = 50) -> list[Media]:
    """The user's own uploads, newest first."""
    return list(db.session.scalars(
        db.select(Media).where(Media.owner_id == user.id).order_by(Media.id.desc()).limit(limit)))


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
    if (media.original_key and media.state != MediaState.uploading
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


def media_state_json(media: Media, user: User | None = None, subject: Subject | tuple = OWN) -> dict:
    """What the uploader's page (or a viewer polling a state URL) shows: state, progress, the
    reason of a failure, and, when ready, URLs signed for `user` and `subject` (see `media_urls`)."""
    data = {
        "id": media.id,
        "kind": media.kind.value,
        "state": media.state.value,
        "progress": media.progress,
        "error": error_message(media),
        "filename": media.filename,
        "bytes": media.bytes,
        "duration": media.duration,
        "width": media.width,
        "height": media.height,
        "received_at": media.received_at.isoformat() if media.received_at else None,
    }
    owner = user or (media.owner if not _has_user() else current_user)
    data["urls"] = media_urls(media, subject, owner) if media.state == MediaState.ready else {}
    return data


def _has_user() -> bool:
    from flask import has_request_context

    return has_request_context() and current_user.is_authenticated


def media_prefix(media: Media) -> str:
    """The storage folder of everything made from one upload."""
    return posixpath.dirname(media.original_key)
