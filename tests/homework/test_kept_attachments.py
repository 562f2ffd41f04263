"""A refused hand-in keeps the attachments (images and documents) the student already uploaded."""
from __future__ import annotations

import re

from lms.uploads.models import MediaKind, MediaState
from tests.fixtures.homework import later


def test_a_refused_hand_in_lists_its_attachments_still_attached(klass, hw, client_as):
    """A video assignment taking attachments: handed in without the video but with a photo and a PDF, it
    is refused (422); does the page list both as still attached (ticked), and leave out a classmate's
    upload and one that failed?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), max_video_seconds=60, allow_attachments=True)
    photo = hw.media(klass.student, kind=MediaKind.file, filename="page1.jpg")
    pdf = hw.media(klass.student, kind=MediaKind.file, filename="essay.pdf")
    broken = hw.media(klass.student, kind=MediaKind.file, filename="broken.png", state=MediaState.failed)
    theirs = hw.media(klass.classmate, kind=MediaKind.file, filename="theirs.pdf")
    response = client_as(klass.student).post(
        f"/circles/{klass.circle.id}/assignments/{assignment.id}/submit",
        data={"text": "", "file_id": [photo.id, pdf.id, broken.id, theirs.id]})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    kept = re.findall(r'name="file_id" value="(\d+)" checked', html)
    assert kept == [str(photo.id), str(pdf.id)]
    assert "theirs.pdf" not in html and "broken.png" not in html
