"""Small uploaded images (avatars, covers): accepted by their content, never by name or header."""
from __future__ import annotations

from typing import BinaryIO

from flask import Response, current_app

from lms.storage import get_storage, new_key

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(head: bytes) -> str | None:
    """The image type the first bytes prove, or None. SVG is never accepted (it can carry script)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message says why, for the user."""


def store_image(stream: BinaryIO, prefix: str) -> str:
    """Check and store an uploaded image; return its new storage key. Raises ImageRejected."""
    from flask_babel import gettext as _

    limit = current_app.config["MAX_IMAGE_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        raise ImageRejected(_("The file is empty."))
    if len(data) > limit:
        raise ImageRejected(_("The image is larger than %(mb)d MB. Choose a smaller one.", mb=limit // 1024**2))
    if sniff_image(data[:16]) is None:
        raise ImageRejected(_("This file is not a PNG, JPEG, GIF or WebP image."))
    import io

    key = new_key(prefix)
    get_storage().put(key, io.BytesIO(data))
    return key


def image_response(key: str) -> Response:
    """Serve a stored image with the type its bytes prove; never sniffed as HTML by the browser."""
    storage = get_storage()
    with storage.open(key) as f:
        data = f.read()
    kind = sniff_image(data[:16]) or "application/octet-stream"
    response = Response(data, mimetype=kind)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
