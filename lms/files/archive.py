"""ZIP archives streamed from storage: entries are read object by object in chunks while the
response is sent, so neither memory nor disk ever holds the archive (zipstream-ng, stored, sized).

Plain functions over a storage object and keys, like lms/media: no Flask, no models."""
from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple

from zipstream import ZIP_STORED, ZipStream

#: Bytes read from storage at a time while an entry is sent.
CHUNK = 1 << 20


class Entry(NamedTuple):
    """One file of an archive: its path inside (made with lms.storage.names.safe_name parts) and where its bytes are: the
    storage object `key` of `size` bytes, or (key None) the few bytes of `data` themselves (a written answer)."""

    path: str
    key: str | None
    size: int
    data: bytes | None = None


def text_entry(path: str, text: str) -> Entry:
    """An entry holding `text` as UTF-8 (with Windows' line ends kept as written)."""
    data = text.encode("utf-8")
    return Entry(path, None, len(data), data)


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or "name (2).ext", "name (3).ext"… the first one not in `taken` (compared without case);
    adds it to `taken`."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    else:
        ext = "." + ext
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}){ext}"
    taken.add(candidate.casefold())
    return candidate


def zip_stream(storage, entries: Iterable[Entry], folders: Iterable[str] = (),
               chunk: int = CHUNK) -> tuple[Iterator[bytes], int]:
    """An archive of `entries` (and empty `folders`, paths ending in "/"), as (an iterator of its
    bytes, its exact size). Nothing is read until the iterator is: each entry's object is read from
    `storage` in `chunk`-byte pieces (a ranged GET on S3) as the archive is sent. An object smaller
    than its recorded size would make a broken archive: the sizes must be the stored ones."""
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    for path in folders:
        archive.add(None, path if path.endswith("/") else path + "/")
    for entry in entries:
        if entry.key is None:
            archive.add(entry.data or b"", entry.path)
        else:
            archive.add(_reader(storage, entry.key, chunk), entry.path, size=entry.size)
    return iter(archive), len(archive)


def _reader(storage, key: str, chunk: int) -> Iterator[bytes]:
    """The object's bytes, read only when the archive reaches its entry."""
    yield from storage.iter_range(key, chunk=chunk)
