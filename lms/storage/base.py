"""The storage interface every backend implements."""
from __future__ import annotations

from typing import BinaryIO, Iterator, Protocol


class Storage(Protocol):
    def put(self, key: str, stream: BinaryIO, content_type: str | None = None) -> int:
        """Store everything read from `stream` under `key` (chunk by chunk); return the byte count."""

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object; raises FileNotFoundError if there is none."""

    def iter_range(self, key: str, start: int = 0, end: int | None = None, chunk: int = 1 << 20) -> Iterator[bytes]:
        """The bytes start..end (inclusive, like HTTP ranges) of the object, in chunks."""

    def size(self, key: str) -> int:
        """The object's size in bytes; raises FileNotFoundError if there is none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""
