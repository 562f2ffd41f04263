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
