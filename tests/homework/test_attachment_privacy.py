"""Photos handed in as attachments: classmates who may see the work, and the student, download the picture
alone (upright, no GPS position, device or thumbnail); nobody can download it before it is cleaned; an
image that cannot be cleaned is refused with the reason; other documents are untouched."""
from __future__ import annotations

import re
from html import unescape

import pytest

from lms.extensions import db
from lms.homework.models import Accepts, PeerVisibility
from lms.storage import get_storage
from lms.uploads import access, tasks
from lms.uploads.access import Rendition, Subject
from lms.uploads.models import Media, MediaState
from tests.fixtures.app import page_text
from tests.fixtures.homework import later
from tests.fixtures.images import assert_clean, assert_upright, bomb_png, phone_jpeg
from tests.uploads.helpers import upload_bytes


@pytest.fixture
def essay(klass, hw):
    """Text work with attachments, due in three days; classmates see each other's work once they handed in,
    and the classmate already has."""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text, due_at=later(days=3),
                               peer_visibility=PeerVisibility.after_submit)
    hw.submission(assignment, klass.classmate, text="Mine is done")
    return assignment


def _submit(client, assignment, media_id: int):
    return client.post(f"/circles/{assignment.circle_id}/assignments/{assignment.id}/submit",
                       data={"text": "Photo of my model", "file_id": [str(media_id)]})


def _download_links(html: str, filename: str) -> list[str]:
    return [unescape(link) for link in re.findall(rf'href="(/m/[^"]+/download)">{re.escape(filename)}<', html)]


def test_phone_photo_attachment_reaches_classmates_and_owner_without_gps_or_device(klass, essay, client_as):
    """Uploaded through the resumable upload and handed in: does a classmate (and the student) download it
    with no EXIF, GPS, make or model, upright, and is no copy with the metadata kept?"""
    student = client_as(klass.student)
    body = upload_bytes(student, phone_jpeg(), kind="file", filename="IMG_2041.JPG", chunk=1000)
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready, media.error_code
    assert (media.width, media.height) == (30, 60)
    with get_storage().open(media.original_key) as stored:
        kept = stored.read()
    assert_clean(kept) and media.bytes == len(kept)
    response = _submit(student, essay, media.id)
    assert response.status_code == 302
    page = response.headers["Location"]
    for viewer in (klass.classmate, klass.student, klass.teacher):
        client = client_as(viewer)
        [link] = _download_links(client.get(page).get_data(as_text=True), "IMG_2041.JPG")
        served = client.get(link, buffered=True)
        assert served.status_code == 200
        assert_upright(assert_clean(served.data))


def test_a_photo_named_like_a_document_is_cleaned_too(klass, essay, client_as):
    """Is a JPEG uploaded as "report.pdf" cleaned as well (the bytes decide, not the name)?"""
    body = upload_bytes(client_as(klass.student), phone_jpeg(), kind="file", filename="report.pdf")
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready and media.filename == "report.pdf"
    with get_storage().open(media.original_key) as stored:
        assert_upright(assert_clean(stored.read()))


def test_nobody_downloads_the_photo_before_it_is_cleaned(klass, essay, client_as, monkeypatch):
    """While the cleaning job has not run yet (a busy worker), is the attachment listed without a download
    link and is even a signed URL for it refused, for the classmate and the student alike?"""
    run_job = tasks.process_media
    monkeypatch.setattr(tasks, "process_media", lambda media_id: None)
    student = client_as(klass.student)
    body = upload_bytes(student, phone_jpeg(), kind="file", filename="IMG_2041.JPG")
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.uploaded
    response = _submit(student, essay, media.id)
    assert response.status_code == 302
    submission_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    for viewer in (klass.classmate, klass.student):
        client = client_as(viewer)
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "IMG_2041.JPG" in html and not _download_links(html, "IMG_2041.JPG")
        token = access.sign(viewer.id, media, Rendition.file, Subject("submission", submission_id))
        assert client.get(f"/m/{token}/download").status_code == 404

    run_job(media.id)  # the worker gets to it
    classmate = client_as(klass.classmate)
    [link] = _download_links(classmate.get(response.headers["Location"]).get_data(as_text=True), "IMG_2041.JPG")
    assert_upright(assert_clean(classmate.get(link, buffered=True).data))


@pytest.mark.parametrize("data, message", [
    (bomb_png(), "The image has more than 52 megapixels, more than we accept."),
    (b"\xff\xd8\xff\xe0 the start of a JPEG and nothing more", "This image is damaged or incomplete"),
])
def test_an_image_that_cannot_be_cleaned_is_refused_with_the_reason(klass, essay, client_as, data, message):
    """Does a decompression bomb or a broken JPEG handed in as a file fail with its reason (shown when
    handing it in), never becoming downloadable?"""
    student = client_as(klass.student)
    body = upload_bytes(student, data, kind="file", filename="photo.png")
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.failed
    assert message in student.get(f"/media/{media.id}/state").get_json()["error"]
    response = _submit(student, essay, media.id)
    assert response.status_code == 422
    assert message in page_text(response)


def test_other_documents_are_stored_as_they_came(klass, essay, client_as):
    """Is a document that is not an image (a PDF) ready at once and kept byte for byte?"""
    pdf = b"%PDF-1.4\n% my essay\n"
    body = upload_bytes(client_as(klass.student), pdf, kind="file", filename="essay.pdf")
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready and media.attempts == 0
    with get_storage().open(media.original_key) as stored:
        assert stored.read() == pdf
