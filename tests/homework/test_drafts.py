"""A student's draft: an upload for an assignment is kept until handed in or discarded; uploads are refused before the first byte when the assignment no longer takes work."""
from __future__ import annotations

import os
import time

import pytest

from lms.extensions import db
from lms.homework import drafts
from lms.homework.models import SubmissionDraft
from lms.homework.models import LatePolicy, Submission
from lms.uploads import parts
from lms.uploads.models import Media, MediaState, Upload
from tests.uploads.helpers import patch, start
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later


def _url(assignment, tail: str = "") -> str:
    return f"/circles/{assignment.circle_id}/assignments/{assignment.id}{tail}"


def _keep(client, assignment, media_id):
    return client.post(_url(assignment, "/draft"), json={"media_id": media_id},
                       headers={"X-CSRFToken": client.csrf_token()})


def _create_for(client, assignment, size: int = 1000):
    """The upload creation the assignment page's uploader sends (JSON, with the purpose)."""
    return start(client, size, purpose="assignment", purpose_id=assignment.id)


def _media_count(owner) -> int:
    return db.session.scalar(db.select(db.func.count(Media.id)).where(Media.owner_id == owner.id))


def _draft(assignment, student) -> SubmissionDraft | None:
    db.session.expire_all()
    return db.session.scalar(db.select(SubmissionDraft).where(
        SubmissionDraft.assignment_id == assignment.id, SubmissionDraft.student_id == student.id))


@pytest.fixture
def video_hw(klass, hw):
    """A published video assignment due tomorrow."""
    return hw.assignment(klass.circle, title="Solo dance", due_at=later(days=1), max_video_seconds=60)


def test_a_finished_upload_stays_on_the_assignment_and_library_until_handed_in(klass, hw, client_as, video_hw):
    """A student's upload finished and they left before "Hand in": do the assignment page and "My
    uploads" still show it, and does "Hand in" on "My uploads" hand it in and clear the draft?"""
    media = hw.media(klass.student, filename="solo-take-3.mp4", received_at=ago(minutes=2))
    client = client_as(klass.student)
    assert _keep(client, video_hw, media.id).status_code == 200

    page = client.get(_url(video_hw))  # later: the student comes back
    html = page.get_data(as_text=True)
    assert "Your video is kept here until you hand it in" in page_text(page)
    assert f'name="media_id" value="{media.id}"' in html
    assert "solo-take-3.mp4" in html

    library = client.get("/media/")
    assert "Kept for “Solo dance” in" in page_text(library)
    assert _url(video_hw, "/draft/hand-in") in library.get_data(as_text=True)

    response = client.post(_url(video_hw, "/draft/hand-in"))
    assert response.status_code == 302 and "/submissions/" in response.headers["Location"]
    [submission] = db.session.scalars(db.select(Submission).where(Submission.assignment_id == video_hw.id))
    assert (submission.student_id, submission.media_id, submission.version) == (klass.student.id, media.id, 1)
    assert submission.submitted_at == media.received_at  # the last byte's time, not the click's
    assert _draft(video_hw, klass.student) is None
    assert "Kept for" not in page_text(client.get("/media/"))


def test_handing_in_through_the_form_clears_the_draft(klass, hw, client_as, video_hw):
    """Does the ordinary hand-in form (with the kept video) leave no draft behind?"""
    media = hw.media(klass.student)
    client = client_as(klass.student)
    _keep(client, video_hw, media.id)
    response = client.post(_url(video_hw, "/submit"), data={"media_id": media.id})
    assert response.status_code == 302
    assert _draft(video_hw, klass.student) is None


def test_discard_detaches_the_video_and_keeps_the_upload(klass, hw, client_as, video_hw):
    """Does "Discard" take the video off the assignment page while the upload stays in "My uploads"?"""
    media = hw.media(klass.student, filename="wrong-take.mp4")
    client = client_as(klass.student)
    _keep(client, video_hw, media.id)
    assert client.post(_url(video_hw, "/draft/discard")).status_code == 302
    assert _draft(video_hw, klass.student) is None
    page = client.get(_url(video_hw))
    assert "wrong-take.mp4" not in page.get_data(as_text=True)
    assert db.session.get(Media, media.id) is not None
    library = client.get("/media/")
    assert "wrong-take.mp4" in library.get_data(as_text=True) and "Kept for" not in page_text(library)


def test_a_new_upload_replaces_the_kept_one_and_an_upload_under_way_says_how_to_resume(
        app, request, klass, hw, client_as, video_hw):
    """Is there one draft per student and assignment, holding the latest upload, and does an upload
    that stopped halfway tell the student to choose the same file again?"""
    first = hw.media(klass.student)
    client = client_as(klass.student)
    # The second upload: 84 KB of 200 KB arrived, then the tab was closed a few minutes ago; the
    # progress column (written at most every 30 s) still says 0 %.
    second = _create_for(client, video_hw, size=200 * 1024).get_json()
    patch(client, second["url"], b"v" * (84 * 1024), 0)
    part = parts.part_path(app.config["UPLOAD_DIR"], second["token"])
    os.utime(part, (time.time() - 300, time.time() - 300))
    request.addfinalizer(lambda: parts.remove(part))  # the database rolls back; the partial file must go too
    db.session.execute(db.update(Upload).where(Upload.token == second["token"]).values(updated_at=ago(minutes=5)))
    db.session.execute(db.update(Media).where(Media.id == second["media_id"]).values(progress=0))
    db.session.commit()
    _keep(client, video_hw, first.id)
    _keep(client, video_hw, second["media_id"])
    assert _draft(video_hw, klass.student).media_id == second["media_id"]
    assert db.session.scalar(db.select(db.func.count(SubmissionDraft.id))) == 1
    page = client.get(_url(video_hw))
    text = page_text(page)
    assert "Stopped: waiting for the rest of the file." in text and "Uploading…" not in text
    assert "This upload stopped at 42% (84 KB of 200 KB kept). Choose the same file to continue from there." in text
    assert second["token"] in page.get_data(as_text=True)  # choosing the same file continues this upload
    library = client.get("/media/").get_data(as_text=True)
    assert "Kept for" in library and _url(video_hw, "/draft/hand-in") not in library  # nothing to hand in yet


@pytest.mark.parametrize("who", ["classmate", "teacher", "stranger"])
def test_nobody_else_keeps_or_hands_in_a_students_upload(klass, hw, client_as, video_hw, who):
    """May anyone but the student attach the student's upload, or hand in the student's draft?"""
    media = hw.media(klass.student)
    _keep(client_as(klass.student), video_hw, media.id)
    other = client_as(getattr(klass, who))
    expected = 404 if who in ("classmate", "stranger") else 403
    if who == "classmate":
        assert _keep(other, video_hw, media.id).status_code == 404  # not theirs: as if it did not exist
    else:
        assert _keep(other, video_hw, media.id).status_code == expected
    other.post(_url(video_hw, "/draft/hand-in"))
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
    assert _draft(video_hw, klass.student).media_id == media.id


@pytest.mark.parametrize("settings, message", [
    ({"due_at": ago(days=2), "closes_at": ago(minutes=1)}, "This assignment has closed"),
    ({"due_at": ago(hours=1), "late_policy": LatePolicy.refuse}, "does not take late work"),
    ({"opens_at": later(hours=2), "due_at": later(days=1)}, "This assignment is not open yet."),
])
def test_an_upload_is_refused_before_the_first_byte_when_the_window_is_shut(klass, hw, client_as, settings,
                                                                            message):
    """With the page left open past the close time, are the uploader's check and the upload's
    creation for the assignment refused with the reason, before any media item exists?"""
    assignment = hw.assignment(klass.circle, **settings)
    client = client_as(klass.student)
    check = client.get(_url(assignment, "/draft/may-upload?size=1000"))
    assert check.status_code == 403 and message in check.get_json()["error"]["message"]
    created = _create_for(client, assignment)
    assert created.status_code == 403 and message in created.get_json()["error"]["message"]
    assert _media_count(klass.student) == 0
    assert _keep(client, assignment, hw.media(klass.student).id).status_code == 409


def test_an_extension_reopens_the_upload(klass, hw, client_as):
    """A student whose extension runs past the assignment's close may still upload; a classmate may not."""
    from lms.homework import operations as hw_ops

    assignment = hw.assignment(klass.circle, due_at=ago(days=2), closes_at=ago(hours=1))
    hw_ops.grant_extension(assignment, [klass.student], klass.owner, due_at=later(days=1))
    db.session.commit()
    assert client_as(klass.student).get(_url(assignment, "/draft/may-upload?size=10")).status_code == 200
    assert client_as(klass.classmate).get(_url(assignment, "/draft/may-upload?size=10")).status_code == 403
    created = _create_for(client_as(klass.student), assignment)
    assert created.status_code == 201
    assert db.session.get(Media, created.get_json()["media_id"]).circle_id == klass.circle.id
    assert _create_for(client_as(klass.classmate), assignment).status_code == 403


@pytest.mark.parametrize("who", ["student", "stranger", "teacher"])
def test_an_upload_for_an_assignment_one_cannot_see_is_refused_as_not_found(klass, hw, client_as, who):
    """Is an upload for a draft assignment (students cannot see it) or another circle's refused with
    404, as if it did not exist, and is a teacher (who sees it) refused 403, since teachers hand in nothing?"""
    draft_assignment = hw.assignment(klass.circle, publish=False)
    expected = 403 if who == "teacher" else 404
    assert _create_for(client_as(getattr(klass, who)), draft_assignment).status_code == expected
    assert _media_count(getattr(klass, who)) == 0


def test_the_upload_check_answers_404_to_strangers(klass, hw, client_as, video_hw):
    assert client_as(klass.stranger).get(_url(video_hw, "/draft/may-upload")).status_code == 404


def test_drafts_by_media_is_one_students(klass, hw, video_hw):
    """The library's lookup never returns another student's draft for the same media id."""
    media = hw.media(klass.student)
    drafts.attach_to_draft(video_hw, klass.student, media)
    db.session.commit()
    assert set(drafts.drafts_by_media(klass.student, [media.id])) == {media.id}
    assert drafts.drafts_by_media(klass.classmate, [media.id]) == {}


@pytest.mark.parametrize("who, sees", [("teacher", True), ("assistant", True), ("owner", True),
                                       ("classmate", False), ("student", False)])
def test_staff_see_who_uploaded_but_did_not_hand_in(klass, hw, client_as, video_hw, who, sees):
    """A student uploaded a video and never pressed "Hand in": does the circle's staff see "Uploaded, not
    handed in" beside them on the assignment's student list and in SpeedGrader's list (and nobody else),
    while a student who did nothing shows no such note, and does it go once the work is handed in?"""
    media = hw.media(klass.student)
    assert _keep(client_as(klass.student), video_hw, media.id).status_code == 200
    client = client_as(klass.users[who])
    page = client.get(_url(video_hw)).get_data(as_text=True)
    if not sees:
        assert "Uploaded, not handed in" not in page
        assert client.get(_url(video_hw, "/grade")).status_code in (403, 404)
        return
    row = page.split(f'data-student="{klass.student.id}"')[1].split("</tr>")[0]
    assert "Uploaded, not handed in" in row
    other = page.split(f'data-student="{klass.classmate.id}"')[1].split("</tr>")[0]
    assert "Uploaded, not handed in" not in other and "Not submitted" in other
    grader = client.get(_url(video_hw, f"/grade/{klass.student.id}")).get_data(as_text=True)
    item = grader.split(f'/grade/{klass.student.id}?')[1].split("</li>")[0]
    assert "Uploaded, not handed in" in item
    client_as(klass.student).post(_url(video_hw, "/submit"), data={"media_id": media.id})
    assert "Uploaded, not handed in" not in client.get(_url(video_hw)).get_data(as_text=True)


def test_the_length_limit_reads_as_a_length_not_a_time_of_day(klass, hw, client_as):
    """Is the assignment's limit written in words with units ("3 minutes 30 seconds"), never as
    "3:30", which reads like a clock time; and the site's limit on the assignment form too?"""
    assignment = hw.assignment(klass.circle, title="Solo", due_at=later(days=1), max_video_seconds=210)
    text = page_text(client_as(klass.student).get(_url(assignment)))
    assert "Hand in a video of at most 3 minutes 30 seconds." in text
    assert "Videos up to 2 GB and 3 minutes 30 seconds long." in text
    assert "at most 3:30" not in text and "3:30 long" not in text  # the recorder's timer stays 0:00 / 3:30
    form = page_text(client_as(klass.teacher).get(_url(assignment, "/edit")))
    assert "This site allows videos up to 20 minutes." in form
