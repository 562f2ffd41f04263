"""The HTTP response of a streamed ZIP, for the folders' and the assignments' downloads."""
from __future__ import annotations

from typing import Iterator

from flask import Response

from lms.storage.base import content_disposition


def zip_response(stream: Iterator[bytes], size: int, name: str) -> Response:
    """A ZIP download of known `size` (the browser shows its progress), sent as it is read from
    storage; never cached, never sniffed."""
    response = Response(stream, mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
