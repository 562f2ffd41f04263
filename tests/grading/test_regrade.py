"""Regrade requests: a student asks about a released grade, staff accept with a new grade or decline."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.grading.models import Grade, GradeChange, RegradeRequest, RegradeState
from tests.fixtures.app import page_text


@pytest.fixture
def released(klass, hw, grading):
    assignment = hw.assignment(klass.circle, accepts="text", points=10, title="Essay")
    hw.submission(assignment, klass.student, text="essay")
    grading.grade(assignment, klass.student, klass.teacher, score=5, release=True)
    return assignment


def _urls(klass, assignment):
    base = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    return f"{base}/feedback", f"{base}/grade/{klass.student.id}", base


def _requests():
    db.session.expire_all()
    return list(db.session.scalars(db.select(RegradeRequest).order_by(RegradeRequest.id)))


def _regrade_mail(mailbox, address: str) -> str:
    [message] = [m for m in mailbox.to(address) if "regrade" in m["Subject"]]
    return message.get_payload(decode=True).decode()


def test_student_asks_and_teacher_accepts_with_a_new_grade(klass, client_as, mailbox, released):
    """Does an accepted request change the grade (kept released, in the history) and show the answer?"""
    feedback, grade_url, _base = _urls(klass, released)
    student = client_as(klass.student)
    assert student.post(feedback, data={"reason": "I did answer question 3."}).status_code == 302
    [request] = _requests()
    assert request.state == RegradeState.open and request.reason == "I did answer question 3."
    teacher = client_as(klass.teacher)
    page = page_text(teacher.get(grade_url))
    assert "Regrade requested" in page and "I did answer question 3." in page
    response = teacher.post(grade_url, data={"score": "8", "resolve": "accept", "regrade_response": "You did."})
    assert response.status_code == 302
    [request] = _requests()
    assert (request.state, request.response, request.resolved_by_id) == (RegradeState.accepted, "You did.",
                                                                         klass.teacher.id)
    grade = db.session.scalar(db.select(Grade))
    assert grade.score == 8 and grade.is_released
    assert [c.action for c in db.session.scalars(db.select(GradeChange).order_by(GradeChange.id))] == [
        "graded", "released", "regrade_resolved"]
    text = page_text(student.get(feedback))
    assert "8 / 10" in text and "Accepted" in text and "Answer: You did." in text
    body = _regrade_mail(mailbox, klass.student.email)
    assert "changed your grade" in body and "You did." in body and "/feedback" in body


def test_teacher_declines_with_a_response(klass, client_as, mailbox, released):
    """Does declining need a response, keep the grade, and let the student ask again later?"""
    feedback, _grade_url, base = _urls(klass, released)
    student = client_as(klass.student)
    student.post(feedback, data={"reason": "Please look again."})
    [request] = _requests()
    teacher = client_as(klass.teacher)
    empty = teacher.post(f"{base}/regrades/{request.id}/decline", data={"response": ""}, follow_redirects=True)
    assert "Tell the student why the grade stays as it is." in page_text(empty)
    assert _requests()[0].state == RegradeState.open
    teacher.post(f"{base}/regrades/{request.id}/decline", data={"response": "The rubric is clear."})
    [request] = _requests()
    assert request.state == RegradeState.declined and request.response == "The rubric is clear."
    assert db.session.scalar(db.select(Grade)).score == 5
    assert "Declined" in page_text(student.get(feedback))
    body = _regrade_mail(mailbox, klass.student.email)
    assert "kept your grade" in body and "The rubric is clear." in body
    assert student.post(feedback, data={"reason": "One more thing."}).status_code == 302
    assert [r.state for r in _requests()] == [RegradeState.declined, RegradeState.open]


def test_one_open_request_at_a_time(klass, client_as, released):
    """Is a second request refused while the first is open, and an empty reason refused?"""
    feedback, _grade_url, _base = _urls(klass, released)
    student = client_as(klass.student)
    assert student.post(feedback, data={"reason": ""}).status_code == 422
    student.post(feedback, data={"reason": "First."})
    # The form is gone while a request is open; a resent form is refused with the reason.
    again = student.post(feedback, data={"reason": "Second."})
    assert again.status_code == 422
    assert "You already asked for a regrade of this grade. Wait for the answer." in page_text(again)
    assert len(_requests()) == 1


def test_no_regrade_of_an_unreleased_grade_or_for_someone_else(klass, client_as, hw, grading, released):
    """Can a student ask about a grade not released yet, or a classmate about someone else's? (No.)"""
    hidden = hw.assignment(klass.circle, accepts="text", points=10)
    hw.submission(hidden, klass.student, text="x")
    grading.grade(hidden, klass.student, klass.teacher, score=3)
    feedback, _g, _b = _urls(klass, hidden)
    assert client_as(klass.student).post(feedback, data={"reason": "Why?"}).status_code == 403
    released_feedback, _g, _b = _urls(klass, released)
    # The classmate has no grade of their own here: nothing to ask about.
    assert client_as(klass.classmate).post(released_feedback, data={"reason": "Why?"}).status_code == 403
    assert _requests() == []


@pytest.mark.parametrize("role, status", [("student", 403), ("classmate", 403), ("stranger", 404)])
def test_only_staff_decline(klass, client_as, released, role, status):
    """Can anyone but staff answer a regrade request? (Students 403, strangers 404.)"""
    feedback, _g, base = _urls(klass, released)
    client_as(klass.student).post(feedback, data={"reason": "Please."})
    [request] = _requests()
    response = client_as(getattr(klass, role)).post(f"{base}/regrades/{request.id}/decline",
                                                    data={"response": "No."})
    assert response.status_code == status
    assert _requests()[0].state == RegradeState.open
