"""The tus 1.0.0 resumable upload protocol's headers: versions, extensions, metadata, checksums, dates.

Plain functions over header values, no views; lms/uploads/routes.py speaks the protocol with them.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from email.utils import format_datetime

from lms.uploads.parts import CHECKSUMS

VERSION = "1.0.0"
#: what OPTIONS announces; the order is tusd's
EXTENSIONS = ("creation", "creation-with-upload", "termination", "checksum", "expiration")
CHUNK_TYPE = "application/offset+octet-stream"
#: methods a client behind a proxy that only lets GET and POST through may tunnel in a POST
OVERRIDABLE = frozenset({"PATCH", "DELETE", "HEAD"})
#: status of a chunk whose checksum does not match (the checksum extension's own code)
CHECKSUM_MISMATCH = 460


class HeaderError(ValueError):
    """A tus header that cannot be read."""


def version_ok(value: str | None) -> bool:
    """Whether a request's Tus-Resumable is one we speak; a request without one is the app's own
    widget (or a plain HTTP client), which the same routes serve."""
    return value is None or value.strip() == VERSION


def parse_metadata(value: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (a key alone means an empty value).
    Values are decoded as UTF-8 (with replacement: they are only ever displayed or parsed by us).
    Raises HeaderError for a malformed header."""
    result: dict[str, str] = {}
    if not value or not value.strip():
        return result
    for pair in value.split(","):
        parts = pair.strip().split(" ")
        if not parts[0] or len(parts) > 2 or parts[0] in result:
            raise HeaderError("Upload-Metadata")
        try:
            raw = base64.b64decode(parts[1], validate=True) if len(parts) == 2 else b""
        except (binascii.Error, ValueError):
            raise HeaderError("Upload-Metadata") from None
        result[parts[0]] = raw.decode("utf-8", "replace")
    return result


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" if v else k for k, v in metadata.items())


def parse_checksum(value: str | None) -> tuple[str, bytes] | None:
    """Upload-Checksum: `algorithm base64digest`, or None when absent. Raises HeaderError for an
    algorithm we do not verify or a digest of the wrong form."""
    if value is None:
        return None
    try:
        name, encoded = value.strip().split(" ")
        digest = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise HeaderError("Upload-Checksum") from None
    name = name.lower()
    if name not in CHECKSUMS or len(digest) != CHECKSUMS[name]().digest_size:
        raise HeaderError("Upload-Checksum")
    return name, digest


def parse_length(value: str | None) -> int:
    """A non-negative decimal header value (Upload-Length, Upload-Offset). Raises HeaderError."""
    if value is None or not value.strip().isdigit():
        raise HeaderError("length")
    return int(value)


def http_date(moment: datetime) -> str:
    """An RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as Upload-Expires wants."""
    return format_datetime(moment, usegmt=True)


def checksum_algorithms() -> str:
    return ",".join(CHECKSUMS)
