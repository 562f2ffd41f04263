"""Allocation rounds through the app's real paths: the periodic task allocates once when the window opens,
runs later rounds hourly for late work, and the teacher's "Allocate now"."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from lms.extensions import db
from lms.notifications.models import Notification
from lms.reviews.models import AllocationState, ReviewAllocation
from tests.fixtures.homework import later
from tests.reviews.conftest import run_periodic, turn_on


def _tasks(review, *, live=True):
    query = db.select(ReviewAllocation).where(ReviewAllocation.assignment_id == review.assignment.id)
    if live:
        query = query.where(ReviewAllocation.state != AllocationState.reassigned)
    return list(db.session.scalars(query.order_by(ReviewAllocation.id)))


def _hour_passes(review) -> None:
    """Move the last round an hour and a minute into the past (the clock the scheduler reads is real)."""
    settings = review.settings()
    settings.last_round_at = settings.last_round_at - timedelta(hours=1, minutes=1)
    db.session.commit()


def test_the_window_opening_allocates_once(app, review):
    """When the periodic task runs in an open window, does every on-time submission get 3 reviews and every
    student 3 tasks, nobody their own, and does a second run change nothing?"""
    turn_on(review)
    assert _tasks(review) == []
    run_periodic(app)
    tasks = _tasks(review)
    ids = {s.id for s in review.students}
    assert len(tasks) == 15
    assert Counter(t.reviewer_id for t in tasks) == {i: 3 for i in ids}
    assert Counter(t.author_id for t in tasks) == {i: 3 for i in ids}
    assert all(t.reviewer_id != t.author_id and t.round == 1 and not t.is_by_hand for t in tasks)
    assert len({(t.reviewer_id, t.author_id) for t in tasks}) == 15
    settings = review.settings()
    assert (settings.rounds, settings.shortfall) == (1, [])
    run_periodic(app)
    assert [t.id for t in _tasks(review)] == [t.id for t in tasks]
    assert review.settings().rounds == 1


def test_reviewers_are_told_once(app, review):
    """Does each reviewer get one notification for the round, naming no author?"""
    turn_on(review)
    run_periodic(app)
    rows = list(db.session.scalars(db.select(Notification).where(Notification.kind == "review_tasks_assigned")))
    assert sorted(n.user_id for n in rows) == sorted(s.id for s in review.students)
    for row in rows:
        assert not any(s.name in str(row.params) for s in review.students)


def test_a_closed_or_future_window_allocates_nothing(app, review):
    """Does the task leave an assignment alone before its window opens (and when peer review is off)?"""
    turn_on(review, opens_at=later(hours=3))
    run_periodic(app)
    assert _tasks(review) == [] and review.settings().rounds == 0


def test_late_work_is_covered_in_the_next_round(app, review, hw, make):
    """Work handed in after the due time: left out of the first round, covered by the next hourly one, with
    3 reviews and 3 tasks, without moving the first round's tasks?"""
    late = make.member(review.klass.circle, make.user("Latecomer")).user
    hw.submission(review.assignment, late, text="late work", now=review.due + timedelta(minutes=30))
    turn_on(review)
    run_periodic(app)
    first = _tasks(review)
    assert all(late.id not in (t.author_id,) for t in first)
    assert review.settings().rounds == 1
    run_periodic(app)  # within the hour: nothing
    assert len(_tasks(review)) == len(first)
    _hour_passes(review)
    run_periodic(app)
    tasks = _tasks(review)
    assert [t.id for t in tasks[:len(first)]] == [t.id for t in first]
    added = tasks[len(first):]
    assert {t.round for t in added} == {2}
    assert sum(t.author_id == late.id for t in tasks) == 3
    assert sum(t.reviewer_id == late.id for t in tasks) >= 3
    loads = Counter(t.reviewer_id for t in tasks)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert len({(t.reviewer_id, t.author_id) for t in tasks}) == len(tasks)


def test_too_small_a_class_is_told_what_is_missing(app, small_review):
    """With two submissions and k = 3, does each get the one review possible, and does the set-up record the
    shortfall with the reason (one possible reviewer)?"""
    klass = small_review.klass
    turn_on(small_review)
    run_periodic(app)
    assert sorted((t.reviewer_id, t.author_id) for t in _tasks(small_review)) == sorted(
        [(klass.student.id, klass.classmate.id), (klass.classmate.id, klass.student.id)])
    assert sorted((s["author_id"], s["missing"], s["eligible"]) for s in small_review.settings().shortfall) == sorted(
        [(klass.student.id, 2, 1), (klass.classmate.id, 2, 1)])


def test_non_submitters_review_when_allowed(app, review, make):
    """With "students who handed nothing in may review", does a student with no work get 3 tasks and no
    reviews of their own?"""
    idle = make.member(review.klass.circle, make.user("Watcher")).user
    turn_on(review, non_submitters_review=True)
    run_periodic(app)
    tasks = _tasks(review)
    assert sum(t.reviewer_id == idle.id for t in tasks) == 3
    assert not any(t.author_id == idle.id for t in tasks)
    received = Counter(t.author_id for t in tasks)
    assert min(received.values()) >= 3 and max(received.values()) - min(received.values()) <= 1


def test_group_mates_are_kept_apart(app, review, monkeypatch):
    """With the group rule on and a group source saying who is together, does nobody review a group mate?"""
    from lms.reviews import groups

    a, b, c, d, e = (s.id for s in review.students)
    together = {a: "g1", b: "g1", c: "g2", d: "g2"}
    monkeypatch.setitem(app.extensions, groups._EXTENSION, lambda assignment: together)
    turn_on(review, separate_groups=True)
    run_periodic(app)
    tasks = _tasks(review)
    assert tasks
    assert all(together.get(t.reviewer_id) is None or together.get(t.reviewer_id) != together.get(t.author_id)
               for t in tasks)


def test_allocate_now_runs_a_round_at_once(app, review, client_as):
    """Does the teacher's "Allocate now" run a round in the open window, even within the hour?"""
    turn_on(review)
    teacher = client_as(review.klass.teacher)
    response = teacher.post(f"{review.base}/allocation/run")
    assert response.status_code == 302
    assert len(_tasks(review)) == 15 and review.settings().rounds == 1
    teacher.post(f"{review.base}/allocation/run")
    assert len(_tasks(review)) == 15 and review.settings().rounds == 2


def test_a_late_joiner_who_may_review_gets_tasks(app, review, make):
    """Where students who handed nothing in may review, does someone who joins after the first round get 3
    tasks in the next one (on-time work then has 3 or 4 reviews), with no pair repeated?"""
    turn_on(review, non_submitters_review=True)
    run_periodic(app)
    joiner = make.member(review.klass.circle, make.user("Joiner")).user
    _hour_passes(review)
    run_periodic(app)
    tasks = _tasks(review)
    assert sum(t.reviewer_id == joiner.id for t in tasks) == 3
    assert {t.round for t in tasks if t.reviewer_id == joiner.id} == {2}
    received = Counter(t.author_id for t in tasks)
    assert set(received.values()) <= {3, 4}
    assert len({(t.reviewer_id, t.author_id) for t in tasks}) == len(tasks)


def test_an_archived_circle_or_a_closed_window_gets_no_round(app, review):
    """Does nothing happen once the window has closed, or when the circle is archived?"""
    turn_on(review)
    settings = review.settings()
    settings.closes_at = review.due + timedelta(minutes=30)  # closed an hour and a half ago
    db.session.commit()
    run_periodic(app)
    assert _tasks(review) == []
    settings = review.settings()
    settings.closes_at = later(days=1)
    review.klass.circle.is_archived = True
    db.session.commit()
    run_periodic(app)
    assert _tasks(review) == []


def test_a_later_round_the_same_day_does_not_mail_again(app, review, hw, make):
    """Work handed in late is covered by the next hourly round: do the reviewers it gives tasks to see it on
    their bell without a second mail the same day, while a reviewer it gives nothing hears nothing, and a
    newcomer's first notice is mailed by their preference?"""
    from lms.notifications.models import MailState

    turn_on(review)
    run_periodic(app)
    late = make.member(review.klass.circle, make.user("Latecomer")).user
    hw.submission(review.assignment, late, text="late work", now=review.due + timedelta(minutes=30))
    _hour_passes(review)
    run_periodic(app)
    db.session.expire_all()
    rows = list(db.session.scalars(db.select(Notification).where(Notification.kind == "review_tasks_assigned")
                                   .order_by(Notification.id)))
    second_round = {t.reviewer_id for t in _tasks(review) if t.round == 2}
    assert second_round and len(rows) == len(review.students) + len(second_round)
    later_rows = rows[len(review.students):]
    assert {n.user_id for n in later_rows} == second_round
    for row in later_rows:
        expected = MailState.none if row.user_id != late.id else rows[0].mail_state
        assert row.mail_state == expected, (row.user_id, row.mail_state)
