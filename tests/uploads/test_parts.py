"""The partial file of a chunked upload: the newest request wins, checksummed chunks are all or
nothing, and what a crash interrupts is finished later (files move only after the commit)."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from lms.extensions import db
from lms.storage import get_storage
from lms.uploads import operations as ops, parts
from lms.uploads.models import Media, MediaKind, MediaState, Upload


class Trickle(io.RawIOBase):
    """A request body that lets a test act between two reads (as another request would)."""

    def __init__(self, pieces: list[bytes], between=None):
        self.pieces = list(pieces)
        self.between = between
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        if self.reads and self.between:
            self.between(self.reads)
        self.reads += 1
        return self.pieces.pop(0) if self.pieces else b""


def test_an_older_request_stops_writing_once_a_newer_one_takes_over(tmp_path):
    """After a take-over, does the older writer stop at its next write and keep what it wrote?"""
    path = tmp_path / "t.part"
    old, _ = parts.take_over(path)
    taken = {}

    def newer_request_arrives(reads):
        if reads == 2:
            taken["generation"], taken["size"] = parts.take_over(path)

    body = Trickle([b"a" * 1000, b"b" * 1000, b"c" * 1000], between=newer_request_arrives)
    with pytest.raises(parts.Superseded):
        parts.append(path, body, offset=0, count=3000, generation=old)
    # What it read before the take-over stays (each read is written before the next one); nothing after.
    kept = taken["size"]
    assert kept == 2000 and path.read_bytes() == b"a" * 1000 + b"b" * 1000
    assert parts.append(path, io.BytesIO(b"d" * 500), offset=kept, count=500,
                        generation=taken["generation"]) == (kept + 500, True)
    assert path.read_bytes()[kept:] == b"d" * 500


def test_a_writer_stops_once_its_upload_is_deleted_and_leaves_no_file_behind(tmp_path):
    """An upload cancelled (or expired, or moved into storage) while a request still sends to it:
    does that request stop at its next write, without bringing back a file of the upload?"""
    path = tmp_path / "t.part"
    generation, _ = parts.take_over(path)

    def cancelled(reads):
        if reads == 1:
            parts.remove(path)

    with pytest.raises(parts.Superseded):
        parts.append(path, Trickle([b"a" * 1000, b"b" * 1000], between=cancelled), offset=0, count=2000,
                     generation=generation)
    assert sorted(tmp_path.iterdir()) == []


def test_a_checksummed_chunk_cut_short_is_dropped_by_the_next_take_over(tmp_path):
    """A chunk sent with a checksum whose request dies mid-way (a crash: nothing cleaned up) cannot
    be verified: does the next request start from before it?"""
    import hashlib

    path = tmp_path / "t.part"
    generation, _ = parts.take_over(path)
    parts.append(path, io.BytesIO(b"x" * 100), offset=0, count=100, generation=generation)

    def crash(reads):
        raise SystemExit  # the process dies between two reads: no clean-up runs

    digest = ("sha1", hashlib.sha1(b"y" * 200).digest())
    with pytest.raises(SystemExit):
        parts.append(path, Trickle([b"y" * 100, b"y" * 100], between=crash), offset=100, count=200,
                     generation=generation, checksum=digest)
    assert parts.current_size(path) == 200  # written, not yet verified
    assert parts.take_over(path)[1] == 100
    assert path.read_bytes() == b"x" * 100


@pytest.fixture
def upload(make):
    user = make.user()
    upload = ops.start_upload(user, filename="a.bin", size=10, kind=MediaKind.file)
    db.session.commit()
    return upload


def test_the_last_byte_moves_into_storage_only_after_the_commit(app, upload):
    """If the request that received the last byte fails before its commit, the bytes must still be
    in the partial file (nothing moved), and the upload resumable."""
    path = parts.part_path(app.config["UPLOAD_DIR"], upload.token)
    ops.receive_chunk(upload, io.BytesIO(b"0123456789"), offset=0, count=10)
    assert path.exists() and not get_storage().exists(upload.media.original_key)
    db.session.rollback()  # the commit failed
    assert path.read_bytes() == b"0123456789"
    upload = db.session.get(Upload, upload.id)
    assert not upload.is_complete
    assert ops.resume_offset(upload) == 10  # a HEAD finishes what the failed request could not record
    db.session.commit()
    assert not path.exists()
    with get_storage().open(upload.media.original_key) as f:
        assert f.read() == b"0123456789"
    assert db.session.get(Media, upload.media_id).state == MediaState.ready


def test_a_crash_between_the_commit_and_the_move_is_settled_by_the_sweep(app, upload, tmp_path, monkeypatch):
    """The server dies after committing the last byte but before moving the file: does the sweep
    move it into storage (and drop files of uploads that no longer exist)?"""
    # A folder of its own: files earlier tests left in the shared one are old enough for the sweep too.
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    path = parts.part_path(app.config["UPLOAD_DIR"], upload.token)
    ops.receive_chunk(upload, io.BytesIO(b"0123456789"), offset=0, count=10)
    db.session.info.pop("lms_after_commit", None)  # the process dies: no after-commit work runs
    db.session.commit()
    assert path.exists() and db.session.get(Upload, upload.id).is_complete
    orphan = Path(app.config["UPLOAD_DIR"]) / "gone-token.part"
    orphan.write_bytes(b"left behind")
    old = os.stat(path).st_mtime - 120
    for leftover in (path, parts.state_path(path), orphan):
        os.utime(leftover, (old, old))

    assert ops.settle_finished_parts() == 2
    assert not path.exists() and not parts.state_path(path).exists() and not orphan.exists()
    with get_storage().open(upload.media.original_key) as f:
        assert f.read() == b"0123456789"
