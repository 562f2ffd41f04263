"""tus 1.0.0 through the app: discovery, version check, creation (with upload), offsets, checksums,
expiration, termination and method override, as a standard tus client speaks them."""
from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from lms.core.types import utcnow
from lms.extensions import db
from lms.storage import get_storage
from lms.uploads import tus
from lms.uploads.models import Media, MediaState, Upload
from tests.fixtures.factories import sign_in

TUS = {"Tus-Resumable": "1.0.0"}


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in values.items())


def create(client, length: int, body: bytes | None = None, **metadata):
    headers = {**TUS, "Upload-Length": str(length), "X-CSRFToken": client.csrf_token(),
               "Upload-Metadata": meta(**({"filename": "clip.bin", "kind": "file"} | metadata))}
    if body is not None:
        headers["Content-Type"] = tus.CHUNK_TYPE
    return client.post("/uploads", data=body or b"", headers=headers)


def patch(client, url: str, data: bytes, offset: int, **headers):
    return client.patch(url, data=data, headers={**TUS, "Upload-Offset": str(offset), "Content-Type": tus.CHUNK_TYPE,
                                                "X-CSRFToken": client.csrf_token(), **headers})


def checksum(name: str, data: bytes) -> str:
    return f"{name} {base64.b64encode(hashlib.new(name, data).digest()).decode()}"


def stored(media_id: int) -> bytes:
    media = db.session.get(Media, media_id)
    with get_storage().open(media.original_key) as f:
        return f.read()


@pytest.fixture
def owner(make, login):
    user = make.user("Ana")
    return login(user), user


def test_options_announces_version_extensions_size_and_checksums(client, app, make):
    """Does OPTIONS tell a tus client what this server speaks, without a sign-in?"""
    make.user()  # the site is set up (an empty site sends every request to its set-up page)
    response = client.options("/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation", "creation-with-upload", "termination", "checksum", "expiration"}
    assert int(response.headers["Tus-Max-Size"]) == app.config["MAX_UPLOAD_BYTES"]
    assert set(response.headers["Tus-Checksum-Algorithm"].split(",")) >= {"sha1", "md5", "sha256"}
    assert "Tus-Resumable" not in response.headers


def test_another_protocol_version_gets_412_with_the_supported_one(owner):
    client, _ = owner
    response = client.post("/uploads", headers={"Tus-Resumable": "0.2.2", "Upload-Length": "10",
                                                "X-CSRFToken": client.csrf_token()})
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"
    assert db.session.scalar(db.select(db.func.count(Upload.id))) == 0


def test_creation_with_metadata_then_chunks_end_byte_for_byte(owner):
    """Does POST with Upload-Length and Upload-Metadata create the upload (201, Location, expiry),
    and do HEAD and PATCH carry Tus-Resumable and the offsets a tus client expects?"""
    client, user = owner
    data = os.urandom(250_000)
    created = create(client, len(data), filename="notes 笔记.pdf")
    assert created.status_code == 201
    url = created.headers["Location"]
    assert url.startswith("/uploads/") and created.headers["Tus-Resumable"] == "1.0.0"
    expires = parsedate_to_datetime(created.headers["Upload-Expires"])
    assert timedelta(hours=47) < expires - utcnow() <= timedelta(hours=48)
    media = db.session.get(Media, created.get_json()["media_id"])
    assert media.owner_id == user.id and media.filename == "notes 笔记.pdf" and media.kind.value == "file"

    head = client.head(url, headers=TUS)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "0"
    assert head.headers["Upload-Length"] == str(len(data)) and head.headers["Tus-Resumable"] == "1.0.0"
    assert head.headers["Cache-Control"] == "no-store"
    assert tus.parse_metadata(head.headers["Upload-Metadata"])["filename"] == "notes 笔记.pdf"

    first = patch(client, url, data[:100_000], 0)
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "100000"
    assert first.headers["Tus-Resumable"] == "1.0.0" and "Upload-Expires" in first.headers
    last = patch(client, url, data[100_000:], 100_000)
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(data))
    assert stored(media.id) == data
    assert db.session.get(Media, media.id).state == MediaState.ready


def test_creation_with_upload_keeps_the_body_of_the_post(owner):
    client, _ = owner
    data = os.urandom(90_000)
    created = create(client, len(data), body=data[:40_000])
    assert created.status_code == 201 and created.headers["Upload-Offset"] == "40000"
    assert patch(client, created.headers["Location"], data[40_000:], 40_000).status_code == 204
    assert stored(created.get_json()["media_id"]) == data


def test_a_whole_file_over_32_mib_in_one_patch(owner):
    """Is a single PATCH larger than 32 MiB (a tus client with no chunk size) taken whole?"""
    client, _ = owner
    data = os.urandom(33 * 1024 * 1024 + 5)
    created = create(client, len(data))
    response = patch(client, created.headers["Location"], data, 0)
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(data))
    assert stored(created.get_json()["media_id"]) == data


def test_metadata_and_headers_that_cannot_be_read_are_refused(owner):
    client, _ = owner
    bad = {**TUS, "X-CSRFToken": client.csrf_token()}
    assert client.post("/uploads", headers={**bad, "Upload-Length": "ten"}).status_code == 400
    assert client.post("/uploads", headers={**bad, "Upload-Length": "10",
                                            "Upload-Metadata": "filename !!!"}).status_code == 400
    assert client.post("/uploads", headers={**bad, "Upload-Defer-Length": "1"}).status_code == 400
    too_big = create(client, 300 * 1024**2)  # a file over MAX_FILE_BYTES
    assert too_big.status_code == 413 and too_big.get_json()["error"]["message"]
    assert db.session.scalar(db.select(db.func.count(Upload.id))) == 0


@pytest.mark.parametrize("algorithm", ["sha1", "md5", "sha256"])
def test_checksum_that_matches_is_kept_and_one_that_does_not_is_460_and_discarded(owner, algorithm):
    """Is a chunk whose Upload-Checksum is wrong refused with 460 and none of its bytes kept, while
    the right checksum is accepted?"""
    client, _ = owner
    data = os.urandom(120_000)
    url = create(client, len(data)).headers["Location"]
    good = patch(client, url, data[:50_000], 0, **{"Upload-Checksum": checksum(algorithm, data[:50_000])})
    assert good.status_code == 204 and good.headers["Upload-Offset"] == "50000"

    wrong = patch(client, url, data[50_000:], 50_000, **{"Upload-Checksum": checksum(algorithm, b"other")})
    assert wrong.status_code == 460
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "50000"

    again = patch(client, url, data[50_000:], 50_000, **{"Upload-Checksum": checksum(algorithm, data[50_000:])})
    assert again.status_code == 204 and again.headers["Upload-Offset"] == str(len(data))


def test_unknown_checksum_algorithm_is_400(owner):
    client, _ = owner
    url = create(client, 10).headers["Location"]
    response = patch(client, url, b"x" * 10, 0, **{"Upload-Checksum": "crc32 AAAAAA=="})
    assert response.status_code == 400
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "0"


def test_an_expired_upload_answers_410_then_404_once_swept(app, owner):
    """Past Upload-Expires, does the upload answer 410 Gone, and 404 after the sweep deleted it?"""
    from lms.uploads.operations import expire_uploads

    client, _ = owner
    url = create(client, 1000).headers["Location"]
    patch(client, url, b"x" * 100, 0)
    upload = db.session.scalar(db.select(Upload))
    upload.updated_at = utcnow() - timedelta(hours=app.config["UPLOAD_EXPIRY_HOURS"], seconds=1)
    db.session.commit()
    assert client.head(url, headers=TUS).status_code == 410
    assert patch(client, url, b"x" * 100, 100).status_code == 410
    assert expire_uploads() == 1
    db.session.commit()
    assert client.head(url, headers=TUS).status_code == 404


def test_a_patch_asks_the_database_nothing_once_its_bytes_are_in(owner, count_queries, monkeypatch):
    """In a deadline rush every PATCH's database work counts against the upload process's pool: once
    the bytes are written, does a chunk that need not be recorded answer (with its Upload-Expires)
    without another query, and does the last chunk record the upload?"""
    from lms.uploads import operations as ops

    client, _ = owner
    url = create(client, 300_000).headers["Location"]
    written_at: list[int] = []
    write_chunk = ops.write_chunk

    def marked(plan, stream):
        result = write_chunk(plan, stream)
        written_at.append(len(counter.statements))
        return result

    monkeypatch.setattr(ops, "write_chunk", marked)
    with count_queries as counter:
        response = patch(client, url, b"x" * 100_000, 0)
    assert response.status_code == 204 and response.headers["Upload-Offset"] == "100000"
    assert counter.statements[written_at[0]:] == []
    head = client.head(url, headers=TUS)
    assert response.headers["Upload-Expires"] == head.headers["Upload-Expires"]

    with count_queries as counter:
        last = patch(client, url, b"x" * 200_000, 100_000)
    assert last.status_code == 204 and "Upload-Expires" not in last.headers
    assert any("UPDATE uploads" in s for s in counter.statements[written_at[1]:])  # recorded complete


def test_terminating_an_unfinished_upload_deletes_it_and_its_bytes(app, owner):
    client, _ = owner
    created = create(client, 1000)
    url = created.headers["Location"]
    patch(client, url, b"x" * 400, 0)
    response = client.delete(url, headers={**TUS, "X-CSRFToken": client.csrf_token()})
    assert response.status_code == 204 and response.headers["Tus-Resumable"] == "1.0.0"
    assert db.session.get(Media, created.get_json()["media_id"]) is None
    assert client.head(url, headers=TUS).status_code == 404
    assert not list(Path(app.config["UPLOAD_DIR"]).glob(f"{created.get_json()['token']}.*"))


def test_terminating_a_finished_upload_ends_its_url_and_keeps_the_media(owner):
    """A finished upload's DELETE (a tus client cleaning up) must not take the student's video away:
    the URL answers 404 afterwards, the media item and its bytes stay."""
    client, _ = owner
    data = os.urandom(5000)
    created = create(client, len(data), body=data)
    url = created.headers["Location"]
    response = client.delete(url, headers={**TUS, "X-CSRFToken": client.csrf_token()})
    assert response.status_code == 204
    assert client.head(url, headers=TUS).status_code == 404
    assert stored(created.get_json()["media_id"]) == data


def test_method_override_on_post(owner):
    """Do PATCH, HEAD and DELETE tunnelled in a POST with X-HTTP-Method-Override work?"""
    client, _ = owner
    url = create(client, 300).headers["Location"]
    over = {**TUS, "X-CSRFToken": client.csrf_token()}
    sent = client.post(url, data=b"y" * 100, headers={**over, "X-HTTP-Method-Override": "PATCH",
                                                      "Upload-Offset": "0", "Content-Type": tus.CHUNK_TYPE})
    assert sent.status_code == 204 and sent.headers["Upload-Offset"] == "100"
    head = client.post(url, headers={**over, "X-HTTP-Method-Override": "HEAD"})
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "100"
    assert client.post(url, headers={**over, "X-HTTP-Method-Override": "GET"}).status_code == 405
    assert client.post(url, headers={**over, "X-HTTP-Method-Override": "DELETE"}).status_code == 204
    assert client.head(url, headers=TUS).status_code == 404


def test_signed_out_tus_client_gets_401_not_a_redirect(client, make):
    make.user()
    response = client.post("/uploads", headers={**TUS, "Upload-Length": "10"}, csrf=False)
    assert response.status_code in (400, 401)  # CSRF first when no session exists
    assert client.head("/uploads/whatever", headers=TUS).status_code == 401


def test_upload_for_a_circle_the_uploader_cannot_see_is_404(make, owner):
    """Is an upload "for" someone else's circle refused as if the circle did not exist, and one for
    the uploader's own circle recorded against it?"""
    client, user = owner
    other_circle = make.circle(make.user("Stranger"))
    refused = create(client, 100, circle_id=str(other_circle.id))
    assert refused.status_code == 404
    own = make.circle(user)
    created = create(client, 100, purpose="circle", purpose_id=str(own.id))
    assert created.status_code == 201
    assert db.session.get(Media, created.get_json()["media_id"]).circle_id == own.id
    assert create(client, 100, purpose="nothing-registered", purpose_id="1").status_code == 404


def test_another_users_upload_is_404_for_every_tus_verb(app, make, owner):
    client, _ = owner
    url = create(client, 100).headers["Location"]
    other = app.test_client()
    sign_in(other, make.user())
    assert other.head(url, headers=TUS).status_code == 404
    assert patch(other, url, b"x", 0).status_code == 404
    assert other.delete(url, headers={**TUS, "X-CSRFToken": other.csrf_token()}).status_code == 404
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "0"
