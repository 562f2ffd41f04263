"""With S3 storage, browsers PUT parts straight to the bucket (moto's HTTP server, real boto3)."""
from __future__ import annotations

import os

import pytest
import requests

from lms.extensions import db
from lms.uploads.models import Media, MediaState
from tests.uploads.helpers import start

MiB = 1024**2


@pytest.fixture
def s3_app(app, s3_storage, monkeypatch):
    monkeypatch.setitem(app.extensions, "lms_storage", s3_storage)
    monkeypatch.setitem(app.config, "S3_PART_BYTES", 5 * MiB)
    return app


def _put(url: str, data: bytes) -> int:
    with requests.put(url, data=data, timeout=30) as response:
        return response.status_code


def _json(client, method: str, url: str, body=None):
    return client.open(url, method=method, json=body, headers={"X-CSRFToken": client.csrf_token()})


def test_direct_upload_in_parts_resumes_and_completes(s3_app, s3_storage, make, login):
    """Can a browser upload parts with presigned URLs, learn after a break which parts arrived,
    send the rest and complete, with the object equal to the file byte for byte?"""
    client = login(make.user())
    data = os.urandom(11 * MiB)
    created = start(client, len(data), kind="file", filename="lecture-notes.zip")
    assert created.status_code == 201
    body = created.get_json()
    assert body["mode"] == "s3" and body["part_size"] == 5 * MiB
    size = body["part_size"]

    urls = _json(client, "POST", f"{body['url']}/parts", {"numbers": [1, 2, 3]}).get_json()["urls"]
    assert _put(urls["1"], data[:size]) == 200
    assert _put(urls["2"], data[size:2 * size]) == 200

    # The connection dropped here. The page asks what the bucket holds.
    listed = client.get(f"{body['url']}/parts").get_json()
    assert [(p["number"], p["size"]) for p in listed["parts"]] == [(1, size), (2, size)]
    early = _json(client, "POST", f"{body['url']}/complete")
    assert early.status_code == 409 and "10" in early.get_json()["error"]["message"]

    assert _put(urls["3"], data[2 * size:]) == 200
    done = _json(client, "POST", f"{body['url']}/complete")
    assert done.status_code == 200 and done.get_json()["state"] == "ready"
    media = db.session.get(Media, body["media_id"])
    with s3_storage.open(media.original_key) as f:
        assert f.read() == data
    # Downloads are redirected to a presigned URL of the bucket.
    download = client.get(done.get_json()["urls"]["download"])
    assert download.status_code == 302
    with requests.get(download.headers["Location"], timeout=30) as response:
        assert response.content == data
        assert "lecture-notes.zip" in response.headers["Content-Disposition"]


def test_part_numbers_outside_the_file_are_refused(s3_app, make, login):
    client = login(make.user())
    body = start(client, 6 * MiB, kind="file").get_json()
    for numbers in ([0], [3], [], ["x"]):
        assert _json(client, "POST", f"{body['url']}/parts", {"numbers": numbers}).status_code == 400


def test_video_uploaded_to_the_bucket_is_processed_from_it(s3_app, s3_storage, make, login, clips):
    """Is a video sent straight to the bucket validated, transcoded and stored back there?"""
    client = login(make.user())
    data = clips.valid.read_bytes()
    body = start(client, len(data)).get_json()
    urls = _json(client, "POST", f"{body['url']}/parts", {"numbers": [1]}).get_json()["urls"]
    _put(urls["1"], data)
    state = _json(client, "POST", f"{body['url']}/complete").get_json()
    assert state["state"] == "ready", state
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready and s3_storage.exists(media.mp4_key)
    video = client.get(state["urls"]["mp4"])
    assert video.status_code == 302
    with requests.get(video.headers["Location"], timeout=30) as response:
        assert response.headers["Content-Type"] == "video/mp4" and response.content[4:8] == b"ftyp"


def test_photo_file_uploaded_to_the_bucket_is_cleaned_there(s3_app, s3_storage, make, login):
    """Is a phone photo sent straight to the bucket as a file replaced there by its cleaned copy (no GPS
    position or device) before it is ready?"""
    from tests.fixtures.images import assert_clean, assert_upright, phone_jpeg

    client = login(make.user())
    data = phone_jpeg()
    body = start(client, len(data), kind="file", filename="IMG_2041.JPG").get_json()
    urls = _json(client, "POST", f"{body['url']}/parts", {"numbers": [1]}).get_json()["urls"]
    assert _put(urls["1"], data) == 200
    done = _json(client, "POST", f"{body['url']}/complete")
    assert done.status_code == 200
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready, media.error_code
    with s3_storage.open(media.original_key) as f:
        assert_upright(assert_clean(f.read()))
