"""ZIP archives streamed from storage: entries are read object by object in chunks while the
response is sent, so neither memory nor disk ever holds the archive (zipstream-ng, stored, sized).

Plain functions over a storage object and keys, like lms/media: no Flask, no models."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Iterator, NamedTuple

from zipstream import ZIP_STORED, ZipStream

#: Bytes read from storage at a time while an entry is sent.
CHUNK = 1 << 20
#: Longest entry name component, in UTF-8 bytes (file systems take 255; room is left for " (2)").
NAME_BYTES = 200

#: Control characters, and the invisible format characters that reorder or hide text (bidi overrides
#: such as U+202E make "evil\u202Efdp.exe" look like "evilexe.pdf").
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Entry(NamedTuple):
    """One file of an archive: its path inside (made with `safe_name` parts) and where its bytes are."""

    path: str
    key: str
    size: int


def safe_name(name: str, fallback: str = "file") -> str:
    """A name that is safe as one part of an entry's path on every unpacking tool: no folder
    separators, no "." or "..", no control or bidi format characters, no trailing dots or spaces
    (Windows), at most NAME_BYTES of UTF-8 with the extension kept. Chinese and other letters stay."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    name = _UNSAFE.sub("", name).replace("/", "_").replace("\\", "_").replace(":", "_")
    name = name.strip().rstrip(". ")
    if not name or set(name) <= {"."}:
        return fallback
    if len(name.encode("utf-8")) > NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = (dot + ext) if dot and 0 < len(ext) <= 16 else ""
        stem = name[: len(name) - len(ext)] if ext else name
        while len((stem + ext).encode("utf-8")) > NAME_BYTES:
            stem = stem[:-1]
        name = stem.rstrip(". ") + ext
    return name


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
        archive.add(_reader(storage, entry.key, chunk), entry.path, size=entry.size)
    return iter(archive), len(archive)


def _reader(storage, key: str, chunk: int) -> Iterator[bytes]:
    """The object's bytes, read only when the archive reaches its entry."""
    yield from storage.iter_range(key, chunk=chunk)
