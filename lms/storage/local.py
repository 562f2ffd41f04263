"""Local-disk storage under one root folder (the embedded default)."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

CHUNK = 1 << 20


class LocalStorage:
    """Objects are files under `root`; keys are relative paths. Served by the app, not presigned."""

    supports_multipart = False

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """The file behind `key`; refuses keys that would leave the root."""
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key outside the root: {key!r}")
        return path

    def put(self, key: str, stream: BinaryIO, content_type: str | None = None) -> int:
        """Write `stream` to the file of `key` atomically; return the byte count."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary name and rename: a crash never leaves half a file under the key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    out.write(chunk)
                    written += len(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return written

    def put_file(self, key: str, path: str | os.PathLike, content_type: str | None = None) -> int:
        """Copy the local file at `path` under `key` (atomically); return its size."""
        with open(path, "rb") as f:
            return self.put(key, f, content_type)

    def move_in(self, key: str, path: str | os.PathLike, content_type: str | None = None) -> int:
        """Rename the file at `path` to the file of `key` (copy and delete across disks); return its size."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = os.path.getsize(path)
        try:
            os.replace(path, target)
        except OSError:  # another file system: copy atomically, then let go of the source
            self.put_file(key, path)
            Path(path).unlink()
        return size

    def open(self, key: str) -> BinaryIO:
        """The file of `key` opened for reading; raises FileNotFoundError."""
        return open(self.path(key), "rb")

    def iter_range(self, key: str, start: int = 0, end: int | None = None, chunk: int = CHUNK) -> Iterator[bytes]:
        """Bytes start..end (inclusive) of the file in chunks; raises FileNotFoundError."""
        with self.open(key) as f:
            f.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                data = f.read(chunk if remaining is None else min(chunk, remaining))
                if not data:
                    break
                if remaining is not None:
                    remaining -= len(data)
                yield data

    def size(self, key: str) -> int:
        """The file's size; raises FileNotFoundError."""
        return self.path(key).stat().st_size

    def exists(self, key: str) -> bool:
        """Whether there is a file for `key`."""
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file; no error if it is already gone."""
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Remove the folder `prefix` and everything in it; refuses the root (ValueError)."""
        shutil.rmtree(self.path(prefix), ignore_errors=True)

    def copy(self, src_key: str, dst_key: str) -> None:
        """Copy a file to another key (atomically at the destination); raises FileNotFoundError."""
        with self.open(src_key) as f:
            self.put(dst_key, f)

    @contextmanager
    def local_path(self, key: str, suffix: str = "", dir: str | os.PathLike | None = None) -> Iterator[Path]:
        """The stored file itself (no copy; do not modify it); raises FileNotFoundError."""
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        yield path

    def presigned_get_url(
        self, key: str, expires: int = 3600, filename: str | None = None, content_type: str | None = None
    ) -> str | None:
        """Always None: local files are streamed by the app, which checks permissions first."""
        return None
