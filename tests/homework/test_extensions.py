"""Extensions: a later due or close time for one student or several, changed and removed with the history
kept; lateness, penalty and "missing" follow them on every page, in the gradebook and in totals."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.homework.models import Extension, ExtensionChange, LatePolicy, Submission
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later


def _minute(value):
    return value.replace(second=0, microsecond=0)


def _local(value) -> str:
    """What a datetime-local input sends (the test users have no time zone: UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M")


def _base(klass, assignment) -> str:
    return f"/circles/{klass.circle.id}/assignments/{assignment.id}"


def _grant(client, klass, assignment, students, due_at, closes_at=None, reason="", **extra):
    return client.post(f"{_base(klass, assignment)}/extensions", data={
        "student_id": [str(s.id) for s in students], "due_at": _local(due_at),
        "closes_at": _local(closes_at) if closes_at else "", "reason": reason, **extra})


def _cell(client, klass, assignment, student) -> tuple[dict, dict]:
    book = client.get(f"/circles/{klass.circle.id}/grades", headers={"Accept": "application/json"}).get_json()
    [row] = [s for s in book["students"] if s["user_id"] == student.id]
    [cell] = [g for g in row["grades"] if g["assignment_id"] == assignment.id]
    return row, cell


@pytest.fixture
def two_hours_late(klass, hw, grading):
    """10 points, due two days ago with 10 % off per late day; the student handed in two hours after the due
    time and was graded 10, released: 9 after the penalty."""
    due = _minute(ago(days=2))
    assignment = hw.assignment(klass.circle, accepts="text", points=10, due_at=due, late_policy="penalty",
                               late_penalty_per_day=10, late_penalty_cap=50)
    hw.submission(assignment, klass.student, text="two hours late", now=due + timedelta(hours=2))
    grading.grade(assignment, klass.student, klass.teacher, score=10, release=True)
    return assignment


def test_extending_by_a_day_makes_two_hours_late_on_time_everywhere(klass, client_as, two_hours_late):
    """The issue's example: once the due time is extended by a day, is the work handed in two hours late on
    time with no penalty in the gradebook (cell and totals), SpeedGrader, the student's page and feedback?"""
    assignment, teacher, student = two_hours_late, client_as(klass.teacher), client_as(klass.student)
    row, cell = _cell(teacher, klass, assignment, klass.student)
    assert (cell["score"], cell["late"], cell["penalty_percent"], row["points"]) == (9, True, 10, 9)
    response = _grant(teacher, klass, assignment, [klass.student], assignment.due_at + timedelta(days=1),
                      reason="Ill on Friday")
    assert response.status_code == 302
    row, cell = _cell(teacher, klass, assignment, klass.student)
    assert (cell["score"], cell["late"], cell["days_late"], cell["penalty_percent"]) == (10, False, 0, 0)
    assert (row["points"], row["percent"]) == (10, 100)
    grader = page_text(teacher.get(f"{_base(klass, assignment)}/grade/{klass.student.id}"))
    assert "Late penalty" not in grader and "day late" not in grader and "Extended: due" in grader
    html = student.get(_base(klass, assignment)).get_data(as_text=True)
    versions = html[html.index('class="table versions"'):]
    assert "extended for you" in page_text(student.get(_base(klass, assignment)))
    assert "badge-late" not in versions and "Submitted" in versions
    feedback = student.get(f"{_base(klass, assignment)}/feedback", headers={"Accept": "application/json"})
    assert (feedback.get_json()["grade"]["final_score"], feedback.get_json()["grade"]["penalty_percent"]) == (10, 0)
    # The classmate's view of the gradebook is their own; the student's own row follows too.
    own_row, own_cell = _cell(student, klass, assignment, klass.student)
    assert (own_cell["score"], own_row["points"]) == (10, 10)


def test_several_students_in_one_action_with_history_and_audit(klass, client_as, hw, make):
    """Does one grant give each ticked student their own due time, and are grant, change and removal each
    kept in the history and the audit log?"""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=_minute(later(days=1)))
    teacher = client_as(klass.teacher)
    new_due = _minute(later(days=3))
    assert _grant(teacher, klass, assignment, [klass.student, klass.classmate], new_due).status_code == 302
    rows = db.session.scalars(db.select(Extension).where(Extension.assignment_id == assignment.id)).all()
    assert sorted((e.student_id, e.due_at) for e in rows) == sorted(
        [(klass.student.id, new_due), (klass.classmate.id, new_due)])
    _grant(teacher, klass, assignment, [klass.student], new_due + timedelta(days=1), reason="More time")
    mine = db.session.scalar(db.select(Extension).where(Extension.assignment_id == assignment.id,
                                                        Extension.student_id == klass.student.id))
    mine_id = mine.id
    assert teacher.post(f"{_base(klass, assignment)}/extensions/{mine_id}/delete").status_code == 302
    changes = db.session.scalars(db.select(ExtensionChange).where(ExtensionChange.assignment_id == assignment.id)
                                 .order_by(ExtensionChange.id)).all()
    assert [(c.student_id, c.action.value, c.changed_by_id) for c in changes] == [
        (klass.student.id, "granted", klass.teacher.id), (klass.classmate.id, "granted", klass.teacher.id),
        (klass.student.id, "changed", klass.teacher.id), (klass.student.id, "removed", klass.teacher.id)]
    assert changes[2].due_at == new_due + timedelta(days=1) and changes[2].reason == "More time"
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.like("extension_%"))
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["extension_granted", "extension_granted", "extension_changed",
                                          "extension_removed"]
    assert {e.circle_id for e in events} == {klass.circle.id} and events[0].actor_id == klass.teacher.id
    page = page_text(teacher.get(_base(klass, assignment)))
    assert "History (4 changes)" in page and "Removed" in page
    assert db.session.get(Extension, mine_id) is None


def test_window_follows_the_students_own_times(klass, client_as, hw):
    """Late work refused after the due time: may the student with an extension hand in while a classmate is
    refused; and is work refused after the extension's own hard close?"""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=_minute(ago(hours=3)),
                               late_policy=LatePolicy.refuse)
    _grant(client_as(klass.teacher), klass, assignment, [klass.student], _minute(later(days=1)))
    ok = client_as(klass.student).post(f"{_base(klass, assignment)}/submit", data={"text": "mine"})
    assert ok.status_code == 302
    refused = client_as(klass.classmate).post(f"{_base(klass, assignment)}/submit", data={"text": "mine too"})
    assert refused.status_code == 422 and "does not take late work" in page_text(refused)
    _grant(client_as(klass.teacher), klass, assignment, [klass.classmate], _minute(ago(hours=2)),
           closes_at=_minute(ago(hours=1)))
    closed = client_as(klass.classmate).post(f"{_base(klass, assignment)}/submit", data={"text": "now?"})
    assert closed.status_code == 422 and "This assignment is closed" in page_text(closed)
    assert db.session.scalar(db.select(db.func.count()).select_from(Submission)
                             .where(Submission.student_id == klass.classmate.id)) == 0


def test_missing_follows_the_extension(klass, client_as, hw):
    """Nothing handed in, due an hour ago: missing in SpeedGrader and the gradebook; extended to tomorrow: not
    missing any more, for that student only; the student's list says when it is due for them."""
    assignment = hw.assignment(klass.circle, accepts="text", points=10, due_at=_minute(ago(hours=1)))
    teacher = client_as(klass.teacher)
    assert _cell(teacher, klass, assignment, klass.student)[1]["missing"]
    assert "Missing (2)" in page_text(teacher.get(f"{_base(klass, assignment)}/grade/{klass.student.id}"))
    _grant(teacher, klass, assignment, [klass.student], _minute(later(days=1)))
    assert not _cell(teacher, klass, assignment, klass.student)[1]["missing"]
    assert _cell(teacher, klass, assignment, klass.classmate)[1]["missing"]
    assert "Missing (1)" in page_text(teacher.get(f"{_base(klass, assignment)}/grade/{klass.student.id}"))
    listing = client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments").get_data(as_text=True)
    assert "extended for you" in listing and "Missing" not in listing
    assert "Missing" in client_as(klass.classmate).get(f"/circles/{klass.circle.id}/assignments").get_data(
        as_text=True)


def test_granted_from_speedgrader_returns_there(klass, client_as, hw):
    """Does the SpeedGrader's extension form save and come back to the same student?"""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=_minute(ago(hours=1)))
    response = _grant(client_as(klass.teacher), klass, assignment, [klass.student], _minute(later(days=1)),
                      back="grade")
    assert response.headers["Location"].endswith(f"{_base(klass, assignment)}/grade/{klass.student.id}")


@pytest.mark.parametrize("students, due, closes, message", [
    (lambda k: [k.student], lambda: later(days=2), lambda: later(days=1), "The closing time cannot be before"),
    (lambda k: [k.teacher], lambda: later(days=2), lambda: None, "Extensions are for the circle's students only."),
    (lambda k: [k.stranger], lambda: later(days=2), lambda: None, "Extensions are for the circle's students only."),
    (lambda k: [], lambda: later(days=2), lambda: None, "Choose at least one student."),
])
def test_refused_extensions(klass, client_as, hw, students, due, closes, message):
    """A close before the due time, staff, someone outside the circle, nobody: refused with the reason,
    nothing saved?"""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=_minute(later(hours=1)))
    client = client_as(klass.teacher)
    close_at = closes()
    response = _grant(client, klass, assignment, students(klass), _minute(due()),
                      _minute(close_at) if close_at else None)
    assert response.status_code == 302
    assert message in page_text(client.get(response.headers["Location"]))
    assert db.session.scalar(db.select(db.func.count()).select_from(Extension)) == 0


@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 403), ("assistant", 403),
                                          ("teacher", 302), ("owner", 302), ("admin", 302)])
def test_who_grants_and_removes_extensions(klass, client_as, hw, role, status):
    """Owner, teachers and overseers grant and remove extensions; assistants and students get 403, strangers 404."""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=_minute(later(hours=1)))
    client = client_as(klass.users[role])
    assert _grant(client, klass, assignment, [klass.student], _minute(later(days=1))).status_code == status
    _grant(client_as(klass.owner), klass, assignment, [klass.classmate], _minute(later(days=1)))
    theirs = db.session.scalar(db.select(Extension).where(Extension.student_id == klass.classmate.id))
    theirs_id = theirs.id
    assert client.post(f"{_base(klass, assignment)}/extensions/{theirs_id}/delete").status_code == status
    db.session.expunge_all()
    assert (db.session.get(Extension, theirs_id) is None) == (status == 302)


def test_extension_of_another_assignment_is_404(klass, client_as, hw):
    """Is an extension id of another assignment (or circle) answered with 404, and left alone?"""
    first = hw.assignment(klass.circle, accepts="text", due_at=_minute(later(hours=1)))
    second = hw.assignment(klass.circle, accepts="text", due_at=_minute(later(hours=1)))
    teacher = client_as(klass.teacher)
    _grant(teacher, klass, first, [klass.student], _minute(later(days=1)))
    extension = db.session.scalar(db.select(Extension))
    assert teacher.post(f"{_base(klass, second)}/extensions/{extension.id}/delete").status_code == 404
    assert db.session.get(Extension, extension.id) is not None


def test_grace_after_the_last_byte_counts_against_the_extended_due_time(klass, client_as, hw):
    """Late work refused, due yesterday, extended to five minutes ago: is a video whose last byte arrived six
    minutes ago, handed in now, on time (the hand-in grace), while an hour-old upload is refused?"""
    assignment = hw.assignment(klass.circle, due_at=_minute(ago(days=1)), late_policy=LatePolicy.refuse,
                               max_video_seconds=60)
    _grant(client_as(klass.teacher), klass, assignment, [klass.student, klass.classmate], ago(minutes=5))
    extended = db.session.scalar(db.select(Extension).where(Extension.student_id == klass.student.id)).due_at
    media = hw.media(klass.student, received_at=extended - timedelta(minutes=1))
    response = client_as(klass.student).post(f"{_base(klass, assignment)}/submit", data={"media_id": media.id})
    assert response.status_code == 302
    [submission] = db.session.scalars(db.select(Submission).where(Submission.student_id == klass.student.id))
    assert submission.submitted_at == media.received_at and not submission.lateness.is_late
    old = hw.media(klass.classmate, received_at=ago(hours=1, minutes=1))
    refused = client_as(klass.classmate).post(f"{_base(klass, assignment)}/submit", data={"media_id": old.id})
    assert refused.status_code == 422


def test_moving_the_due_time_rederives_work_already_handed_in(klass, client_as, two_hours_late):
    """Lateness is never frozen: does moving the assignment's own due time a day later make the two-hours-late
    work on time, with the full score in the gradebook?"""
    assignment = two_hours_late
    data = {"title": assignment.title, "instructions_md": "", "accepts": "text", "allow_attachments": "y",
            "max_video_minutes": "", "opens_at": "", "due_at": _local(assignment.due_at + timedelta(days=1)),
            "closes_at": "", "late_policy": "penalty", "late_penalty_per_day": "10", "late_penalty_cap": "50",
            "points": "10", "rubric_id": "0", "category_id": "0", "peer_visibility": "hidden",
            "status": "published"}
    teacher = client_as(klass.teacher)
    assert teacher.post(f"{_base(klass, assignment)}/edit", data=data).status_code == 302
    _row, cell = _cell(teacher, klass, assignment, klass.student)
    assert (cell["score"], cell["late"], cell["penalty_percent"]) == (10, False, 0)


def test_classmates_work_after_the_viewers_own_due_time(klass, client_as, hw):
    """With classmates' work shown after the due time, does a student with an extension see it only after
    their own due time (not while they may still hand in)?"""
    assignment = hw.assignment(klass.circle, accepts="text", due_at=_minute(ago(hours=2)),
                               peer_visibility="after_due")
    hw.submission(assignment, klass.classmate, text="mine", now=ago(hours=3))
    _grant(client_as(klass.teacher), klass, assignment, [klass.student], _minute(later(days=1)))
    assert client_as(klass.student).get(f"{_base(klass, assignment)}/gallery").status_code == 403
    assert client_as(klass.classmate).get(f"{_base(klass, assignment)}/gallery").status_code == 200
