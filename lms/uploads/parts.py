"""The partial file of a chunked upload: its size is the upload's offset; the newest request for it wins.

The file on disk is the truth: a server that crashed mid-request keeps every byte it wrote, and
the next HEAD reports exactly that many, so the client resumes where the bytes stop.

A request whose client vanished (a phone that lost its network, its socket never closed) must not
hold the upload until the socket times out. So no lock is ever held while waiting for the network:
every request that touches the upload first *takes it over* (`take_over`), which raises the
upload's generation number in `<token>.state`; a writer checks, under a short lock around each
write, that the generation is still its own, and stops for good once it is not. What the old
request wrote before that stays (the take-over fsyncs it), so the new request starts at once from
the last byte that arrived.

A chunk sent with a checksum is written straight into the file too (no copy of it is held), and
its start is recorded in the state file until the checksum is verified: if it does not match, or
its request never finishes, those bytes are cut off again (by the writer, or by the next
take-over after a crash).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import queue
import struct
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from werkzeug.exceptions import ClientDisconnected

#: Bytes read from the client per step (at most: lms/uploads/body.py hands over what has arrived
#: where the server allows). A server's stream that waits for the whole step would not write what
#: a client sent into a step it never finished: so a request starts at FIRST_READ_BYTES, the step
#: doubles while reads come at once (up to READ_BYTES) and shrinks on a slow link (a read that
#: takes long) down to MIN_READ_BYTES. The ceiling is small on purpose: a socket read allocates
#: the whole size asked for (the kernel hands over what has arrived, a few hundred KiB), and 4 MiB
#: asks made a 1 GiB upload twice as slow (scripts/bench/upload --gib: about a third of a durable
#: raw copy with 4 MiB, 57-72% with 256 KiB).
READ_BYTES = 256 * 1024
FIRST_READ_BYTES = 64 * 1024
MIN_READ_BYTES = 4 * 1024
SLOW_READ_SECONDS = 0.2
#: Written bytes are fsync'd at least this often (and at the end of each request; a take-over
#: fsyncs what the request it replaces wrote since).
SYNC_BYTES = 8 * 1024 * 1024
SYNC_SECONDS = 5.0

#: checksum algorithms of the tus checksum extension that we verify, by their tus names
CHECKSUMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}

_STATE = struct.Struct("<qqq")  # generation, start of an unverified chunk (-1: none), size last fsync'd


class Superseded(Exception):
    """A newer request took this upload over; this one must not write again."""


class OffsetMismatch(Exception):
    """The client's offset is not where the file ends."""

    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


class ChecksumMismatch(Exception):
    """The chunk's bytes do not match the checksum the client sent; they were discarded."""


def part_path(upload_dir: str | os.PathLike, token: str) -> Path:
    # The token is ours (random, URL-safe): never a user's file name.
    return Path(upload_dir) / f"{token}.part"


def state_path(path: Path) -> Path:
    return path.with_suffix(".state")


def current_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def remove(path: Path) -> None:
    """Delete the partial file and its state (an upload cancelled, expired or moved into storage)."""
    path.unlink(missing_ok=True)
    state_path(path).unlink(missing_ok=True)


@contextmanager
def _locked(path: Path) -> Iterator[int]:
    """The state file's descriptor, under an exclusive lock held only for a few system calls."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _read_state(fd: int) -> tuple[int, int, int]:
    data = os.pread(fd, _STATE.size, 0)
    return _STATE.unpack(data) if len(data) == _STATE.size else (0, -1, -1)


def _write_state(fd: int, generation: int, pending: int, synced: int) -> None:
    os.pwrite(fd, _STATE.pack(generation, pending, synced), 0)


def _cut(path: Path, size: int) -> None:
    if current_size(path) > size:
        os.truncate(path, size)


def take_over(path: Path) -> tuple[int, int]:
    """Make the calling request the upload's only writer from now on, without waiting for any other.

    Drops the unverified bytes of a checksummed chunk whose request never finished, makes what
    earlier requests wrote durable, and returns (the new generation, the size of the file).
    """
    with _locked(path) as fd:
        generation, pending, synced = _read_state(fd)
        if pending >= 0:
            _cut(path, pending)
        size = current_size(path)
        if size and size != synced:  # the request it replaces stopped before its last fsync
            part = os.open(path, os.O_RDONLY)
            try:
                os.fsync(part)
            finally:
                os.close(part)
        _write_state(fd, generation + 1, -1, size)
        return generation + 1, size


def append(path: Path, stream: BinaryIO, *, offset: int, count: int, generation: int,
           checksum: tuple[str, bytes] | None = None) -> tuple[int, bool]:
    """Append up to `count` bytes read from `stream` at `offset`, the end of the file, as the writer
    of `generation` (from `take_over`).

    Returns (the new size, whether all `count` bytes arrived). A client that disconnects mid-body
    keeps what was written, unless a `checksum` (algorithm, digest) was given: a chunk that
    cannot be verified is discarded whole. Raises OffsetMismatch, ChecksumMismatch, or Superseded
    once a newer request took over (what this one wrote until then is kept).

    The disk is written by a second thread while the next bytes are read (a request is then as
    fast as the slower of the network and the disk, not their sum); it holds at most two steps.
    """
    digest = CHECKSUMS[checksum[0]]() if checksum else None
    with _locked(path) as fd:
        _check(fd, generation)
        size = current_size(path)
        if size != offset:
            raise OffsetMismatch(size)
        if digest is not None:
            _write_state(fd, generation, offset, -1)
    complete = True
    step = FIRST_READ_BYTES
    writer = _Writer(path, generation, offset)
    try:
        remaining = count
        while remaining > 0:
            started = time.monotonic()
            try:
                data = stream.read(min(step, remaining))
            except (ClientDisconnected, OSError):
                data = b""
            took = time.monotonic() - started
            if took > SLOW_READ_SECONDS:
                step = max(MIN_READ_BYTES, step // 4)
            elif step < READ_BYTES and took < SLOW_READ_SECONDS / 10:
                step = min(READ_BYTES, step * 2)
            if not data:
                complete = False
                break
            if digest is not None:
                digest.update(data)
            writer.put(data)
            remaining -= len(data)
    finally:
        position = writer.close()  # every byte read is written and fsync'd (or the error raised)
    with _locked(path) as fd:
        _check(fd, generation)
        matches = digest is None or (complete and digest.digest() == checksum[1])
        if not matches:
            _cut(path, offset)
        _write_state(fd, generation, -1, position if matches else -1)
    if digest is None:
        return position, complete
    if complete and not matches:
        raise ChecksumMismatch()
    return (position if matches else offset), complete


class _Writer:
    """Writes the steps a request reads, in a thread of its own, each under the upload's lock after
    checking the generation; fsyncs every SYNC_BYTES (or SYNC_SECONDS) and at the end."""

    def __init__(self, path: Path, generation: int, position: int):
        self.path, self.generation, self.position = path, generation, position
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"upload-writer-{path.stem[:8]}", daemon=True)
        self.thread.start()

    def put(self, data: bytes) -> None:
        """Queue `data`; raises what stopped the writer (Superseded, a full disk) instead."""
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def close(self) -> int:
        """Wait until everything queued is written and fsync'd; return the file's new end. Raises
        what stopped the writer, if anything did (what it wrote until then stays)."""
        self.queue.put(None)
        self.thread.join()
        os.close(self.fd)
        if self.error is not None:
            raise self.error
        return self.position

    def _run(self) -> None:
        unsynced, synced_at = 0, time.monotonic()
        while (data := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the reader learns of the error at its next put or at close
            try:
                with _locked(self.path) as fd:
                    _check(fd, self.generation)
                    os.pwrite(self.fd, data, self.position)  # a full disk raises here: a server error
                self.position += len(data)
                unsynced += len(data)
                if unsynced >= SYNC_BYTES or time.monotonic() - synced_at >= SYNC_SECONDS:
                    os.fsync(self.fd)  # outside the lock: it changes nothing a take-over could see
                    unsynced, synced_at = 0, time.monotonic()
            except BaseException as error:  # handed to the request's thread
                self.error = error
        if self.error is None:
            try:
                os.fsync(self.fd)  # what we acknowledge survives a power cut, not only a restart
            except OSError as error:
                self.error = error


def _check(fd: int, generation: int) -> None:
    if _read_state(fd)[0] != generation:
        raise Superseded()
