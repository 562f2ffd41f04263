"""Handing in work: the window by the server's clock, lateness and penalties, versions, refusals."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.extensions import db
from lms.homework import operations as ops
from lms.homework import queries as hw_queries
from lms.homework.models import Accepts, LatePolicy, Submission
from lms.uploads.models import MediaKind, MediaState
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later


def _versions(assignment, student) -> list[Submission]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.student_id == student.id).order_by(Submission.version)))


def _late(submission) -> tuple[bool, int, float]:
    """(late?, days late, penalty %) as derived now from the current deadline."""
    late = submission.lateness
    return late.is_late, late.days_late, late.penalty_percent


def _submit(client, assignment, **data):
    return client.post(f"/circles/{assignment.circle_id}/assignments/{assignment.id}/submit", data=data)


@pytest.fixture
def video_hw(klass, hw):
    """A published video assignment due tomorrow, at most 60 seconds."""
    return hw.assignment(klass.circle, due_at=later(days=1), max_video_seconds=60)


def test_on_time_video_is_version_1_received_at_the_last_byte(klass, hw, client_as, video_hw):
    """Is a video handed in with the server's receipt time of its last byte, and is that time shown?"""
    media = hw.media(klass.student, received_at=ago(minutes=7))
    client = client_as(klass.student)
    response = _submit(client, video_hw, media_id=media.id, text="My *first* take")
    assert response.status_code == 302
    [submission] = _versions(video_hw, klass.student)
    assert (submission.version, submission.media_id, _late(submission)) == (1, media.id, (False, 0, 0))
    assert submission.submitted_at == media.received_at
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Handed in. The server received your work at" in page_text(page)
    assert "<em>first</em>" in page.get_data(as_text=True)


@pytest.mark.parametrize("settings, message", [
    ({"opens_at": later(hours=2), "due_at": later(days=1)}, "This assignment is not open yet."),
    ({"due_at": ago(days=2), "closes_at": ago(days=1)}, "This assignment is closed"),
    ({"due_at": ago(hours=1), "late_policy": LatePolicy.refuse}, "does not take late work"),
])
def test_refused_outside_the_window(klass, hw, client_as, settings, message):
    """Is work refused before opening, after the hard close, and after the due time when late work is refused?"""
    assignment = hw.assignment(klass.circle, **settings)
    media = hw.media(klass.student)
    response = _submit(client_as(klass.student), assignment, media_id=media.id)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _versions(assignment, klass.student) == []


def test_late_work_with_penalty_counts_started_days_from_receipt(klass, hw, client_as):
    """A video whose last byte arrived 1 day and 1 second after the due time, handed in a minute
    later: 2 started days from the receipt, 10 % each?"""
    received = ago(minutes=1)
    due = received - timedelta(days=1, seconds=1)
    assignment = hw.assignment(klass.circle, due_at=due, late_policy=LatePolicy.penalty,
                               late_penalty_per_day=10, late_penalty_cap=50, max_video_seconds=60)
    media = hw.media(klass.student, received_at=received)
    response = _submit(client_as(klass.student), assignment, media_id=media.id)
    assert response.status_code == 302
    [submission] = _versions(assignment, klass.student)
    assert _late(submission) == (True, 2, 20)


def test_penalty_stops_at_the_cap(klass, hw):
    """Does a week-late text answer lose the cap (25 %), not 7 × 10 %?"""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text, due_at=ago(days=10),
                               late_policy=LatePolicy.penalty, late_penalty_per_day=10, late_penalty_cap=25)
    submission = hw.submission(assignment, klass.student, text="Sorry", now=assignment.due_at + timedelta(days=7))
    assert _late(submission)[1:] == (7, 25)


def test_accepted_late_is_marked_without_penalty(klass, hw):
    """With 'accept, marked late', is a late hand-in late with no penalty?"""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text, due_at=ago(hours=5))
    submission = hw.submission(assignment, klass.student, text="Late")
    assert _late(submission) == (True, 1, 0)


def test_video_received_in_time_may_be_handed_in_just_after(klass, hw, client_as):
    """If the last byte arrived before the due time, is the click 5 minutes later still on time,
    but not an hour later?"""
    assignment = hw.assignment(klass.circle, due_at=ago(minutes=5), late_policy=LatePolicy.refuse,
                               max_video_seconds=60)
    media = hw.media(klass.student, received_at=ago(minutes=6))
    assert _submit(client_as(klass.student), assignment, media_id=media.id).status_code == 302
    [submission] = _versions(assignment, klass.student)
    assert not submission.lateness.is_late and submission.submitted_at == media.received_at
    stale = hw.assignment(klass.circle, due_at=ago(minutes=60), late_policy=LatePolicy.refuse, max_video_seconds=60)
    old = hw.media(klass.classmate, received_at=ago(minutes=61))
    assert _submit(client_as(klass.classmate), stale, media_id=old.id).status_code == 422


def test_resubmission_adds_version_2_and_keeps_version_1(klass, hw, client_as, video_hw):
    """Does handing in again add version 2, with version 1 still there for the teacher to open?"""
    first, second = hw.media(klass.student), hw.media(klass.student)
    student = client_as(klass.student)
    _submit(student, video_hw, media_id=first.id)
    _submit(student, video_hw, media_id=second.id, text="Better")
    v1, v2 = _versions(video_hw, klass.student)
    assert (v1.version, v1.media_id, v2.version, v2.media_id) == (1, first.id, 2, second.id)
    teacher = client_as(klass.teacher)
    base = f"/circles/{klass.circle.id}/assignments/{video_hw.id}/submissions/"
    page = teacher.get(base + str(v2.id))
    assert page.status_code == 200
    assert "version 1" in page_text(page) and "version 2" in page_text(page)
    assert teacher.get(base + str(v1.id)).status_code == 200
    assert "version 2" in page_text(student.get(f"/circles/{klass.circle.id}/assignments/{video_hw.id}"))


def test_same_work_twice_makes_one_version(klass, hw, client_as, video_hw):
    """A double click (the same video and note sent twice in the same second): one version, same page?"""
    media = hw.media(klass.student)
    client = client_as(klass.student)
    first = _submit(client, video_hw, media_id=media.id, text="Take")
    again = _submit(client, video_hw, media_id=media.id, text="Take")
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert len(_versions(video_hw, klass.student)) == 1


def test_same_video_with_a_new_note_is_a_new_version_received_now(klass, hw, video_hw):
    """Re-using the handed-in video with a changed note: a new version, timed at the new request
    (so a note written after the due time is not dated back to the old upload)?"""
    media = hw.media(klass.student, received_at=ago(minutes=10))
    v1 = hw.submission(video_hw, klass.student, media=media, text="a")
    v2 = hw.submission(video_hw, klass.student, media=media, text="b")
    assert (v1.version, v2.version) == (1, 2)
    assert v1.submitted_at == media.received_at and v2.submitted_at > media.received_at + timedelta(minutes=9)


def test_video_uploaded_in_time_but_handed_in_days_later_is_late(klass, hw):
    """Does an upload that finished before the due time, handed in three days after it, count as
    handed in then (late, with the penalty), not at the upload?"""
    assignment = hw.assignment(klass.circle, due_at=ago(days=3), late_policy=LatePolicy.penalty,
                               late_penalty_per_day=10, late_penalty_cap=50, max_video_seconds=60)
    media = hw.media(klass.student, received_at=ago(days=4))
    submission = hw.submission(assignment, klass.student, media=media)
    assert submission.submitted_at > media.received_at + timedelta(days=3, hours=23)
    # three days and a moment: four started days
    assert _late(submission) == (True, 4, 40)


def test_concurrent_insert_of_the_same_version_shows_the_existing_one(klass, hw, client_as, video_hw, monkeypatch):
    """If another request inserted this version between our read and our insert, does the student see
    that one (no error page, no second row)?"""
    media = hw.media(klass.student)
    client = client_as(klass.student)
    _submit(client, video_hw, media_id=media.id)
    real = hw_queries.latest_submission
    calls = []

    def stale_once(assignment, student):
        calls.append(1)
        return None if len(calls) == 1 else real(assignment, student)

    monkeypatch.setattr(hw_queries, "latest_submission", stale_once)
    other = hw.media(klass.student)
    response = _submit(client, video_hw, media_id=other.id)
    assert response.status_code == 302
    [only] = _versions(video_hw, klass.student)
    assert response.headers["Location"].endswith(f"/submissions/{only.id}")


@pytest.mark.parametrize("make_media, message", [
    (lambda hw, k: hw.media(k.classmate), "That upload was not found."),
    (lambda hw, k: hw.media(k.student, kind=MediaKind.file), "Please upload a video here."),
    (lambda hw, k: hw.media(k.student, state=MediaState.uploading), "The upload has not finished yet."),
    (lambda hw, k: _failed(hw.media(k.student)), "This file is not a video."),
    (lambda hw, k: hw.media(k.student, duration=75, max_seconds=60), "longer"),
    (lambda hw, k: hw.media(k.student, duration=20, max_seconds=1200), "longer limit"),
])
def test_media_that_cannot_be_handed_in(klass, hw, client_as, video_hw, make_media, message):
    """Someone else's upload, a file instead of a video, an unfinished or failed upload, a video
    too long (or checked against a longer limit): each refused with the reason, nothing saved?"""
    media = make_media(hw, klass)
    response = _submit(client_as(klass.student), video_hw, media_id=media.id)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _versions(video_hw, klass.student) == []


def _failed(media):
    media.state, media.error_code = MediaState.failed, "not_video"
    db.session.commit()
    return media


def test_video_required_for_video_work(klass, client_as, video_hw):
    """Is a note without a video refused for a video assignment?"""
    response = _submit(client_as(klass.student), video_hw, text="No video, sorry")
    assert response.status_code == 422
    assert "Upload or record your video first" in page_text(response)


def test_text_work_with_attachments(klass, hw, client_as):
    """Text work: text plus someone's own attachments go in; a video, an empty answer, or
    someone else's attachment are refused."""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text, due_at=later(days=1))
    client = client_as(klass.student)
    mine = hw.media(klass.student, kind=MediaKind.file, filename="essay.pdf")
    theirs = hw.media(klass.classmate, kind=MediaKind.file)
    assert "This assignment takes text and files, not a video." in page_text(
        _submit(client, assignment, media_id=hw.media(klass.student).id, text="x"))
    assert "Write your answer or attach a file" in page_text(_submit(client, assignment, text="  "))
    refused = client.post(f"/circles/{klass.circle.id}/assignments/{assignment.id}/submit",
                          data={"text": "x", "file_id": [str(theirs.id)]})
    assert refused.status_code == 422
    ok = client.post(f"/circles/{klass.circle.id}/assignments/{assignment.id}/submit",
                     data={"text": "My essay", "file_id": [str(mine.id)]})
    assert ok.status_code == 302
    [submission] = _versions(assignment, klass.student)
    assert [f.media_id for f in submission.files] == [mine.id] and submission.text == "My essay"
    assert "essay.pdf" in page_text(client.get(ok.headers["Location"]))


@pytest.mark.parametrize("role, status", [("teacher", 403), ("assistant", 403), ("owner", 403), ("stranger", 404)])
def test_only_students_hand_in(klass, hw, client_as, video_hw, role, status):
    """Staff get 403 on the hand-in endpoint, strangers 404."""
    media = hw.media(klass.users[role])
    assert _submit(client_as(klass.users[role]), video_hw, media_id=media.id).status_code == status
    assert db.session.scalar(db.select(db.func.count()).select_from(Submission)) == 0


def test_operation_refuses_without_http(klass, hw, video_hw):
    """Does the operation itself (for jobs and the CLI) refuse someone else's media?"""
    with pytest.raises(ops.SubmissionRefused):
        ops.submit_homework(video_hw, klass.student, media=hw.media(klass.classmate))


def test_own_submission_shows_processing_state_live(klass, hw, client_as, video_hw):
    """While the video is still being prepared, does the student's page show its state with the
    address the player follows for live updates?"""
    media = hw.media(klass.student, state=MediaState.processing)
    media.progress = 40
    db.session.commit()
    submission = hw.submission(video_hw, klass.student, media=media)
    client = client_as(klass.student)
    html = client.get(
        f"/circles/{klass.circle.id}/assignments/{video_hw.id}/submissions/{submission.id}").get_data(as_text=True)
    assert "Preparing the video for playback: 40% done." in html
    state_url = re.search(r'data-state-url="([^"]+)"', html).group(1)
    assert client.get(state_url).get_json()["progress"] == 40
    assert "js/homework/comments.js" in html and "js/media/player.js" in html
