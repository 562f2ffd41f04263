"""The bytes of a file version: downloads (attachments) and previews (sandboxed), by URLs signed for their viewer."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Response, abort, current_app, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from lms.extensions import db
from lms.files import MEDIA_SUBJECT, bp
from lms.files.models import FileVersion
from lms.files.sniff import preview_kind
from lms.storage import get_storage
from lms.storage.base import content_disposition
from lms.uploads import access
from lms.uploads.access import Rendition, Subject
from lms.uploads.models import Media

#: Inline previews run in a sandbox: no script, no forms, no same-origin access, nothing loaded.
#: PDFs: browsers do not open them in a sandboxed document; their type is fixed (nosniff), nothing else loads.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
PDF_CSP = "default-src 'none'; img-src 'self' data:; frame-ancestors 'self'"


def signed_url(version: FileVersion, *, inline: bool = False) -> str:
    """The URL of a version's bytes, signed for the current viewer and for this version; checked
    again on every request (lms/uploads/access.py)."""
    token = access.sign(current_user.id, SimpleNamespace(id=version.media_id), Rendition.file,
                        Subject(MEDIA_SUBJECT, version.id))
    return url_for("files.view" if inline else "files.download", token=token)


# -- bytes ---------------------------------------------------------------------------------------------

def _granted_version(token: str) -> FileVersion:
    """The version a signed token names, if it was signed for the current user and they may still
    have it (asked again now); 404 otherwise, as for a stranger."""
    grant = access.read(token, current_user.id)
    if grant is None or grant.subject.kind != MEDIA_SUBJECT or grant.rendition != Rendition.file:
        abort(404)
    media = db.session.get(Media, grant.media_id)
    if media is None or not access.may_fetch(current_user, media, grant.rendition, grant.subject):
        abort(404)
    version = db.session.get(FileVersion, int(grant.subject.id))
    if version is None:
        abort(404)
    return version


def _download_name(version: FileVersion) -> str:
    file = version.file
    if version.id == file.current_version_id:
        return file.name
    stem, dot, ext = file.name.rpartition(".")
    return f"{stem} (v{version.number}).{ext}" if dot and stem else f"{file.name} (v{version.number})"


@bp.get("/files/get/<token>")
@login_required
def download(token: str):
    """A version's bytes as an attachment, under the file's name (RFC 6266), as an opaque type: a
    file is never opened in the app's origin, whatever it holds."""
    version = _granted_version(token)
    return _send(version, "application/octet-stream", content_disposition(_download_name(version)), attach=True)


@bp.get("/files/view/<token>")
@login_required
def view(token: str):
    """A version shown in the page (an image or a PDF): only the sniffed types a browser shows itself,
    from a sandboxed response; anything else is 404 (it is downloaded instead; audio and video play
    through the media pipeline)."""
    version = _granted_version(token)
    if preview_kind(version.content_type) not in ("image", "pdf"):
        abort(404)  # audio and video play what the media pipeline made of them (FileVersion.preview_media)
    return _send(version, version.content_type, content_disposition(_download_name(version), "inline"), attach=False)


def _send(version: FileVersion, mimetype: str, disposition: str, *, attach: bool):
    storage = get_storage()
    if attach:  # a download: straight from the bucket's origin when there is one, after our check
        url = storage.presigned_get_url(version.storage_key, current_app.config["MEDIA_PRESIGN_SECONDS"],
                                        filename=_download_name(version), content_type=mimetype)
        if url:
            response = redirect(url, 302)
            response.headers["Cache-Control"] = "no-store"
            return response
    if hasattr(storage, "path"):  # local disk: with range requests (seeking in a video)
        try:
            response = send_file(storage.path(version.storage_key), mimetype=mimetype, conditional=True,
                                 etag=True, max_age=0)
        except (FileNotFoundError, ValueError):
            abort(404)
    else:  # a bucket, shown inline: through the app in chunks, so the page's frame stays same-origin
        response = _from_bucket(storage, version, mimetype)
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if attach:
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    else:
        # Chrome's and Firefox's PDF viewers do not run in a sandboxed document; a PDF is not a
        # document of the app's origin either way (its type is fixed, nosniff), and nothing else loads.
        response.headers["Content-Security-Policy"] = PDF_CSP if version.content_type == "application/pdf" \
            else SANDBOX_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"  # the file's page frames a PDF
    return response


def _from_bucket(storage, version: FileVersion, mimetype: str) -> Response:
    """A version's bytes read from the bucket, with range requests passed through (one ranged GET):
    the browsers' PDF viewer and media elements ask for ranges to seek. A version's bytes never
    change, so its id is its validator (If-Range). A range past the end is 416; several ranges are
    answered with the whole file (allowed by RFC 9110)."""
    size = int(version.bytes)
    etag = f"v{version.id}"
    wanted = request.range
    if_range = request.if_range if "If-Range" in request.headers else None
    if wanted is not None and if_range is not None and (if_range.date is not None or if_range.etag != etag):
        wanted = None  # the browser's copy is of other bytes: send them whole
    span = None
    if wanted is not None and wanted.units == "bytes" and len(wanted.ranges) == 1:
        span = wanted.range_for_length(size)
        if span is None:
            response = Response(status=416)
            response.headers["Content-Range"] = f"bytes */{size}"
            response.headers["Accept-Ranges"] = "bytes"
            return response
    if span is None:
        response = Response(storage.iter_range(version.storage_key), mimetype=mimetype, direct_passthrough=True)
        response.headers["Content-Length"] = str(size)
    else:
        start, stop = span
        response = Response(storage.iter_range(version.storage_key, start, stop - 1), status=206, mimetype=mimetype,
                            direct_passthrough=True)
        response.headers["Content-Length"] = str(stop - start)
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response.headers["Accept-Ranges"] = "bytes"
    response.set_etag(etag)
    return response
