"""Views of uploads: the resumable upload protocol, media state, signed media URLs, the library page.

The chunked protocol follows tus 1.0 core: POST creates an upload (JSON here), HEAD reports
`Upload-Offset`, PATCH appends bytes at `Upload-Offset` (409 with the server's offset when they
disagree), DELETE cancels. With S3 storage the browser PUTs parts straight to the bucket with
presigned URLs and calls `complete`; the web process never carries the bytes.
"""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.core.errors import abort_with, wants_json
from lms.extensions import db, limiter
from lms.storage import get_storage
from lms.storage.base import content_disposition
from lms.uploads import access, bp
from lms.uploads import operations as ops
from lms.uploads.access import Rendition
from lms.uploads.models import Media, MediaKind, MediaState, UploadMode
from lms.uploads.queries import (
    get_own_media_or_404,
    get_upload_or_404,
    library as own_library,
    media_state_json,
    media_state_url,
    media_urls,
)

#: The server accepts PATCH bodies up to this many times the chunk size it asks for.
CHUNK_SLACK = 4


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "?"


def _error(error: ops.UploadError):
    response = jsonify(error={"code": error.status, "message": error.message}, **error.extra)
    response.status_code = error.status
    if "offset" in error.extra:
        response.headers["Upload-Offset"] = str(error.extra["offset"])
    return response


@bp.get("/media/")
@login_required
def library():
    items = [(m, media_urls(m), media_state_json(m)) for m in own_library(current_user)]
    return render_template("uploads/library.html", items=items,
                           max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
                           max_seconds=current_app.config["MAX_VIDEO_SECONDS"])


@bp.post("/uploads")
@login_required
@limiter.limit("120 per hour", key_func=_user_key)
def create():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort_with(400, _("The upload request could not be read. Reload the page and try again."))
    try:
        size = int(data.get("size"))
        kind = MediaKind(data.get("kind") or "video")
        circle_id = int(data["circle_id"]) if data.get("circle_id") else None
        max_seconds = int(data["max_seconds"]) if data.get("max_seconds") else None
    except (TypeError, ValueError):
        abort_with(400, _("The upload request could not be read. Reload the page and try again."))
    if circle_id is not None:
        from lms.circles.queries import get_circle_or_404

        get_circle_or_404(circle_id, current_user)
    try:
        upload = ops.start_upload(current_user, filename=str(data.get("filename") or ""), size=size, kind=kind,
                                  circle_id=circle_id, max_seconds=max_seconds)
    except ops.UploadError as error:
        return _error(error)
    db.session.commit()
    body = {"token": upload.token, "media_id": upload.media_id, "mode": upload.mode.value,
            "url": f"/uploads/{upload.token}", "offset": 0, "length": upload.length}
    if upload.mode == UploadMode.s3:
        body["part_size"] = upload.part_size
    else:
        body["chunk_size"] = current_app.config["UPLOAD_CHUNK_BYTES"]
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["url"]
    return response


@bp.route("/uploads/<token>", methods=["HEAD", "PATCH", "DELETE"])
@login_required
def chunk(token: str):
    upload = get_upload_or_404(token, current_user)
    if request.method == "HEAD":
        response = make_response("", 200)
        response.headers["Upload-Offset"] = str(ops.chunk_offset(upload) if upload.mode == UploadMode.chunks
                                                else upload.offset)
        response.headers["Upload-Length"] = str(upload.length)
        return response
    if request.method == "DELETE":
        try:
            ops.cancel_upload(upload)
        except ops.UploadError as error:
            return _error(error)
        db.session.commit()
        return "", 204
    if upload.mode != UploadMode.chunks:
        return _error(ops.UploadError(_("This upload goes straight to storage in parts."), status=409))
    if request.mimetype != "application/offset+octet-stream":
        return _error(ops.UploadError(_("The upload was sent in a form the server does not take."), status=415))
    try:
        offset = int(request.headers["Upload-Offset"])
    except (KeyError, ValueError):
        return _error(ops.UploadError(_("The upload was sent without its position. Reload the page and resume.")))
    count = request.content_length
    if count is None:
        return _error(ops.UploadError(_("The upload was sent without its length."), status=411))
    if count > CHUNK_SLACK * current_app.config["UPLOAD_CHUNK_BYTES"]:
        return _error(ops.UploadError(_("Too much was sent at once. Reload the page and resume."), status=413))
    try:
        new_offset = ops.receive_chunk(upload, request.stream, offset=offset, count=count)
    except ops.UploadError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    response = make_response("", 204)
    response.headers["Upload-Offset"] = str(new_offset)
    return response


@bp.get("/uploads/<token>/parts")
@login_required
def parts(token: str):
    upload = get_upload_or_404(token, current_user)
    try:
        listed = ops.received_parts(upload)
    except ops.UploadError as error:
        return _error(error)
    return jsonify(parts=listed, part_size=upload.part_size, length=upload.length, complete=upload.is_complete)


@bp.post("/uploads/<token>/parts")
@login_required
def presign(token: str):
    upload = get_upload_or_404(token, current_user)
    data = request.get_json(silent=True) or {}
    try:
        numbers = [int(n) for n in data.get("numbers", [])]
    except (TypeError, ValueError):
        return _error(ops.UploadError(_("Those part numbers do not belong to this file.")))
    try:
        urls = ops.presign_parts(upload, numbers)
    except ops.UploadError as error:
        return _error(error)
    return jsonify(urls=urls)


@bp.post("/uploads/<token>/complete")
@login_required
def complete(token: str):
    upload = get_upload_or_404(token, current_user)
    try:
        ops.complete_parts(upload)
    except ops.UploadError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    return jsonify(media_state_json(upload.media))


@bp.get("/media/<int:media_id>/state")
@login_required
def state(media_id: int):
    media = get_own_media_or_404(current_user, media_id)
    return jsonify(media_state_json(media))


@bp.post("/media/<int:media_id>/retry")
@login_required
def retry(media_id: int):
    media = get_own_media_or_404(current_user, media_id)
    try:
        ops.retry_media(media)
    except ops.UploadError as error:
        if wants_json():
            return _error(error)
        flash(error.message, "error")
        return redirect(url_for("uploads.library"))
    db.session.commit()
    if wants_json():
        return jsonify(media_state_json(media))
    flash(_("The video is being processed again. This page shows its progress."), "success")
    return redirect(url_for("uploads.library"))


@bp.get("/m/<token>/<path:name>")
@login_required
def serve(token: str, name: str):
    """A file of a media item, by a URL signed for the current user and for what a page showed it
    for (see lms/uploads/access.py). The subject's checker is asked again here on every request, so
    the URL stops working the moment the viewer may no longer see the subject; failing that, the
    answer is 404, as for a stranger.

    Local storage is streamed with range requests. S3 redirects to a presigned URL that lives
    MEDIA_PRESIGN_SECONDS, issued after the check. HLS playlists are passed through, so their
    relative segment names come back here too: each segment request costs a token check and a few
    indexed reads (the viewer's membership, the subject), small beside the segment itself (seconds
    of video), and a viewer who loses access stops at the next segment.
    """
    grant = access.read(token, current_user.id)
    media = db.session.get(Media, grant.media_id) if grant else None
    if media is None or not access.may_fetch(current_user, media, grant.rendition, grant.subject):
        abort(404)
    if grant.rendition == Rendition.state:
        if name != "state":
            abort(404)
        return jsonify(media_state_json(media, current_user, grant.subject))
    key, mimetype, download_name = _served_key(media, grant.rendition, name)
    if key is None:
        abort(404)
    storage = get_storage()
    if mimetype == HLS_PLAYLIST and storage.supports_multipart:
        return _playlist_from_bucket(key)
    url = storage.presigned_get_url(key, current_app.config["MEDIA_PRESIGN_SECONDS"], filename=download_name,
                                    content_type=mimetype)
    if url:
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "no-store"  # the next request must pass the check again
        return response
    try:
        path = storage.path(key)
        response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=0)
    except (FileNotFoundError, ValueError):
        abort(404)
    # Kept by the browser only (range requests of one playback), and revalidated, which re-checks.
    response.headers["Cache-Control"] = "private, no-cache"
    if download_name:
        response.headers["Content-Disposition"] = content_disposition(download_name)
    return response


HLS_PLAYLIST = "application/vnd.apple.mpegurl"


def _served_key(media: Media, rendition: Rendition, name: str) -> tuple[str | None, str | None, str | None]:
    """(storage key, content type, download name) for the rendition a grant names and the name in
    its URL, which must agree; our content types, never the upload's."""
    nothing = None, None, None
    if rendition in (Rendition.original, Rendition.file):
        if name != "download" or (rendition == Rendition.file) != (media.kind == MediaKind.file):
            return nothing
        if media.state == MediaState.uploading or (rendition == Rendition.file and not media.is_ready):
            return nothing
        return media.original_key, "application/octet-stream", media.filename or "download"
    if media.state != MediaState.ready or media.kind != MediaKind.video:
        return nothing
    if rendition == Rendition.mp4 and name == "video.mp4":
        return media.mp4_key, "video/mp4", None
    if rendition == Rendition.poster and name == "poster.jpg":
        return media.poster_key, "image/jpeg", None
    if rendition == Rendition.hls and media.hls_prefix and name.startswith("hls/"):
        leaf = name[4:]
        if "/" in leaf or leaf.startswith("."):
            return nothing
        if leaf.endswith(".m3u8"):
            return f"{media.hls_prefix}/{leaf}", HLS_PLAYLIST, None
        if leaf.endswith(".ts"):
            return f"{media.hls_prefix}/{leaf}", "video/mp2t", None
    return nothing


def _playlist_from_bucket(key: str):
    """An HLS playlist read from the bucket and sent as is: its segment names are relative, so the
    player asks this view for each one (checked, then redirected to a short-lived presigned URL)."""
    try:
        text = b"".join(get_storage().iter_range(key))
    except FileNotFoundError:
        abort(404)
    response = make_response(text)
    response.mimetype = HLS_PLAYLIST
    response.headers["Cache-Control"] = "no-store"
    return response


# Templates of every domain sign media URLs for the page's viewer (after checking what the media
# belongs to) and show an item's live state.
bp.add_app_template_global(media_urls, "media_urls")
bp.add_app_template_global(media_state_json, "media_state_json")
bp.add_app_template_global(media_state_url, "media_state_url")
