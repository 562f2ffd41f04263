"""The kinds the domains register: a join request reaches the circle's staff; a newly published assignment its
learners (once); "due within 24 hours" only those who have not handed in and whose own deadline is that close,
once each; grade released still mails by default."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms.circles import operations as circle_ops
from lms.circles.models import JoinPolicy, Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import operations as hw_ops
from lms.homework.notifications import remind_due_soon
from lms.homework.tasks import remind_due_assignments
from lms.notifications.models import Notification


def _who(kind: str) -> list[int]:
    return sorted(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)))


def test_a_join_request_tells_the_staff_only(make):
    owner, assistant, student, asker = make.user(), make.user(), make.user(), make.user("Asker")
    circle = make.circle(owner, join_policy=JoinPolicy.approval)
    make.member(circle, assistant, Role.assistant)
    make.member(circle, student)
    circle_ops.request_to_join(circle, asker, display_name="Asker A")
    db.session.commit()
    assert _who("join_requested") == sorted([owner.id, assistant.id])
    row = db.session.scalar(sa.select(Notification).where(Notification.user_id == owner.id))
    assert row.params == {"name": "Asker A", "circle": circle.name}
    assert row.url == f"/c/{circle.id}/members?status=pending"


def test_publishing_tells_the_learners_once(klass, hw):
    """A draft published: the two students are told, the staff are not; back to draft and published again:
    nobody a second time."""
    assignment = hw.assignment(klass.circle, publish=False, title="Scales")
    assert _who("assignment_published") == []
    hw_ops.update_assignment(assignment, klass.teacher, publish=True)
    db.session.commit()
    assert _who("assignment_published") == sorted([klass.student.id, klass.classmate.id])
    hw_ops.update_assignment(assignment, klass.teacher, publish=False)
    hw_ops.update_assignment(assignment, klass.teacher, publish=True)
    db.session.commit()
    assert len(_who("assignment_published")) == 2


def test_due_soon_reminds_only_who_has_not_handed_in_and_only_once(klass, hw, make):
    """Due in 10 hours: the classmate who handed in is not reminded; the student who has not is, once however
    often the task runs; a third student with an extension to three days later is not; nor is anyone about an
    assignment due in two days."""
    third = make.user()
    make.member(klass.circle, third)
    essay = hw.assignment(klass.circle, accepts="text", title="Essay", due_at=utcnow() + timedelta(hours=10))
    hw.assignment(klass.circle, accepts="text", title="Later", due_at=utcnow() + timedelta(days=2))
    hw.submission(essay, klass.classmate, text="done")
    hw_ops.grant_extension(essay, [third], klass.teacher, due_at=utcnow() + timedelta(days=3))
    db.session.commit()
    remind_due_assignments()
    remind_due_soon()
    db.session.commit()
    reminded = _who("assignment_due_soon")
    assert klass.student.id in reminded and klass.classmate.id not in reminded
    assert reminded.count(klass.student.id) == 1
    assert third.id not in reminded


def test_opening_the_assignment_or_its_feedback_marks_its_notifications_read(klass, hw, grading, client_as):
    """A student told about a new assignment and then their grade: opening the assignment reads the
    first, opening the feedback the second; another student's stay unread."""
    from lms.notifications.models import Notification

    assignment = hw.assignment(klass.circle, title="Scales", points=10, published=False)
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/{assignment.id}/publish")

    def unread(user):
        db.session.expire_all()
        return list(db.session.scalars(db.select(Notification.kind).where(
            Notification.user_id == user.id, Notification.read_at.is_(None),
            Notification.subject_id == assignment.id)))

    assert unread(klass.student) == ["assignment_published"]
    student = client_as(klass.student)
    assert student.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}").status_code == 200
    assert unread(klass.student) == []
    assert unread(klass.classmate) == ["assignment_published"]
    hw.submission(assignment, klass.student)
    grading.grade(assignment, klass.student, klass.teacher, score=8, release=True)
    db.session.commit()
    assert unread(klass.student) == ["grade_released"]
    assert student.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/feedback").status_code == 200
    assert unread(klass.student) == []


def test_the_page_that_reads_a_notification_shows_the_bell_without_it(klass, hw, client_as):
    """The bell's count is read with the session, before the page marks its notifications read: the page
    that opens the assignment shows the count as it is after, not before."""
    import re

    assignment = hw.assignment(klass.circle, title="Scales", published=False)
    client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/{assignment.id}/publish")
    student = client_as(klass.student)

    def bell(page) -> str:
        return re.search(r'<span class="bell-count" data-bell-count( hidden)?>(\d+)', page.get_data(as_text=True)).group(0)

    assert bell(student.get("/")).endswith(">1") and "hidden" not in bell(student.get("/"))
    opened = student.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}")
    assert "hidden" in bell(opened) and bell(opened).endswith(">0")
