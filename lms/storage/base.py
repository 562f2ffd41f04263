"""The storage interface every backend implements."""
from __future__ import annotations

import os
import re
import unicodedata
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol
from urllib.parse import quote

from lms.storage.names import safe_name


class Storage(Protocol):
    #: True when browsers can upload straight into the store (presigned multipart).
    supports_multipart: bool

    def put(self, key: str, stream: BinaryIO, content_type: str | None = None) -> int:
        """Store everything read from `stream` under `key` (chunk by chunk); return the byte count."""

    def put_file(self, key: str, path: str | os.PathLike, content_type: str | None = None) -> int:
        """Store the local file at `path` under `key`; return its size."""

    def move_in(self, key: str, path: str | os.PathLike, content_type: str | None = None) -> int:
        """Store the local file at `path` under `key` and remove `path` (a rename when the store is
        the same disk); return the size."""

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object; raises FileNotFoundError if there is none."""

    def iter_range(self, key: str, start: int = 0, end: int | None = None, chunk: int = 1 << 20) -> Iterator[bytes]:
        """The bytes start..end (inclusive, like HTTP ranges) of the object, in chunks."""

    def size(self, key: str) -> int:
        """The object's size in bytes; raises FileNotFoundError if there is none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under the folder `prefix` (e.g. an HLS rendition); not the root."""

    def copy(self, src_key: str, dst_key: str) -> None:
        """Copy an object without holding it in memory; raises FileNotFoundError if `src_key` is missing."""

    def local_path(
        self, key: str, suffix: str = "", dir: str | os.PathLike | None = None
    ) -> AbstractContextManager[Path]:
        """A context manager giving a real file path with the object's bytes (for ffmpeg).

        The file is read-only by convention and may be the stored file itself; a temporary copy
        is made inside `dir` (default: the system temporary folder; a job passes its own work
        folder, so a crash leaves nothing elsewhere) and removed on exit. Raises FileNotFoundError
        if there is no such object.
        """

    def presigned_get_url(
        self, key: str, expires: int = 3600, filename: str | None = None, content_type: str | None = None
    ) -> str | None:
        """A time-limited URL the browser can fetch directly, or None when the app serves the file."""


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A Content-Disposition value for `filename` per RFC 6266: an ASCII fallback plus `filename*`.

    The name is first made safe by the rule every ZIP entry follows (lms.storage.names.safe_name: no
    separators, control or bidi characters, none of Windows' forbidden ones, no device names), so a file
    saved alone is named as it is inside a ZIP. The fallback drops everything else that could break the
    header (quotes, non-ASCII); the UTF-8 `filename*` keeps the real name for current browsers.
    """
    name = safe_name(filename, "download")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r'[^A-Za-z0-9!#$&+.^_`|~ ()\[\]{},;=@-]', "_", ascii_name).strip()
    stem, dot, ext = ascii_name.rpartition(".")
    if not re.search(r"[A-Za-z0-9]", stem if dot else ascii_name):
        ascii_name = "download" + (dot + ext if dot else "")
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value
