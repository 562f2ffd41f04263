"""Browser uploads straight to S3 with presigned multipart URLs, as the upload page does them."""
from __future__ import annotations

import hashlib
import os

import pytest
import requests

from lms.storage.s3 import MIN_PART_SIZE, S3Storage

#: Two full parts and a short last one.
SOURCE = os.urandom(2 * MIN_PART_SIZE + 123_457)


def parts_of(data: bytes) -> list[bytes]:
    return [data[i : i + MIN_PART_SIZE] for i in range(0, len(data), MIN_PART_SIZE)]


ORIGIN = "http://localhost"


def browser_put(url: str, body: bytes) -> str:
    """PUT one part the way the page's XHR does (body only, no AWS headers); return the ETag it can read."""
    with requests.put(url, data=body, headers={"Origin": ORIGIN}, timeout=30) as response:
        assert response.status_code == 200, response.text
        assert "ETag" in response.headers["Access-Control-Expose-Headers"]
        return response.headers["ETag"]


def test_presigned_multipart_upload_with_resume(s3_storage: S3Storage):
    """Does an upload interrupted after one part resume from list_parts and complete to identical bytes?"""
    key = "uploads/abc/original"
    upload_id = s3_storage.create_multipart(key, "video/mp4")
    chunks = parts_of(SOURCE)
    assert len(chunks) == 3

    first_etag = browser_put(s3_storage.presign_part(key, upload_id, 1, expires=600), chunks[0])
    # The connection drops here; the page reloads and asks what the store already has.
    assert s3_storage.list_parts(key, upload_id) == [(1, MIN_PART_SIZE, first_etag)]
    done = {number for number, _, _ in s3_storage.list_parts(key, upload_id)}
    for number, chunk in enumerate(chunks, start=1):
        if number not in done:
            browser_put(s3_storage.presign_part(key, upload_id, number), chunk)

    assert [(n, size) for n, size, _ in s3_storage.list_parts(key, upload_id)] == [
        (1, MIN_PART_SIZE),
        (2, MIN_PART_SIZE),
        (3, 123_457),
    ]
    s3_storage.complete_multipart(key, upload_id)

    assert s3_storage.size(key) == len(SOURCE)
    with requests.get(s3_storage.presigned_get_url(key), timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "video/mp4"
        assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(SOURCE).hexdigest()
    with pytest.raises(FileNotFoundError):
        s3_storage.list_parts(key, upload_id)  # the upload is finished


def test_complete_with_browser_etags(s3_storage: S3Storage):
    """Can the upload also be completed from the ETags the browser collected?"""
    key = "uploads/def/original"
    upload_id = s3_storage.create_multipart(key)
    etags = [
        (number, browser_put(s3_storage.presign_part(key, upload_id, number), chunk))
        for number, chunk in reversed(list(enumerate(parts_of(SOURCE), start=1)))
    ]
    s3_storage.complete_multipart(key, upload_id, etags)
    digest = hashlib.sha256()
    for chunk in s3_storage.iter_range(key):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(SOURCE).hexdigest()


def test_abort_discards_parts(s3_storage: S3Storage):
    """Does aborting leave no object and no upload, and can it be repeated safely?"""
    key = "uploads/ghi/original"
    upload_id = s3_storage.create_multipart(key)
    browser_put(s3_storage.presign_part(key, upload_id, 1), b"x" * 1000)
    s3_storage.abort_multipart(key, upload_id)
    s3_storage.abort_multipart(key, upload_id)
    assert not s3_storage.exists(key)
    with pytest.raises(FileNotFoundError):
        s3_storage.list_parts(key, upload_id)


def test_complete_needs_parts(s3_storage: S3Storage):
    """Is completing an upload that received nothing refused before asking the store?"""
    key = "uploads/jkl/original"
    upload_id = s3_storage.create_multipart(key)
    with pytest.raises(ValueError):
        s3_storage.complete_multipart(key, upload_id)
    s3_storage.abort_multipart(key, upload_id)


@pytest.mark.parametrize("number", [0, 10_001])
def test_part_numbers_are_bounded(s3_storage: S3Storage, number):
    """Are part numbers outside S3's 1..10,000 refused?"""
    with pytest.raises(ValueError):
        s3_storage.presign_part("k", "upload", number)


def test_ensure_bucket_sets_cors_and_lifecycle(s3_storage: S3Storage):
    """Does the bucket let the site's origin PUT parts and read ETags, and expire abandoned uploads?"""
    s3_storage.ensure_bucket(["http://localhost"], abort_incomplete_days=3)  # idempotent
    client = s3_storage.client
    [rule] = client.get_bucket_cors(Bucket=s3_storage.bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["http://localhost"]
    assert "PUT" in rule["AllowedMethods"]
    assert rule["ExposeHeaders"] == ["ETag"]
    [lifecycle] = client.get_bucket_lifecycle_configuration(Bucket=s3_storage.bucket)["Rules"]
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 3}

    upload_id = s3_storage.create_multipart("k")
    url = s3_storage.presign_part("k", upload_id, 1)
    for origin, allowed in ((ORIGIN, True), ("http://evil.example", False)):
        preflight = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
        with requests.options(url, headers=preflight, timeout=10) as response:
            assert (response.status_code == 200) is allowed
            if allowed:
                assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
                assert response.headers["Access-Control-Expose-Headers"] == "ETag"
    s3_storage.abort_multipart("k", upload_id)


def test_large_put_goes_multipart(s3_storage: S3Storage):
    """Is an object larger than the multipart threshold stored whole from a stream?"""
    data = os.urandom(17 * 1024 * 1024)

    class OneWay:
        def __init__(self):
            self.offset = 0

        def read(self, size=-1):
            assert size and size > 0
            chunk = data[self.offset : self.offset + size]
            self.offset += len(chunk)
            return chunk

    assert s3_storage.put("big.bin", OneWay()) == len(data)
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-2")  # assembled from two parts


def test_presigned_urls_use_the_public_endpoint(s3_config):
    """Are browser URLs signed for S3_PUBLIC_ENDPOINT_URL while the app talks to S3_ENDPOINT_URL?"""
    storage = S3Storage.from_config({**s3_config, "S3_PUBLIC_ENDPOINT_URL": "https://files.example.org"})
    storage.ensure_bucket()
    assert storage.client.meta.endpoint_url == s3_config["S3_ENDPOINT_URL"]
    assert storage.presigned_get_url("a/b").startswith(f"https://files.example.org/{storage.bucket}/a/b?")
    upload_id = storage.create_multipart("a/b")
    assert storage.presign_part("a/b", upload_id, 1).startswith("https://files.example.org/")
    storage.abort_multipart("a/b", upload_id)
