"""The same storage behaviour on local disk and on S3."""
from __future__ import annotations

import hashlib
import io
import os

import pytest
import requests

from lms.storage.base import content_disposition

DATA = os.urandom(3 * 1024 * 1024 + 123)


class ChunkedStream(io.RawIOBase):
    """A one-way stream like a request body: short reads, and it must never be read whole."""

    def __init__(self, data: bytes):
        self.buffer = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = self.buffer.read()
            assert not rest, "storage read the rest of the stream in one call"
            return rest
        return self.buffer.read(min(size, 100_000))


def read_all(storage, key: str) -> bytes:
    with storage.open(key) as f:
        return f.read()


def test_put_open_size_exists_delete(storage):
    """Does an object stored from a stream come back byte for byte, and go away when deleted?"""
    assert storage.put("media/a.bin", ChunkedStream(DATA), "application/octet-stream") == len(DATA)
    assert storage.exists("media/a.bin")
    assert storage.size("media/a.bin") == len(DATA)
    assert read_all(storage, "media/a.bin") == DATA

    storage.delete("media/a.bin")
    assert not storage.exists("media/a.bin")
    storage.delete("media/a.bin")  # already gone: no error


def test_put_empty_object(storage):
    """Can an empty object be stored and read, including as a range?"""
    assert storage.put("empty", io.BytesIO(b"")) == 0
    assert storage.size("empty") == 0
    assert b"".join(storage.iter_range("empty")) == b""


def test_missing_object_raises_file_not_found(storage):
    """Does every read of a missing key raise FileNotFoundError, whatever the backend?"""
    assert not storage.exists("nope")
    with pytest.raises(FileNotFoundError):
        storage.size("nope")
    with pytest.raises(FileNotFoundError):
        storage.open("nope")
    with pytest.raises(FileNotFoundError):
        b"".join(storage.iter_range("nope"))
    with pytest.raises(FileNotFoundError):
        storage.copy("nope", "other")
    with pytest.raises(FileNotFoundError):
        with storage.local_path("nope"):
            pass


@pytest.mark.parametrize(
    "start, end",
    [(0, None), (0, 0), (10, 20), (5, None), (len(DATA) - 1, len(DATA) - 1), (1000, len(DATA) + 5000)],
)
def test_iter_range(storage, start, end):
    """Does iter_range return exactly the inclusive byte range, clipped at the end of the object?"""
    storage.put("r.bin", io.BytesIO(DATA))
    chunks = list(storage.iter_range("r.bin", start, end, chunk=256 * 1024))
    expected = DATA[start : None if end is None else end + 1]
    assert b"".join(chunks) == expected
    assert all(len(c) <= 256 * 1024 for c in chunks)


def test_iter_range_past_the_end_is_empty(storage):
    """Does a range that starts after the last byte yield nothing (like reading past EOF)?"""
    storage.put("r.bin", io.BytesIO(b"0123456789"))
    assert b"".join(storage.iter_range("r.bin", 10)) == b""
    assert b"".join(storage.iter_range("r.bin", 50, 60)) == b""


def test_copy(storage):
    """Is a copy an independent object with the same bytes?"""
    storage.put("src.bin", io.BytesIO(DATA))
    storage.copy("src.bin", "copies/dst.bin")
    storage.delete("src.bin")
    assert read_all(storage, "copies/dst.bin") == DATA


def test_put_file_and_local_path(storage, tmp_path):
    """Does a local file go in with put_file, and come out as a real path ffmpeg can read?"""
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    assert storage.put_file("files/x.bin", source) == len(DATA)

    with storage.local_path("files/x.bin", suffix=".bin") as path:
        assert path.is_file()
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(DATA).digest()
    if storage.supports_multipart:  # S3: the downloaded copy is removed afterwards
        assert not path.exists()
        assert not path.parent.exists()


def test_delete_prefix_removes_only_that_folder(storage):
    """Does delete_prefix remove a folder's objects but not a sibling sharing the name's start?"""
    for key in ("hls/abc/index.m3u8", "hls/abc/seg_00000.ts", "hls/abc/sub/seg.ts", "hls/abcd/keep.ts"):
        storage.put(key, io.BytesIO(b"x"))
    storage.delete_prefix("hls/abc")
    assert not storage.exists("hls/abc/index.m3u8")
    assert not storage.exists("hls/abc/sub/seg.ts")
    assert storage.exists("hls/abcd/keep.ts")
    storage.delete_prefix("hls/abc")  # nothing left: no error
    with pytest.raises(ValueError):
        storage.delete_prefix("")


def test_presigned_get(storage):
    """Does an S3 presigned URL download the object (as an attachment when named); does local say None?"""
    storage.put("v/clip.mp4", io.BytesIO(DATA), "video/mp4")
    url = storage.presigned_get_url("v/clip.mp4", expires=600, filename="作业 1 \"final\".mp4")
    if not storage.supports_multipart:
        assert url is None
        return
    with requests.get(url, timeout=10) as response:
        assert response.status_code == 200
        assert response.content == DATA
        assert response.headers["Content-Disposition"] == content_disposition("作业 1 \"final\".mp4")
    plain = storage.presigned_get_url("v/clip.mp4", content_type="application/octet-stream")
    with requests.get(plain, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert "Content-Disposition" not in response.headers


def test_local_keys_cannot_leave_the_root(tmp_path):
    """Can a key with .. reach a file outside the storage root?"""
    from lms.storage.local import LocalStorage

    storage = LocalStorage(tmp_path / "root")
    for key in ("../outside", "a/../../outside", "/etc/passwd"):
        with pytest.raises(ValueError):
            storage.put(key, io.BytesIO(b"x"))
    assert not (tmp_path / "outside").exists()


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("report.pdf", 'attachment; filename="report.pdf"'),
        ("作业.mp4", "attachment; filename=\"download.mp4\"; filename*=UTF-8''%E4%BD%9C%E4%B8%9A.mp4"),
        # a quote is one of Windows' forbidden characters: "_", as inside a ZIP (lms.storage.names)
        ('a"b\\c\r\n.mp4', 'attachment; filename="a_b_c.mp4"'),
        ("Über.mov", "attachment; filename=\"Uber.mov\"; filename*=UTF-8''%C3%9Cber.mov"),
    ],
)
def test_content_disposition(filename, expected):
    """Is the header RFC 6266 shaped: a harmless ASCII fallback plus the real name in filename*?"""
    assert content_disposition(filename) == expected
