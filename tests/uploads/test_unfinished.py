"""An unfinished upload as pages show it: the bytes the server holds (not the progress column written
every 30 s), "stopped" once nothing arrives, and "My uploads" continuing or deleting it."""
from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from lms.core.types import utcnow
from lms.extensions import db
from lms.uploads import parts
from lms.uploads.models import Media, MediaState, Upload, UploadMode
from lms.uploads.queries import RECEIVING_SECONDS, media_state_json, storage_used, upload_received
from tests.fixtures.app import page_text
from tests.uploads.helpers import patch, start

KB = 1024
SIZE = 200 * KB


def _part(app, body: dict):
    return parts.part_path(app.config["UPLOAD_DIR"], body["token"])


def _go_quiet(app, body: dict, seconds: int = RECEIVING_SECONDS + 30) -> None:
    """As if the last byte arrived `seconds` ago (the student closed the tab then)."""
    past = time.time() - seconds
    os.utime(_part(app, body), (past, past))
    upload = db.session.scalar(db.select(Upload).where(Upload.token == body["token"]))
    upload.updated_at = utcnow() - timedelta(seconds=seconds)
    db.session.commit()


@pytest.fixture
def half_sent(app, klass, client_as):
    """The student started a 200 KB upload and sent 56 KB in two chunks before closing the tab: the
    server's progress column may still say 0 % (it is written at most every 30 s)."""
    client = client_as(klass.student)
    body = start(client, SIZE, filename="solo-take.mp4").get_json()
    patch(client, body["url"], b"a" * (32 * KB), 0)
    patch(client, body["url"], b"b" * (24 * KB), 32 * KB)
    media = db.session.get(Media, body["media_id"])
    media.progress = 0  # what a page used to show
    db.session.commit()
    yield client, body, media
    parts.remove(_part(app, body))  # the database rolls back; the partial file must go too


def test_the_state_says_what_the_server_holds_not_the_progress_column(app, half_sent):
    """Does the state JSON report the 56 KB on disk (28 %), and say bytes are arriving only while
    the last one is under a minute old?"""
    client, body, media = half_sent
    held = client.get(f"/media/{media.id}/state").get_json()["upload"]
    assert held["received"] == 56 * KB and held["length"] == SIZE and held["percent"] == 28
    assert held["receiving"] is True
    _go_quiet(app, body)
    db.session.expire_all()
    assert upload_received(db.session.get(Media, media.id))["receiving"] is False


def test_a_finished_upload_has_no_unfinished_part(app, klass, client_as):
    client = client_as(klass.student)
    body = start(client, 10, filename="tiny.mp4").get_json()
    patch(client, body["url"], b"x" * 10, 0)
    db.session.expire_all()
    assert media_state_json(db.session.get(Media, body["media_id"]))["upload"] is None


def test_my_uploads_says_the_upload_stopped_and_offers_continue_and_delete(app, half_sent):
    """Is an upload nothing arrives for shown as stopped, with the bytes kept, how to continue, what
    it counts in the storage, and a "Delete" button, rather than "Uploading…" forever?"""
    client, body, media = half_sent
    _go_quiet(app, body)
    page = client.get("/media/")
    text = page_text(page)
    assert "Stopped: waiting for the rest of the file." in text
    assert "This upload stopped at 28% (56 KB of 200 KB kept). Choose the same file to continue from there." in text
    assert "Until it is finished or deleted, this upload counts its full size (200 KB) in your storage." in text
    assert "Uploading…" not in text
    html = page.get_data(as_text=True)
    assert f'action="/media/{media.id}/cancel"' in html
    assert "data-upload-continue" in html and body["token"] in html  # the owner's page resumes it


def test_an_upload_receiving_bytes_says_so(app, half_sent):
    client, _body, _media = half_sent
    assert "Uploading… 28% received so far." in page_text(client.get("/media/"))


def test_delete_cancels_the_unfinished_upload_and_frees_its_storage(app, klass, half_sent):
    """Does "Delete" remove the media item, its upload and its partial file, so its announced size no
    longer counts?"""
    client, body, media = half_sent
    media_id = media.id
    assert storage_used(klass.student) == SIZE
    response = client.post(f"/media/{media_id}/cancel", data={"csrf_token": client.csrf_token()})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Media, media_id) is None
    assert db.session.scalar(db.select(Upload).where(Upload.token == body["token"])) is None
    assert not _part(app, body).exists()
    assert storage_used(klass.student) == 0
    assert "The unfinished upload of “solo-take.mp4” was deleted" in page_text(client.get("/media/"))


@pytest.mark.parametrize("who", ["classmate", "teacher"])
def test_nobody_else_deletes_an_upload(app, klass, client_as, half_sent, who):
    _client, _body, media = half_sent
    other = client_as(getattr(klass, who))
    assert other.post(f"/media/{media.id}/cancel", data={"csrf_token": other.csrf_token()}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Media, media.id) is not None


def test_a_finished_upload_is_not_cancelled(app, klass, client_as):
    client = client_as(klass.student)
    body = start(client, 10, filename="tiny.mp4").get_json()
    patch(client, body["url"], b"x" * 10, 0)
    response = client.post(f"/media/{body['media_id']}/cancel", headers={"Accept": "application/json",
                                                                         "X-CSRFToken": client.csrf_token()})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Media, body["media_id"]) is not None


def test_my_uploads_writes_a_videos_length_in_words(app, klass, client_as):
    """Is a video's length on "My uploads" "3 minutes 30 seconds", never "3:30" next to its date?"""
    db.session.add(Media(owner_id=klass.student.id, filename="solo.mp4", bytes=10, duration=210.0, state=MediaState.ready))
    db.session.commit()
    text = page_text(client_as(klass.student).get("/media/"))
    assert "3 minutes 30 seconds" in text and "3:30" not in text


def test_a_direct_to_bucket_upload_does_not_claim_a_byte_count(app, klass, client_as):
    """Parts sent straight to the bucket are not counted on the server's row: does the page say the
    upload is not finished and that the parts sent are kept, rather than "0 bytes of 200 KB kept"?"""
    media = Media(owner_id=klass.student.id, filename="big.mp4", bytes=SIZE, original_key="u/1/original")
    db.session.add(media)
    db.session.flush()
    db.session.add(Upload(token="s3-token-for-test", media_id=media.id, owner_id=klass.student.id,
                          mode=UploadMode.s3, length=SIZE, s3_upload_id="x", part_size=5 * KB * KB))
    db.session.commit()
    assert upload_received(media)["received"] is None
    text = page_text(client_as(klass.student).get("/media/"))
    assert "Not finished: waiting for the rest of the file." in text
    assert "The parts already sent are kept. Choose the same file (200 KB) to send the rest." in text
    assert "0 bytes" not in text
