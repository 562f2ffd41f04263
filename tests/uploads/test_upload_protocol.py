"""The resumable upload protocol through the app: create, offset query, append, resume, cancel."""
from __future__ import annotations

import os

import pytest

from lms.extensions import db
from lms.storage import get_storage
from lms.uploads.models import Media, MediaState, Upload
from tests.uploads.helpers import CHUNK_TYPE, patch, start, upload_bytes


@pytest.fixture
def owner_client(make, login):
    user = make.user("Nini")
    return login(user), user


def test_finished_upload_matches_the_source_byte_for_byte(app, owner_client):
    """Do the stored bytes equal the file that was sent, whatever the chunking?"""
    client, user = owner_client
    data = os.urandom(300_000)
    body = upload_bytes(client, data, chunk=70_001, kind="file", filename="notes.pdf")
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready  # a plain file needs no processing
    assert media.received_at is not None and media.bytes == len(data)
    with get_storage().open(media.original_key) as f:
        assert f.read() == data
    assert not (_upload_dir(app) / f"{body['token']}.part").exists()  # moved into storage, not copied


def test_interrupted_upload_resumes_from_the_servers_offset(app, owner_client):
    """After a break, does HEAD report what arrived, and does sending the rest complete the file?"""
    client, _ = owner_client
    data = os.urandom(200_000)
    body = start(client, len(data), kind="file").get_json()
    assert patch(client, body["url"], data[:80_000], 0).status_code == 204

    head = client.head(body["url"])
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == "80000" and head.headers["Upload-Length"] == "200000"

    assert patch(client, body["url"], data[80_000:], 80_000).status_code == 204
    media = db.session.get(Media, body["media_id"])
    with get_storage().open(media.original_key) as f:
        assert f.read() == data


def test_wrong_offset_is_refused_with_the_real_one(owner_client):
    """Is a chunk sent for the wrong position refused (409) with the offset to resume from?"""
    client, _ = owner_client
    data = os.urandom(100_000)
    body = start(client, len(data), kind="file").get_json()
    patch(client, body["url"], data[:10_000], 0)
    for wrong in (0, 5_000, 20_000):
        response = patch(client, body["url"], data[wrong:wrong + 1000], wrong)
        assert response.status_code == 409
        assert response.get_json()["offset"] == 10_000
        assert response.headers["Upload-Offset"] == "10000"
    assert client.head(body["url"]).headers["Upload-Offset"] == "10000"


def test_more_bytes_than_announced_are_refused(owner_client):
    client, _ = owner_client
    body = start(client, 1000, kind="file").get_json()
    response = patch(client, body["url"], b"x" * 1001, 0)
    assert response.status_code == 413
    assert client.head(body["url"]).headers["Upload-Offset"] == "0"


@pytest.mark.parametrize("size, kind, status", [(0, "file", 400), (-5, "video", 400),
                                                 (3 * 1024**3, "video", 413), (300 * 1024**2, "file", 413)])
def test_empty_or_oversized_files_are_refused_before_any_byte(owner_client, size, kind, status):
    """Are an empty file and one over the limit refused at once, with a sentence saying so?"""
    client, _ = owner_client
    response = start(client, size, kind=kind)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_a_stranger_cannot_touch_someone_elses_upload(app, make, owner_client):
    """Does another signed-in user get 404 for every verb on an upload they did not start?"""
    client, _ = owner_client
    body = start(client, 1000, kind="file").get_json()
    other = app.test_client()
    from tests.fixtures.factories import sign_in

    sign_in(other, make.user())
    assert other.head(body["url"]).status_code == 404
    assert patch(other, body["url"], b"x" * 10, 0).status_code == 404
    assert other.delete(body["url"], headers={"X-CSRFToken": other.csrf_token()}).status_code == 404
    assert other.get(f"/media/{body['media_id']}/state").status_code == 404
    assert client.head(body["url"]).headers["Upload-Offset"] == "0"


def test_anonymous_cannot_start_an_upload(client):
    response = start(client, 100)
    assert response.status_code in (302, 401)


def test_patch_without_csrf_token_is_refused(owner_client):
    client, _ = owner_client
    body = start(client, 100, kind="file").get_json()
    response = client.patch(body["url"], data=b"x" * 10, headers={"Upload-Offset": "0", "Content-Type": CHUNK_TYPE})
    assert response.status_code == 400
    assert client.head(body["url"]).headers["Upload-Offset"] == "0"


def test_cancel_deletes_the_bytes_and_the_item(app, owner_client):
    client, _ = owner_client
    body = start(client, 1000, kind="file").get_json()
    patch(client, body["url"], b"x" * 500, 0)
    response = client.delete(body["url"], headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 204
    assert db.session.get(Media, body["media_id"]) is None
    assert db.session.scalar(db.select(Upload).where(Upload.token == body["token"])) is None
    assert not (_upload_dir(app) / f"{body['token']}.part").exists()
    assert client.head(body["url"]).status_code == 404


def test_abandoned_uploads_are_deleted_after_the_expiry(app, owner_client):
    """Is an upload that received nothing for UPLOAD_EXPIRY_HOURS removed, bytes and all?"""
    from datetime import timedelta

    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.uploads.operations import expire_uploads

    client, _ = owner_client
    old = start(client, 1000, kind="file").get_json()
    fresh = start(client, 1000, kind="file").get_json()
    patch(client, old["url"], b"x" * 100, 0)
    upload = db.session.scalar(db.select(Upload).where(Upload.token == old["token"]))
    upload.updated_at = utcnow() - timedelta(hours=app.config["UPLOAD_EXPIRY_HOURS"] + 1)
    db.session.commit()

    assert expire_uploads() == 1
    db.session.commit()
    assert db.session.get(Media, old["media_id"]) is None
    assert db.session.get(Media, fresh["media_id"]) is not None
    assert not (_upload_dir(app) / f"{old['token']}.part").exists()


def _upload_dir(app):
    from pathlib import Path

    path = Path(app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path
