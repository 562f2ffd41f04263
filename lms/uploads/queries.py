"""Reading media items and uploads, scoped to their owner; signed URLs and the state pushed to pages."""
from __future__ import annotations

import posixpath

from flask import abort, current_app
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.accounts.models import User
from lms.core.urls import path_for
from lms.extensions import db
from lms.uploads.messages import error_message
from lms.uploads.models import Media, MediaKind, MediaState, Upload

_URL_SALT = "media-url"

#: What a signed media URL may name, and how each is served.
SERVED_NAMES = ("video.mp4", "poster.jpg", "download")


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

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_URL_SALT)


def media_token(media: Media, user_id: int) -> str:
    return _serializer().dumps([media.id, user_id])


def read_media_token(token: str, user_id: int | None) -> int | None:
    """The media id a URL token names, if it is genuine, fresh and was issued to `user_id`."""
    try:
        media_id, issued_to = _serializer().loads(token, max_age=current_app.config["MEDIA_URL_MAX_AGE"])
    except (BadSignature, ValueError, TypeError):
        return None
    return media_id if issued_to == user_id else None


def media_urls(media: Media | None, user: User | None = None) -> dict[str, str]:
    """Signed URLs of what exists of `media` for `user` (default: the current user): mp4, poster,
    hls, download. Call only after checking that the user may see what the media belongs to."""
    if media is None:
        return {}
    user_id = (user or current_user).id
    token = media_token(media, user_id)

    def url(name: str) -> str:
        return path_for("uploads.serve", token=token, name=name)

    urls = {}
    if media.kind == MediaKind.file:
        if media.state == MediaState.ready:
            urls["download"] = url("download")
        return urls
    if media.mp4_key:
        urls["mp4"] = url("video.mp4")
    if media.poster_key:
        urls["poster"] = url("poster.jpg")
    if media.hls_prefix:
        urls["hls"] = url("hls/index.m3u8")
    if media.original_key and media.state not in (MediaState.uploading,):
        urls["download"] = url("download")
    return urls


def media_state_url(media: Media, user: User | None = None) -> str:
    """A signed URL where `user` (default: the current user) can poll the item's state: for
    viewers who are not its owner (a teacher grading a video still being processed), who get no
    pushes. Call only after checking that they may see what the media belongs to."""
    return path_for("uploads.serve", token=media_token(media, (user or current_user).id), name="state")


def media_state_json(media: Media, user: User | None = None) -> dict:
    """What the uploader's page shows: state, progress, the reason of a failure, and URLs when ready."""
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
    data["urls"] = media_urls(media, owner) if media.state == MediaState.ready else {}
    return data


def _has_user() -> bool:
    from flask import has_request_context

    return has_request_context() and current_user.is_authenticated


def media_prefix(media: Media) -> str:
    """The storage folder of everything made from one upload."""
    return posixpath.dirname(media.original_key)
