"""Views of uploads: the resumable upload protocol (tus 1.0.0), media state, signed media URLs, the library page.

Protocol summary (for clients: the browser's uploader, tus-js-client/Uppy, tuspy, mobile tus clients)
---------------------------------------------------------------------------------------------------
tus 1.0.0 core with the extensions creation, creation-with-upload, termination, checksum and
expiration (https://tus.io/protocols/resumable-upload), on these URLs:

- `OPTIONS /uploads`: discovery, no sign-in needed. 204 with `Tus-Version: 1.0.0`,
  `Tus-Extension`, `Tus-Max-Size` (the largest upload allowed, a video's), `Tus-Checksum-Algorithm:
  sha1,md5,sha256`.
- `POST /uploads` with `Upload-Length` and `Upload-Metadata` creates an upload: 201, `Location:
  /uploads/<token>`, `Upload-Expires`, and a JSON body `{token, media_id, url, mode, offset,
  length}`. Metadata keys (base64 values, as tus wants): `filename` (or `name`; displayed only,
  never trusted), `filetype`/`type` (ignored: the bytes decide), `kind` (`video`, the default, or
  `file`), `max_seconds` (a tighter length limit, e.g. an assignment's), and what the upload is for:
  `circle_id`, or `purpose` with `purpose_id` (a domain registered the purpose in
  lms/uploads/access.py; not allowed answers 404; a domain may also record the new upload in the
  same transaction: an `assignment` video is the student's draft from its creation). A body with `Content-Type:
  application/offset+octet-stream` is the first chunk (creation-with-upload); the response then
  has `Upload-Offset`. `Upload-Defer-Length` is not supported (400). Over the size limit: 413
  before any byte. The same URL still takes the JSON body of the app's own widget
  (`{"filename", "size", "kind", "circle_id", "max_seconds"}`), whose answer adds `chunk_size`, or,
  with S3 storage, `mode: "s3"` and `part_size` for direct-to-bucket parts (below). Uploads
  created the tus way always go through the app, whatever the storage.
- `HEAD /uploads/<token>`: 200 with `Upload-Offset` (the bytes on disk), `Upload-Length`,
  `Upload-Metadata`, `Upload-Expires` (unfinished), `Cache-Control: no-store`. 404 for an unknown
  token or another user's upload, 410 once expired.
- `PATCH /uploads/<token>` with `Content-Type: application/offset+octet-stream`, `Upload-Offset`
  and `Content-Length` (any size up to the rest of `Upload-Length`: no other body cap), optionally
  `Upload-Checksum: <sha1|md5|sha256> <base64 digest>` of this request's body: 204 with the new
  `Upload-Offset` and `Upload-Expires`. 409 (with the server's `Upload-Offset`) when the offset is
  not where the bytes end, 413 past `Upload-Length`, 415 for another content type, 460 when the
  checksum does not match (the chunk's bytes are discarded; send it again), 400 for a checksum
  algorithm not listed. 403 with the reason as a plain-text body (JSON `{error: {message}}` when
  the request accepts JSON) once what the upload is for takes no more bytes, e.g. its assignment
  closed for this student (their extension and the late policy count): answered before any byte
  of the body is read, and final (tus-js-client and Uppy do not retry a 403); a HEAD still
  answers the offset. A creation for something that takes no upload now is refused the same way.
  Without a checksum every byte that arrives is kept, even if the connection drops mid-chunk;
  with one, a chunk cut short is discarded whole (it cannot be verified).
- The newest request wins: a HEAD or PATCH takes the upload over at once, and an older request
  still sending (a vanished phone whose socket is still open) stops before its next write; what it
  wrote is kept. So a client that lost its connection resumes with HEAD at once, never waiting.
- `DELETE /uploads/<token>`: 204. Unfinished: the upload and its media item are deleted. Finished:
  only the upload's URL ends (404 afterwards); the media item stays, since it may already be handed
  in (delete it from "My uploads").
- `POST /uploads/<token>` with `X-HTTP-Method-Override: PATCH|DELETE|HEAD` is that method.
- Every response of these URLs except OPTIONS has `Tus-Resumable: 1.0.0`. A request with another
  `Tus-Resumable` gets 412 with `Tus-Version`; a request without one is served the same way.
- Authentication is the app's: the session cookie, and the CSRF token of the session in an
  `X-CSRFToken` header on POST, PATCH and DELETE (a page's `<meta name="csrf-token">`; tus-js-client
  `headers: {"X-CSRFToken": token}`, tuspy `headers=`); over https Flask-WTF also wants a same-site
  `Referer`, which browsers send. Not signed in: 401.

With S3 storage the app's widget may instead PUT parts straight to the bucket with presigned URLs
(`GET`/`POST /uploads/<token>/parts`, then `POST /uploads/<token>/complete`); the web process never
carries those bytes.
"""
from __future__ import annotations

from datetime import datetime
from functools import wraps

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
from flask_babel import force_locale, gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from lms.core.errors import wants_json
from lms.core.i18n import browser_locale
from lms.extensions import db, limiter
from lms.storage import get_storage
from lms.storage.base import content_disposition
from lms.uploads import access, bp, tus
from lms.uploads import operations as ops
from lms.uploads.access import Rendition
from lms.uploads.body import open_body
from lms.uploads.models import Media, MediaKind, MediaState, Upload, UploadMode
from lms.uploads.queries import (
    get_own_media_or_404,
    get_upload_or_404,
    library as own_library,
    media_state_json,
    media_state_url,
    media_urls,
)

#: endpoints that speak tus (they get Tus-Resumable and the version check)
TUS_ENDPOINTS = frozenset({"uploads.create", "uploads.chunk"})


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "?"


def _error(error: ops.UploadError):
    if isinstance(error, ops.UploadRefused) and not wants_json():
        # A tus app shows (or logs) the body as it is: the reason in plain text. The page's uploader
        # asks for JSON and gets the same sentence there.
        response = make_response(error.message, error.status)
        response.mimetype = "text/plain"
        return response
    response = jsonify(error={"code": error.status, "message": error.message}, **error.extra)
    response.status_code = error.status
    if "offset" in error.extra:
        response.headers["Upload-Offset"] = str(error.extra["offset"])
    return response


def _unreadable():
    return _error(ops.UploadError(_("The upload request could not be read. Reload the page and try again.")))


def upload_login_required(view):
    """Like login_required, but a protocol client gets 401 instead of a redirect to the sign-in page."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _error(ops.UploadError(_("Your session has ended. Sign in again, then resume."), status=401))
        return view(*args, **kwargs)

    return wrapped


@bp.before_request
def _tus_version():
    if request.endpoint in TUS_ENDPOINTS and request.method != "OPTIONS" \
            and not tus.version_ok(request.headers.get("Tus-Resumable")):
        response = _error(ops.UploadError(_("This upload client speaks a version of the protocol the server "
                                            "does not."), status=412))
        response.headers["Tus-Version"] = tus.VERSION
        return response
    return None


@bp.after_request
def _tus_headers(response):
    if request.endpoint in TUS_ENDPOINTS and request.method != "OPTIONS":
        response.headers["Tus-Resumable"] = tus.VERSION
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/media/")
@login_required
def library():
    items = [(m, media_urls(m), media_state_json(m)) for m in own_library(current_user)]
    return render_template("uploads/library.html", items=items,
                           max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
                           max_seconds=current_app.config["MAX_VIDEO_SECONDS"])


@bp.route("/uploads", methods=["OPTIONS"], provide_automatic_options=False)
def discover():
    """tus discovery: what this server speaks."""
    config = current_app.config
    response = make_response("", 204)
    response.headers["Tus-Version"] = tus.VERSION
    response.headers["Tus-Extension"] = ",".join(tus.EXTENSIONS)
    response.headers["Tus-Max-Size"] = str(max(config["MAX_UPLOAD_BYTES"], config["MAX_FILE_BYTES"]))
    response.headers["Tus-Checksum-Algorithm"] = tus.checksum_algorithms()
    return response


@bp.post("/uploads")
@upload_login_required
@limiter.limit("120 per hour", key_func=_user_key)
def create():
    speaks_tus = "Upload-Length" in request.headers or "Upload-Defer-Length" in request.headers
    if speaks_tus:
        if "Upload-Length" not in request.headers:
            return _error(ops.UploadError(_("The upload needs the size of the file in advance.")))
        try:
            fields = tus.parse_metadata(request.headers.get("Upload-Metadata"))
            fields["size"] = tus.parse_length(request.headers["Upload-Length"])
        except tus.HeaderError:
            return _unreadable()
    else:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _unreadable()
        fields = data
    try:
        size = int(fields.get("size"))
        kind = MediaKind(fields.get("kind") or "video")
        max_seconds = int(fields["max_seconds"]) if fields.get("max_seconds") else None
        purpose = str(fields.get("purpose") or ("circle" if fields.get("circle_id") else ""))
        purpose_id = int(fields.get("purpose_id") or fields.get("circle_id")) if purpose else None
    except (TypeError, ValueError):
        return _unreadable()
    circle_id = None
    if purpose:
        try:
            circle_id = access.upload_circle(current_user, purpose, purpose_id)
        except LookupError:
            abort(404)
        except HTTPException as refusal:  # the purpose said why not (e.g. the assignment closed)
            if refusal.code != 403 or not getattr(refusal, "lms_message", False):
                raise
            return _error(ops.UploadRefused(refusal.description))
    try:
        upload = ops.start_upload(current_user, filename=str(fields.get("filename") or fields.get("name") or ""),
                                  size=size, kind=kind, circle_id=circle_id, max_seconds=max_seconds,
                                  through_app=speaks_tus, purpose=purpose or None, purpose_id=purpose_id)
    except ops.UploadError as error:
        return _error(error)
    if purpose:  # e.g. homework keeps it in the student's draft: nothing is lost if the page goes
        access.upload_created(current_user, purpose, purpose_id, upload.media)
    db.session.commit()
    body = {"token": upload.token, "media_id": upload.media_id, "mode": upload.mode.value,
            "url": url_for("uploads.chunk", token=upload.token), "offset": 0, "length": upload.length}
    if upload.mode == UploadMode.s3:
        body["part_size"] = upload.part_size
    else:
        body["chunk_size"] = current_app.config["UPLOAD_CHUNK_BYTES"]
    headers = {"Location": body["url"]}
    if speaks_tus and request.mimetype == tus.CHUNK_TYPE and (request.content_length or 0) > 0:
        try:
            body["offset"], _expires = _receive(upload, offset=0)  # creation-with-upload
        except ops.UploadError as error:
            response = _error(error)
            response.headers.update(headers)
            return response
        headers["Upload-Offset"] = str(body["offset"])
    response = jsonify(body)
    response.status_code = 201
    response.headers.update(headers)
    _set_expires(response, upload)
    return response


@bp.route("/uploads/<token>", methods=["HEAD", "PATCH", "DELETE", "POST"])
@upload_login_required
def chunk(token: str):
    method = request.method
    if method == "POST":
        method = request.headers.get("X-HTTP-Method-Override", "").upper()
        if method not in tus.OVERRIDABLE:
            return _error(ops.UploadError(_("This action is not allowed here."), status=405))
    upload = get_upload_or_404(token, current_user)
    if method == "HEAD":
        return _head(upload)
    if method == "DELETE":
        ops.end_upload(upload)
        db.session.commit()
        return "", 204
    if request.mimetype != tus.CHUNK_TYPE:
        return _error(ops.UploadError(_("The upload was sent in a form the server does not take."), status=415))
    try:
        offset = tus.parse_length(request.headers.get("Upload-Offset"))
    except tus.HeaderError:
        return _error(ops.UploadError(_("The upload was sent without its position. Reload the page and resume.")))
    try:
        new_offset, expires = _receive(upload, offset=offset)
    except ops.UploadError as error:
        return _error(error)
    response = make_response("", 204)
    response.headers["Upload-Offset"] = str(new_offset)
    if expires is not None:
        response.headers["Upload-Expires"] = tus.http_date(expires)
    return response


def _set_expires(response, upload: Upload) -> None:
    expires = ops.expires_at(upload)
    if expires is not None:
        response.headers["Upload-Expires"] = tus.http_date(expires)


def _head(upload: Upload):
    try:
        offset = ops.resume_offset(upload)
    except ops.UploadError as error:
        return _error(error)
    db.session.commit()
    response = make_response("", 200)
    response.headers["Upload-Offset"] = str(offset)
    response.headers["Upload-Length"] = str(upload.length)
    response.headers["Upload-Metadata"] = tus.encode_metadata(
        {"filename": upload.media.filename, "kind": upload.media.kind.value, "media_id": str(upload.media_id)})
    _set_expires(response, upload)
    return response


def _receive(upload: Upload, *, offset: int) -> tuple[int, datetime | None]:
    """Take in the request's body as the chunk at `offset` of `upload` and commit; return the new
    offset and when the upload now expires (None: complete). No database connection is held while
    the bytes arrive, however slowly, and none is taken after them unless the row must record them
    (ops.needs_record): in a deadline rush every PATCH's checkout counts against the pool. Raises
    UploadError (the transaction is rolled back); UploadRefused, before any byte of the body is
    read, once what the upload is for takes no more (the assignment closed for this student)."""
    _check_purpose(upload)
    count = request.content_length
    if count is None:
        raise ops.UploadError(_("The upload was sent without its length."), status=411)
    try:
        checksum = tus.parse_checksum(request.headers.get("Upload-Checksum"))
    except tus.HeaderError:
        raise ops.UploadError(_("The upload's checksum is of a kind the server does not check.")) from None
    try:
        plan = ops.begin_chunk(upload, offset=offset, count=count, checksum=checksum)
    except ops.UploadError:
        db.session.rollback()
        raise
    db.session.commit()  # the take-over is on disk; let the connection go back to the pool meanwhile
    new_offset, _complete = ops.write_chunk(plan, open_body(request.environ, count, request.stream))
    recorded_at = plan.recorded_at
    if ops.needs_record(plan, new_offset):
        upload = db.session.get(Upload, plan.upload_id)
        if upload is None:  # cancelled meanwhile
            abort(404)
        ops.end_chunk(upload, new_offset)
        recorded_at = upload.updated_at  # read before the commit expires it
        db.session.commit()
    return new_offset, (ops.expires_from(recorded_at) if new_offset < plan.length else None)


def _check_purpose(upload: Upload) -> None:
    """Raise UploadRefused when the purpose of `upload` takes no more bytes (one small query for a
    purpose that asks, none otherwise), its reason in the uploader's language: their profile's,
    else this request's, else the browser language remembered on their account (a phone's tus app
    may send no Accept-Language)."""
    if upload.is_complete or not upload.purpose:
        return
    user = current_user
    remembered = None if user.locale or browser_locale() else user.browser_locale
    if remembered:
        with force_locale(remembered):
            reason = access.upload_refusal(upload)
    else:
        reason = access.upload_refusal(upload)
    if reason:
        db.session.rollback()
        raise ops.UploadRefused(reason)


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
        _check_purpose(upload)  # direct-to-bucket parts: no URL for more bytes once the purpose refuses
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


@bp.post("/media/<int:media_id>/cancel")
@login_required
def cancel(media_id: int):
    """Delete an unfinished upload from "My uploads" (as a tus DELETE does): its media item, and
    its bytes after the commit, so its announced size no longer counts against the quota."""
    media = get_own_media_or_404(current_user, media_id)
    upload = media.upload
    if media.state != MediaState.uploading or upload is None or upload.is_complete:
        error = ops.UploadError(_("This upload is already complete, so there is nothing to cancel."), status=409)
        if wants_json():
            return _error(error)
        flash(error.message, "error")
        return redirect(url_for("uploads.library"))
    name = media.filename
    ops.cancel_upload(upload)
    db.session.commit()
    if wants_json():
        return "", 204
    flash(_("The unfinished upload of “%(name)s” was deleted; its storage is free again.", name=name), "success")
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
    key, mimetype, download_name = _served_key(media, grant.rendition, name, grant.issued_at)
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


def _served_key(media: Media, rendition: Rendition, name: str,
                issued_at: datetime | None = None) -> tuple[str | None, str | None, str | None]:
    """(storage key, content type, download name) for the rendition a grant names and the name in
    its URL, which must agree; our content types, never the upload's. A URL signed (`issued_at`)
    before the standard rendition replaced the web video gets the one it was given, while it is kept:
    a player's range requests never switch files mid-video."""
    nothing = None, None, None
    if rendition in (Rendition.original, Rendition.file):
        if name != "download" or (rendition == Rendition.file) != (media.kind == MediaKind.file):
            return nothing
        if media.state == MediaState.uploading or (rendition == Rendition.file and not media.is_ready):
            return nothing
        if rendition == Rendition.original and not (media.is_ready or media.is_failed):
            return nothing  # the job has not yet replaced it with its copy without GPS position and device
        return media.original_key, "application/octet-stream", media.filename or "download"
    if media.state != MediaState.ready or media.kind != MediaKind.video:
        return nothing
    earlier = bool(media.replaced_at and issued_at and issued_at < media.replaced_at)
    if rendition == Rendition.mp4 and name == "video.mp4":
        return (earlier and media.previous_mp4_key or media.mp4_key), "video/mp4", None
    if rendition == Rendition.poster and name == "poster.jpg":
        return media.poster_key, "image/jpeg", None
    if rendition == Rendition.hls and media.hls_prefix and name.startswith("hls/"):
        leaf = name[4:]
        if "/" in leaf or leaf.startswith("."):
            return nothing
        prefix = earlier and media.previous_hls_prefix or media.hls_prefix
        if leaf.endswith(".m3u8"):
            return f"{prefix}/{leaf}", HLS_PLAYLIST, None
        if leaf.endswith(".ts"):
            return f"{prefix}/{leaf}", "video/mp2t", None
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
