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
import struct
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from werkzeug.exceptions import ClientDisconnected

#: Bytes read from the client per step (at most: lms/uploads/body.py hands over what has arrived
#: where the server allows). A server's stream that waits for the whole step would not write what
#: a client sent into a step it never finished: so a request starts at FIRST_READ_BYTES, the step
#: doubles while reads come at once (up to READ_BYTES) and shrinks on a slow link (a read that
#: takes long) down to MIN_READ_BYTES. A body of lms/uploads/body.py is received into one buffer
#: of READ_BYTES per request, reused by every read and written to the file from (no allocation
#: or copy per read): 1 MiB reads cost a 1 GiB upload less CPU than 256 KiB ones
#: (scripts/bench/upload --gib).
READ_BYTES = 1024 * 1024
FIRST_READ_BYTES = 64 * 1024
MIN_READ_BYTES = 4 * 1024
SLOW_READ_SECONDS = 0.2
#: An fsync of the written bytes starts at least this often, in the background while the next bytes
#: arrive, and the request waits for the one before it first (so at most twice this is ever
#: unsynced); everything is fsync'd before a request answers, and a take-over fsyncs what the
#: request it replaces wrote since.
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

    Each read is written at once from the request's one buffer (so a take-over sees every byte
    that arrived); the fsyncs run beside the reads (a request is then about as fast as the slower
    of the network and the disk, not their sum).
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
    read_into = getattr(stream, "read_into", None)  # lms/uploads/body.py: into our buffer, no allocation
    buffer = memoryview(bytearray(min(READ_BYTES, count))) if read_into is not None else None
    writer = _Writer(path, generation, offset)
    try:
        remaining = count
        while remaining > 0:
            started = time.monotonic()
            try:
                if buffer is not None:
                    data = buffer[:read_into(buffer[:min(step, remaining)])]
                else:
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
            writer.write(data)
            remaining -= len(data)
    finally:
        position = writer.close()  # every byte read is written and fsync'd
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
    """Writes what a request reads at the end of the partial file, each write under the upload's
    lock after checking the generation; fsyncs every SYNC_BYTES (or SYNC_SECONDS) and at the end.

    The state file stays open for the whole request (a write costs a lock, a read of the state and
    the write itself, no path look-up); once it was deleted (the upload cancelled, expired or
    moved into storage) the writer is superseded too."""

    def __init__(self, path: Path, generation: int, position: int):
        self.generation, self.position = generation, position
        try:
            self.state = os.open(state_path(path), os.O_RDWR)
        except FileNotFoundError:  # deleted since the take-over
            raise Superseded() from None
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError:
            os.close(self.state)
            raise
        self.unsynced, self.synced_at = 0, time.monotonic()
        self.syncer: ThreadPoolExecutor | None = None  # started at the first fsync
        self.syncing: Future | None = None

    def write(self, data) -> None:
        """Write `data` (bytes or a memoryview) at the end; raises Superseded, or OSError (a full disk)."""
        fcntl.flock(self.state, fcntl.LOCK_EX)
        try:
            if os.fstat(self.state).st_nlink == 0 or _read_state(self.state)[0] != self.generation:
                raise Superseded()
            done = 0
            while done < len(data):
                done += os.pwrite(self.fd, data[done:], self.position + done)
        finally:
            fcntl.flock(self.state, fcntl.LOCK_UN)
        self.position += len(data)
        self.unsynced += len(data)
        if self.unsynced >= SYNC_BYTES or time.monotonic() - self.synced_at >= SYNC_SECONDS:
            self._sync_behind()

    def _sync_behind(self) -> None:
        """Start an fsync of what was written so far in the background, so the next bytes are received
        while the disk takes these; the one before must have ended first (at most 2 × SYNC_BYTES are
        ever unsynced). Outside the lock: it changes nothing a take-over could see."""
        self._wait_for_sync()
        if self.syncer is None:
            self.syncer = ThreadPoolExecutor(1, thread_name_prefix="upload-fsync")
        self.syncing = self.syncer.submit(os.fsync, self.fd)
        self.unsynced, self.synced_at = 0, time.monotonic()

    def _wait_for_sync(self) -> None:
        if self.syncing is not None:
            syncing, self.syncing = self.syncing, None
            syncing.result()  # raises what the fsync raised (a disk error)

    def close(self) -> int:
        """fsync what was written (what we acknowledge survives a power cut, not only a restart) and
        return the file's new end."""
        try:
            self._wait_for_sync()
            if self.unsynced:
                os.fsync(self.fd)
        finally:
            if self.syncer is not None:
                self.syncer.shutdown()
            os.close(self.fd)
            os.close(self.state)
        return self.position


def _check(fd: int, generation: int) -> None:
    if _read_state(fd)[0] != generation:
        raise Superseded()
