"""An upload created for an assignment is kept in the student's draft by the server, in the request
that creates it: whichever client created it (a tus app, the page) and even if nothing else the page
meant to send afterwards gets through, the finished video waits on the assignment and in "My
uploads" until it is handed in."""
from __future__ import annotations

import base64

import pytest

from lms.extensions import db
from lms.homework.models import SubmissionDraft
from lms.uploads import parts
from tests.fixtures.app import page_text
from tests.fixtures.homework import later
from tests.uploads.helpers import start

TUS = {"Tus-Resumable": "1.0.0"}


def _meta(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in values.items())


def _draft_media(assignment, student) -> int | None:
    db.session.expire_all()
    return db.session.scalar(db.select(SubmissionDraft.media_id).where(
        SubmissionDraft.assignment_id == assignment.id, SubmissionDraft.student_id == student.id))


@pytest.fixture
def video_hw(klass, hw):
    return hw.assignment(klass.circle, title="Solo dance", due_at=later(days=1), max_video_seconds=60)


def test_a_tus_client_creating_an_upload_for_an_assignment_keeps_it_in_the_draft(app, request, klass, client_as,
                                                                                 video_hw):
    """A phone's tus client creates the upload (POST with Upload-Length and the assignment in
    Upload-Metadata), sends every byte and never calls anything else: is the video kept for the
    assignment, named on "My uploads"?"""
    client = client_as(klass.student)
    data = b"\x00\x00\x00\x18ftypmp42" + b"v" * 3000
    created = client.post("/uploads", data=data, headers={
        **TUS, "X-CSRFToken": client.csrf_token(), "Upload-Length": str(len(data)),
        "Content-Type": "application/offset+octet-stream",
        "Upload-Metadata": _meta(filename="take-4.mp4", purpose="assignment", purpose_id=video_hw.id)})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    request.addfinalizer(lambda: parts.remove(parts.part_path(app.config["UPLOAD_DIR"], body["token"])))
    assert created.headers["Upload-Offset"] == str(len(data))  # every byte, in the creation itself
    assert _draft_media(video_hw, klass.student) == body["media_id"]
    assert "Kept for “Solo dance” in" in page_text(client.get("/media/"))


def test_the_pages_creation_keeps_the_upload_before_the_first_byte(app, klass, client_as, video_hw):
    """The page's own creation (JSON) keeps it too, so a keep request lost on a dropping link loses nothing."""
    client = client_as(klass.student)
    created = start(client, 5000, purpose="assignment", purpose_id=video_hw.id)
    assert created.status_code == 201
    assert _draft_media(video_hw, klass.student) == created.get_json()["media_id"]
    newer = start(client, 7000, purpose="assignment", purpose_id=video_hw.id).get_json()
    assert _draft_media(video_hw, klass.student) == newer["media_id"]  # the latest upload, one draft
    assert db.session.scalar(db.select(db.func.count(SubmissionDraft.id))) == 1


def test_uploads_for_anything_else_keep_no_draft(app, klass, client_as, video_hw):
    client = client_as(klass.student)
    assert start(client, 5000, kind="file", purpose="assignment", purpose_id=video_hw.id).status_code == 201
    assert start(client, 5000, circle_id=klass.circle.id).status_code == 201
    assert db.session.scalar(db.select(db.func.count(SubmissionDraft.id))) == 0
