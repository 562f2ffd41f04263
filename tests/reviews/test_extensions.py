"""Extensions of the review window: one student gets a later close for their review tasks, through the
teacher's pages; everyone else's window, the reminder, the authors' reviews and the audit log follow; and
after the close no grade waits on reviews that cannot come."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.grading.models import Grade
from lms.notifications.models import Notification
from lms.reviews import reviewing as rv
from lms.reviews.models import AllocationState, ReviewAllocation, ReviewExtension
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later
from tests.reviews.conftest import run_periodic, turn_on

CLOSED = "The review window has closed: reviews can no longer be written or changed."


def _local(value) -> str:
    """What a datetime-local input sends (the test users have no time zone: UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M")


def _call(client, method: str, url: str, body=None):
    """A JSON request as static/js/reviews/review.js sends it (CSRF header)."""
    return client.open(url, method=method, json=body,
                       headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"})


def _tasks(review, user) -> list[ReviewAllocation]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(ReviewAllocation).where(
        ReviewAllocation.assignment_id == review.assignment.id, ReviewAllocation.reviewer_id == user.id)
        .order_by(ReviewAllocation.id)))


def _task_url(review, task) -> str:
    return f"/circles/{review.klass.circle.id}/reviews/tasks/{task.id}"


def _extension(review, user) -> ReviewExtension | None:
    db.session.expire_all()
    return db.session.scalar(db.select(ReviewExtension).where(
        ReviewExtension.assignment_id == review.assignment.id, ReviewExtension.user_id == user.id))


def _close_now(review) -> None:
    """Everyone's window closed a minute ago."""
    settings = review.settings()
    settings.closes_at = ago(minutes=1).replace(microsecond=0)
    db.session.commit()


def _grant(client, review, user, closes_at):
    return client.post(f"{review.base}/extensions", data={"user_id": str(user.id), "closes_at": _local(closes_at)})


@pytest.fixture
def closed(app, review, client_as):
    """k = 2 among five students, allocated; everyone's window closed a minute ago, and the teacher then gave
    the klass's student (through the allocation page's form) until a day from now."""
    turn_on(review, reviews_per_submission=2)
    run_periodic(app)
    _close_now(review)
    until = later(days=1).replace(second=0, microsecond=0)
    assert _grant(client_as(review.klass.teacher), review, review.klass.student, until).status_code == 302
    review.until = until
    return review


# -- the one check: the student with an extension writes, the others do not ------------------------------

def test_with_an_extension_a_student_hands_in_after_the_close(closed, client_as):
    """After everyone's close, can the student with an extension open a task, save a draft and hand it in?"""
    client = client_as(closed.klass.student)
    task = _tasks(closed, closed.klass.student)[0]
    assert client.get(_task_url(closed, task)).status_code == 200
    assert _call(client, "POST", _task_url(closed, task) + "/draft", {"overall": "Late but careful"}).status_code == 200
    assert client.post(_task_url(closed, task) + "/submit", data={"overall": "Late but careful"}).status_code == 302
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.submitted
    tasks_page = page_text(client.get(f"{closed.base}/tasks"))
    assert "Your teacher extended your review window" in tasks_page


def test_without_an_extension_the_window_is_closed_in_their_language(closed, client_as):
    """Is a classmate without an extension refused on every write (403; a hand-in shows the page again with
    what was typed, 422), with the reason in their language?"""
    client = client_as(closed.klass.classmate)
    task = _tasks(closed, closed.klass.classmate)[0]
    base = _task_url(closed, task)
    assert _call(client, "POST", base + "/draft", {"overall": "x"}).status_code == 403
    assert _call(client, "POST", base + "/comments", {"body": "x", "at_seconds": 1}).status_code == 403
    refused = client.post(base + "/submit", data={"overall": "Typed just too late"})
    assert refused.status_code == 422 and CLOSED in page_text(refused)
    assert "Typed just too late" in refused.get_data(as_text=True)
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.assigned
    closed.klass.classmate.locale = "zh_Hans"
    db.session.commit()
    chinese = client_as(closed.klass.classmate).post(base + "/submit", data={"overall": "x"})
    assert chinese.status_code == 422 and "互评已结束" in page_text(chinese)


def test_one_predicate_answers_for_each_reviewer(closed):
    """Does window_refusal (the routes' one check) open the window for the extended student only, and close
    it for them once their own time has passed?"""
    settings = closed.settings()
    assert rv.window_refusal(settings, closed.klass.student.id) is None
    assert rv.window_refusal(settings, closed.klass.classmate.id) == CLOSED
    assert rv.window_refusal(settings) == CLOSED
    assert rv.window_refusal(settings, closed.klass.student.id, now=closed.until + timedelta(seconds=1)) == CLOSED


# -- listed, changed, removed; audited and told ------------------------------------------------------------

def test_extensions_are_listed_changed_and_removed(closed, client_as):
    """Does the allocation page list the extension, the student's page change it, and removing it close the
    student's window again (their hand-in refused)?"""
    teacher = client_as(closed.klass.teacher)
    listed = teacher.get(f"{closed.base}/allocation")
    assert f'data-extension="{closed.klass.student.id}"' in listed.get_data(as_text=True)
    page = f"{closed.base}/extensions/{closed.klass.student.id}"
    assert teacher.get(page).status_code == 200
    moved = closed.until + timedelta(days=1)
    assert teacher.post(page, data={"user_id": str(closed.klass.student.id), "closes_at": _local(moved)}).status_code == 302
    assert _extension(closed, closed.klass.student).closes_at == moved
    assert teacher.post(page + "/delete", data={"back": "student"}).status_code == 302
    assert _extension(closed, closed.klass.student) is None
    task = _tasks(closed, closed.klass.student)[0]
    assert client_as(closed.klass.student).post(_task_url(closed, task) + "/submit",
                                                data={"overall": "x"}).status_code == 422


def test_every_change_is_audited_and_told_to_the_student(closed, client_as):
    """Are the grant, the change and the removal on the audit log (who, for whom), and is the student told
    each time through the notification service?"""
    teacher = client_as(closed.klass.teacher)
    _grant(teacher, closed, closed.klass.student, closed.until + timedelta(hours=5))
    teacher.post(f"{closed.base}/extensions/{closed.klass.student.id}/delete")
    events = list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.like("review_extension_%"))
                                     .order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["review_extension_granted", "review_extension_changed",
                                          "review_extension_removed"]
    assert all(e.actor_id == closed.klass.teacher.id and e.details["reviewer_id"] == closed.klass.student.id
               for e in events)
    told = list(db.session.scalars(db.select(Notification).where(Notification.kind == "review_extension_changed")))
    assert [n.user_id for n in told] == [closed.klass.student.id] * 3
    assert {n.params.get("variant") for n in told} == {"granted", "changed", "removed"}


def test_a_refused_extension_says_why(closed, client_as):
    """An extension that would close before everyone's window, or already past, is refused with a message."""
    teacher = client_as(closed.klass.teacher)
    response = _grant(teacher, closed, closed.klass.classmate, ago(hours=1))
    assert response.status_code == 302
    assert _extension(closed, closed.klass.classmate) is None
    assert "closes later than the review window" in page_text(teacher.get(f"{closed.base}/allocation"))


@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 403), ("classmate", 403),
                                          ("teacher", 302)])
def test_who_may_grant(review, app, client_as, role, status):
    """A stranger gets 404 (the page and the grant), students 403; only staff who allocate grant."""
    turn_on(review, reviews_per_submission=2)
    run_periodic(app)
    client = client_as(getattr(review.klass, role))
    response = _grant(client, review, review.klass.classmate, later(days=3))
    assert response.status_code == status
    assert (_extension(review, review.klass.classmate) is not None) is (status == 302)
    page = client.get(f"{review.base}/extensions/{review.klass.classmate.id}")
    assert page.status_code == (200 if status == 302 else status)
    removal = client.post(f"{review.base}/extensions/{review.klass.classmate.id}/delete")
    assert removal.status_code == (302 if status == 302 else status)


def test_someone_outside_the_class_gets_no_extension_page(closed, client_as, make):
    """The per-student page of someone who is not a student of the circle is not found."""
    outsider = make.user("Outsider")
    teacher = client_as(closed.klass.teacher)
    assert teacher.get(f"{closed.base}/extensions/{outsider.id}").status_code == 404
    assert teacher.get(f"{closed.base}/extensions/{closed.klass.teacher.id}").status_code == 404


# -- the reminder and the authors ------------------------------------------------------------------------

def test_the_reminder_follows_the_students_own_close(app, review, client_as):
    """Everyone's window closes in 20 h, the student's in 3 days: the others are reminded now, the student
    not; a day before their own close the student is, and nobody else again."""
    turn_on(review, reviews_per_submission=2, closes_at=later(hours=20))
    run_periodic(app)
    assert _grant(client_as(review.klass.teacher), review, review.klass.student, later(days=3)).status_code == 302
    rv.send_reminders()
    db.session.commit()
    first = {n.user_id for n in db.session.scalars(db.select(Notification).where(Notification.kind == "review_reminder"))}
    assert review.klass.student.id not in first and review.klass.classmate.id in first
    rv.send_reminders(now=later(days=2, hours=1))
    db.session.commit()
    rows = list(db.session.scalars(db.select(Notification).where(Notification.kind == "review_reminder")))
    assert sorted(n.user_id for n in rows) == sorted(first | {review.klass.student.id})


def test_a_late_review_reaches_its_author_when_handed_in(closed, app, client_as):
    """After the close was announced, does a review handed in within an extension show on its author's page
    at once, and is that author told?"""
    run_periodic(app)  # the close is announced (nothing handed in yet)
    assert closed.settings().announced_at is not None
    task = _tasks(closed, closed.klass.student)[0]
    author = db.session.get(type(closed.klass.student), task.author_id)
    client_as(closed.klass.student).post(_task_url(closed, task) + "/submit", data={"overall": "Worth the wait"})
    told = list(db.session.scalars(db.select(Notification).where(Notification.kind == "reviews_available")))
    assert [n.user_id for n in told] == [author.id]
    assert "Worth the wait" in page_text(client_as(author).get(f"{closed.base}/received"))


# -- after the close, the teacher decides with what exists ------------------------------------------------

def test_after_the_close_unfinished_tasks_do_not_hold_up_the_grade(closed, client_as):
    """One of the two reviews of a classmate's work is handed in, the other never will be: does the teacher
    see "1 of 2", accept the peer score, and grade themselves work nobody reviewed?"""
    task = _tasks(closed, closed.klass.student)[0]
    client_as(closed.klass.student).post(_task_url(closed, task) + "/submit", data={"overall": "Solid"})
    author_id = task.author_id
    teacher = client_as(closed.klass.teacher)
    results = teacher.get(f"{closed.base}/results").get_data(as_text=True)
    assert f'data-received="1/2"' in results and "data-short=" in results
    page = page_text(teacher.get(f"{closed.base}/results/{author_id}"))
    assert "1 of 2 reviews handed in" in page and "does not hold up the grade" in page
    circle, assignment = closed.klass.circle.id, closed.assignment.id
    assert teacher.post(f"/circles/{circle}/assignments/{assignment}/grade/{author_id}/peer").status_code == 302
    assert db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment,
                                                    Grade.student_id == author_id)) is not None
    reviewed = {t.author_id for t in db.session.scalars(db.select(ReviewAllocation).where(
        ReviewAllocation.assignment_id == assignment, ReviewAllocation.state == AllocationState.submitted))}
    nobody = next(s for s in closed.students if s.id not in reviewed)
    assert teacher.post(f"/circles/{circle}/assignments/{assignment}/grade/{nobody.id}",
                        data={"score": "70", "feedback": "Graded by me"}).status_code == 302
    grade = db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment, Grade.student_id == nobody.id))
    assert grade is not None and grade.score == 70


# -- reopening after the close ------------------------------------------------------------------------------

def test_reopening_after_the_close_gives_the_reviewer_time_to_change_it(app, review, client_as):
    """After everyone's close, does the teacher's reopen ask until when (refusing without a time, nothing
    changed), and with a time reopen the review and give the reviewer that extension in one step, so that
    the reviewer can open, change and hand it in again?"""
    turn_on(review, reviews_per_submission=2)
    run_periodic(app)
    student = client_as(review.klass.classmate)
    task = _tasks(review, review.klass.classmate)[0]
    assert student.post(_task_url(review, task) + "/submit", data={"overall": "First try"}).status_code == 302
    _close_now(review)
    teacher = client_as(review.klass.teacher)
    listed = teacher.get(f"{review.base}/allocation").get_data(as_text=True)
    url = f"{review.base}/allocation/{task.id}/reopen"
    assert f'href="{url}"' in listed and "data-reopen-link" in listed
    page = teacher.get(url)
    assert page.status_code == 200 and "data-needs-extension" in page.get_data(as_text=True)
    refused = teacher.post(url, data={})
    assert refused.status_code == 422 and "give the time until which" in page_text(refused)
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.submitted
    until = later(days=1).replace(second=0, microsecond=0)
    assert teacher.post(url, data={"closes_at": _local(until)}).status_code == 302
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.draft
    assert _extension(review, review.klass.classmate).closes_at == until
    assert {e.action for e in db.session.scalars(db.select(AuditEvent))} >= {"review_reopened",
                                                                              "review_extension_granted"}
    opened = student.get(_task_url(review, task))
    assert opened.status_code == 200 and "data-comment-form" in opened.get_data(as_text=True)
    assert student.post(_task_url(review, task) + "/submit", data={"overall": "Second, better try"}).status_code == 302
    assert db.session.get(ReviewAllocation, task.id).state == AllocationState.submitted
