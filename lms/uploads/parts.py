"""The partial file of a chunked upload: appended to under a lock, its size is the upload's offset.

The file on disk is the truth: a server that crashed mid-request keeps every byte it wrote, and
the next HEAD reports exactly that many, so the browser resumes where the bytes stop.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import BinaryIO

from werkzeug.exceptions import ClientDisconnected

CHUNK = 1 << 20


class Busy(Exception):
    """Another request is writing to this upload right now."""


class OffsetMismatch(Exception):
    """The client's offset is not where the file ends."""

    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


def part_path(upload_dir: str | os.PathLike, token: str) -> Path:
    # The token is ours (random, URL-safe): never a user's file name.
    return Path(upload_dir) / f"{token}.part"


def current_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def append(path: Path, stream: BinaryIO, *, offset: int, count: int) -> tuple[int, bool]:
    """Append up to `count` bytes read from `stream` to the file at `path`, which must end at `offset`.

    Returns (the new size, whether all `count` bytes arrived). A client that disconnects mid-body
    keeps what was written. Raises OffsetMismatch or Busy.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy() from None
        size = os.fstat(f.fileno()).st_size
        if size != offset:
            raise OffsetMismatch(size)
        remaining = count
        complete = True
        while remaining > 0:
            try:
                data = stream.read(min(CHUNK, remaining))
            except (ClientDisconnected, ConnectionError, TimeoutError):
                data = b""
            if not data:
                complete = False
                break
            f.write(data)  # a full disk raises here: a server error, not the client's
            remaining -= len(data)
        f.flush()
        os.fsync(f.fileno())  # what we acknowledge survives a power cut, not only a restart
        return os.fstat(f.fileno()).st_size, complete
