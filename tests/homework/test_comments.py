"""Comments pinned to moments of a submission's video: JSON shape, who reads what, edit and delete."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.grading.models import Grade
from lms.homework.models import PeerVisibility, VideoComment
from tests.fixtures.app import page_text
from tests.fixtures.homework import later


@pytest.fixture
def work(klass, hw):
    """The student's handed-in 40-second video; classmates see each other's work once they handed in."""
    assignment = hw.assignment(klass.circle, due_at=later(days=1), max_video_seconds=60,
                               peer_visibility=PeerVisibility.after_submit)
    media = hw.media(klass.student, duration=40)
    return hw.submission(assignment, klass.student, media=media)


def _url(submission, comment_id=None) -> str:
    a = submission.assignment
    url = f"/circles/{a.circle_id}/assignments/{a.id}/submissions/{submission.id}/comments"
    return url + (f"/{comment_id}" if comment_id else "")


def _call(client, method, url, body=None):
    headers = {"X-CSRFToken": client.csrf_token(), "Accept": "application/json"}
    return client.open(url, method=method, headers=headers, **({"json": body} if body is not None else {}))


def _bodies(client, submission) -> list[str]:
    response = _call(client, "GET", _url(submission))
    assert response.status_code == 200
    return [c["body"] for c in response.get_json()["comments"]]


def test_comment_at_a_moment_and_its_json(klass, client_as, work):
    """Does a comment at 12.5 s come back with its moment, kind, author's circle name and safe HTML?"""
    client = client_as(klass.student)
    response = _call(client, "POST", _url(work), {"body": "Watch my **bow** here <script>x</script>",
                                                  "at_seconds": 12.5})
    assert response.status_code == 201
    comment = response.get_json()["comment"]
    assert set(comment) == {"id", "at_seconds", "kind", "body", "html", "author", "created_at", "updated_at",
                            "can_edit", "can_delete", "hidden"}
    assert comment["at_seconds"] == 12.5 and comment["kind"] == "peer"
    assert comment["author"] == {"name": "Student In Class", "is_staff": False, "is_me": True}
    assert "<strong>bow</strong>" in comment["html"] and "<script>" not in comment["html"]
    assert comment["can_edit"] and comment["can_delete"] and comment["updated_at"] is None


def test_comments_are_sorted_by_moment_unpinned_last(klass, client_as, work):
    """Are comments listed by their moment in the video, the ones without a moment at the end?"""
    client = client_as(klass.teacher)
    for body, at in (("thirty", 30), ("general", None), ("five", 5)):
        assert _call(client, "POST", _url(work), {"body": body, "at_seconds": at}).status_code == 201
    assert _bodies(client, work) == ["five", "thirty", "general"]
    html = client.get(_url(work).rsplit("/comments", 1)[0]).get_data(as_text=True)
    assert 'data-seek="5.0"' in html and ">0:05<" in html  # seek buttons and timeline markers


@pytest.mark.parametrize("body, message", [
    ({"body": "   ", "at_seconds": 3}, "Write something before posting."),
    ({"body": "x", "at_seconds": "soon"}, "not a number of seconds"),
    ({"body": "x", "at_seconds": -1}, "not a number of seconds"),
    ({"body": "x", "at_seconds": True}, "not a number of seconds"),
    ({"body": "x" * 5001}, "too long"),
])
def test_bad_comments_are_refused(klass, client_as, work, body, message):
    """Are empty, too long, or badly timed comments refused with a sentence, and nothing saved?"""
    response = _call(client_as(klass.student), "POST", _url(work), body)
    assert response.status_code == 422
    assert message in response.get_json()["error"]["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(VideoComment)) == 0


def test_moment_past_the_end_is_kept_at_the_end(klass, client_as, work):
    """A player may report a hair past the end: is the moment clamped to the video's length?"""
    response = _call(client_as(klass.student), "POST", _url(work), {"body": "end", "at_seconds": 40.3})
    assert response.get_json()["comment"]["at_seconds"] == 40


def test_request_without_csrf_token_is_refused(klass, client_as, work):
    """Is a comment posted without the CSRF header refused?"""
    client = client_as(klass.student)
    response = client.post(_url(work), json={"body": "x"}, headers={"Accept": "application/json"})
    assert response.status_code == 400


def test_feedback_hidden_from_the_student_until_released(klass, hw, client_as, work):
    """Does the student read the teacher's feedback only once their grade has a release time,
    while peer comments show at once?"""
    teacher, student = client_as(klass.teacher), client_as(klass.student)
    assert _call(teacher, "POST", _url(work), {"body": "Tempo drags", "at_seconds": 8}).get_json()[
        "comment"]["kind"] == "feedback"
    _call(student, "POST", _url(work), {"body": "My own note", "at_seconds": 2})
    page_url = _url(work).rsplit("/comments", 1)[0]
    assert _bodies(student, work) == ["My own note"]
    assert "Tempo drags" not in page_text(student.get(page_url))
    grade = Grade(assignment_id=work.assignment_id, student_id=klass.student.id, score=7)
    db.session.add(grade)
    db.session.commit()
    assert _bodies(student, work) == ["My own note"]  # graded but not released
    grade.released_at = later(seconds=0)
    db.session.commit()
    assert _bodies(student, work) == ["My own note", "Tempo drags"]
    assert "Tempo drags" in page_text(student.get(page_url))
    assert _bodies(teacher, work) == ["My own note", "Tempo drags"]


def test_classmates_read_peer_comments_only(klass, hw, client_as, work):
    """Once allowed to see the work, does a classmate read peer comments but never the feedback,
    even after the grade is released?"""
    _call(client_as(klass.teacher), "POST", _url(work), {"body": "Feedback", "at_seconds": 1})
    _call(client_as(klass.student), "POST", _url(work), {"body": "Peer note", "at_seconds": 2})
    classmate = client_as(klass.classmate)
    assert _call(classmate, "GET", _url(work)).status_code == 403  # has not handed in yet
    hw.submission(work.assignment, klass.classmate, media=hw.media(klass.classmate))
    hw.grade(work.assignment, klass.student, released=True)
    assert _bodies(classmate, work) == ["Peer note"]
    response = _call(classmate, "POST", _url(work), {"body": "Lovely tone", "at_seconds": 3})
    assert response.get_json()["comment"]["kind"] == "peer"


def test_stranger_gets_404_json(klass, client_as, work):
    """Can someone outside the circle read or add comments? (404 with a JSON error, no body leaked)"""
    _call(client_as(klass.student), "POST", _url(work), {"body": "private"})
    client = client_as(klass.stranger)
    for method, body in (("GET", None), ("POST", {"body": "hi"})):
        response = _call(client, method, _url(work), body)
        assert response.status_code == 404 and response.is_json
        assert "private" not in response.get_data(as_text=True)


def test_edit_and_delete_own_comment_only(klass, client_as, work):
    """Can the author edit and delete their comment, another student neither, and staff delete
    (moderate) a student's comment but not edit it?"""
    student, teacher = client_as(klass.student), client_as(klass.teacher)
    cid = _call(student, "POST", _url(work), {"body": "typo", "at_seconds": 4}).get_json()["comment"]["id"]
    edited = _call(student, "PATCH", _url(work, cid), {"body": "fixed", "at_seconds": 6})
    assert edited.status_code == 200
    assert edited.get_json()["comment"]["body"] == "fixed" and edited.get_json()["comment"]["at_seconds"] == 6
    assert edited.get_json()["comment"]["updated_at"] is not None
    assert _call(teacher, "PATCH", _url(work, cid), {"body": "censored"}).status_code == 403
    tid = _call(teacher, "POST", _url(work), {"body": "teacher's"}).get_json()["comment"]["id"]
    assert _call(student, "DELETE", _url(work, tid)).status_code == 403
    assert _call(student, "DELETE", _url(work, cid)).status_code == 204
    assert _call(student, "PATCH", _url(work, cid), {"body": "again"}).status_code == 404
    assert _bodies(teacher, work) == ["teacher's"]
    cid2 = _call(student, "POST", _url(work), {"body": "rude"}).get_json()["comment"]["id"]
    assert _call(teacher, "DELETE", _url(work, cid2)).status_code == 204
    assert _bodies(student, work) == []
    assert db.session.get(VideoComment, cid).deleted_at is not None  # kept, hidden


def test_comment_ids_are_scoped_to_their_submission(klass, hw, client_as, work):
    """Can a comment be edited through another submission's URL? (404)"""
    student = client_as(klass.student)
    cid = _call(student, "POST", _url(work), {"body": "mine"}).get_json()["comment"]["id"]
    other = hw.submission(work.assignment, klass.student, media=hw.media(klass.student))
    assert _call(student, "PATCH", _url(other, cid), {"body": "moved"}).status_code == 404
