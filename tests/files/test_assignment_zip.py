"""The staff's ZIP of an assignment: a folder per student named by their circle identity, holding
their latest video and attachments, streamed from storage; refused to students and strangers."""
from __future__ import annotations

import io
import zipfile

from lms.extensions import db
from lms.storage import get_storage, new_key
from lms.uploads.models import MediaKind


def _stored(media, data: bytes, *, as_mp4: bool = False):
    storage = get_storage()
    key = new_key("media") + ("/video.mp4" if as_mp4 else "/original")
    storage.put(key, io.BytesIO(data))
    if as_mp4:
        media.mp4_key = key
    else:
        media.original_key = key
        media.bytes = len(data)
    db.session.commit()
    return media


def test_staff_download_every_students_work_as_one_zip(klass, hw, client_as):
    """Two students hand in (one twice, one with a hostile attachment name): does the teacher's ZIP
    hold one folder per student, named "display name (real name · number)", with the latest video
    and the attachments? Do the student and a stranger get 403 and 404?"""
    membership = klass.circle.membership_of(klass.student)
    membership.real_name, membership.student_no = "Lin Mei", "2024017"
    db.session.commit()
    assignment = hw.assignment(klass.circle, title="Dance / week 1")
    first = _stored(hw.media(klass.student), b"old video", as_mp4=True)
    hw.submission(assignment, klass.student, media=first)
    second = _stored(hw.media(klass.student), b"new video", as_mp4=True)
    notes = _stored(hw.media(klass.student, kind=MediaKind.file, filename="../notes\u202etxt.exe"), b"my notes")
    hw.submission(assignment, klass.student, media=second, files=[notes])
    third = _stored(hw.media(klass.classmate), b"classmate video", as_mp4=True)
    hw.submission(assignment, klass.classmate, media=third)

    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}/work.zip"
    page = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}")
    assert url in page.get_data(as_text=True)
    response = client_as(klass.teacher).get(url)
    assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(response.data)
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(archive.namelist())
    assert names == ["Dance _ week 1/Classmate In Class/video.mp4",
                     "Dance _ week 1/Student In Class (Lin Mei · 2024017)/.._notestxt.exe",
                     "Dance _ week 1/Student In Class (Lin Mei · 2024017)/video.mp4"]
    assert archive.read("Dance _ week 1/Student In Class (Lin Mei · 2024017)/video.mp4") == b"new video"
    assert client_as(klass.student).get(url).status_code == 403
    assert client_as(klass.stranger).get(url).status_code == 404
    assert "work.zip" not in client_as(klass.student).get(
        f"/circles/{klass.circle.id}/assignments/{assignment.id}").get_data(as_text=True)


def test_a_video_the_pipeline_failed_on_is_in_the_zip_as_received(klass, hw, client_as):
    """A student's video handed in while processing, which then failed (its original is kept): is that file in the teacher's ZIP under
    its own name, rather than the student's folder being empty?"""
    from lms.uploads.models import MediaState

    assignment = hw.assignment(klass.circle, title="Week 2")
    media = _stored(hw.media(klass.student, filename="IMG_0042.MOV"), b"camera bytes")
    hw.submission(assignment, klass.student, media=media)  # handed in while it was being processed
    media.state, media.error_code, media.mp4_key = MediaState.failed, "corrupt", None
    db.session.commit()
    response = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/work.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["Week 2/Student In Class/IMG_0042.MOV"]
    assert archive.read("Week 2/Student In Class/IMG_0042.MOV") == b"camera bytes"


def test_written_answers_are_in_the_zip(klass, hw, client_as):
    """A text-only assignment ("Reflection"): is each student's written answer in their folder as answer.md,
    in UTF-8 as written, next to their attachments, so the ZIP is not empty?"""
    from lms.homework.models import Accepts

    assignment = hw.assignment(klass.circle, title="Reflection", accepts=Accepts.text, allow_attachments=True)
    hw.submission(assignment, klass.student, text="我学到了**节奏**。\n\nRhythm matters.")
    notes = _stored(hw.media(klass.classmate, kind=MediaKind.file, filename="notes.txt"), b"notes")
    hw.submission(assignment, klass.classmate, text="Short answer", files=[notes])
    response = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/work.zip")
    assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(response.data)
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["Reflection/Classmate In Class/answer.md",
                                          "Reflection/Classmate In Class/notes.txt",
                                          "Reflection/Student In Class/answer.md"]
    assert archive.read("Reflection/Student In Class/answer.md").decode("utf-8") == "我学到了**节奏**。\n\nRhythm matters."


def test_nothing_handed_in_says_so_instead_of_an_empty_zip(klass, hw, client_as):
    """No one has handed in yet: does the teacher get told so on the assignment's page, not an empty ZIP?"""
    from tests.fixtures.app import page_text

    assignment = hw.assignment(klass.circle, title="Nobody yet")
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}/work.zip"
    response = client_as(klass.teacher).get(url, follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "No student has handed in anything to download yet." in page_text(response)


def test_a_video_still_being_processed_is_in_the_zip_as_received(klass, hw, client_as):
    """A video handed in that the pipeline has not finished: is the file as received in the ZIP (the staff
    may download it), rather than the student's folder missing?"""
    from lms.uploads.models import MediaState

    assignment = hw.assignment(klass.circle, title="Week 3")
    media = _stored(hw.media(klass.student, filename="IMG_0043.MOV"), b"camera bytes")
    media.state, media.mp4_key = MediaState.processing, None
    db.session.commit()
    hw.submission(assignment, klass.student, media=media)
    response = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/work.zip")
    assert zipfile.ZipFile(io.BytesIO(response.data)).namelist() == ["Week 3/Student In Class/IMG_0043.MOV"]
