"""Recomputing every member's streak summary of a task at once (after its schedule changes): the same
results as one member at a time, across a daylight-saving change, in a number of statements that does
not grow with the circle."""
from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from lms.accounts import operations as accounts
from lms.checkins import operations as ops
from lms.checkins.models import Checkin, CheckinStreak, ScheduleKind
from lms.circles import operations as circles
from lms.circles.models import Role
from lms.core.types import utcnow
from lms.extensions import db
from tests.checkins.support import make_task

LDN = "Europe/London"
PASSWORD = "correct horse battery"


def _members(circle, count: int, tag: str) -> list:
    users = []
    for n in range(count):
        user = accounts.register_user(f"rc-{tag}-{n}@checkins.example", PASSWORD, f"Member {n}")
        circles.add_member(circle, user, Role.student, display_name=f"Member {tag}{n}")
        users.append(user)
    db.session.commit()
    return users


def _history(task, users, seed: int, first: date, days: int) -> None:
    """Check-ins written straight in (a history, not the rules of checking in), with make-ups, then each
    member's summary made one at a time (refresh_streak)."""
    rng = random.Random(seed)
    rows = []
    for user in users:
        for d in range(days):
            if rng.random() < 0.8:
                rows.append({"task_id": task.id, "user_id": user.id, "day": first + timedelta(days=d),
                             "submitted_at": utcnow(), "text": "read", "is_makeup": rng.random() < 0.1,
                             "like_count": 0, "comment_count": 0})
    db.session.execute(sa.insert(Checkin), rows)
    for user in users:
        ops.refresh_streak(task, user.id)
    db.session.commit()


def _summaries(task) -> dict[int, tuple]:
    return {r.user_id: (r.total, r.makeups, r.longest, r.run, r.last_day) for r in db.session.scalars(
        sa.select(CheckinStreak).where(CheckinStreak.task_id == task.id))}


def test_recomputing_a_task_gives_what_one_member_at_a_time_gives(klass):
    """Across London's spring-forward (29 March 2026), for every schedule a task can take, do the
    summaries recomputed for the whole task equal those `refresh_streak` makes member by member?"""
    first = date(2026, 3, 1)
    task = make_task(klass.circle, klass.teacher, zone=LDN, starts_on=first)
    users = _members(klass.circle, 6, "same")
    _history(task, users + [klass.student], 7, first, 60)
    for schedule, extra in ((ScheduleKind.weekdays, {}), (ScheduleKind.chosen, {"weekday_mask": 0b0101011}),
                            (ScheduleKind.date_range, {"ends_on": date(2026, 4, 10)}), (ScheduleKind.daily, {})):
        ops.update_task(task, klass.teacher, schedule=schedule, **extra)
        db.session.commit()
        together = _summaries(task)
        for user in users + [klass.student]:
            ops.refresh_streak(task, user.id)
        db.session.commit()
        assert _summaries(task) == together, schedule
    # a summary whose check-ins are gone is zeroed
    db.session.execute(sa.delete(Checkin).where(Checkin.task_id == task.id, Checkin.user_id == users[0].id))
    ops.recompute_streaks(task)
    db.session.commit()
    assert _summaries(task)[users[0].id] == (0, 0, 0, 0, None)


def test_a_schedule_change_recomputes_in_statements_that_do_not_grow_with_the_circle(klass, count_queries):
    """Changing the schedule of a task of 3 members and of one of 15 (each with 40 days of history):
    does the recomputation send the same number of SQL statements?"""
    first = date(2026, 3, 1)
    counts = []
    for size, tag in ((3, "small"), (15, "big")):
        task = make_task(klass.circle, klass.teacher, zone=LDN, starts_on=first, title=f"Task {tag}")
        users = _members(klass.circle, size, tag)
        _history(task, users, 11, first, 40)
        db.session.expire_all()
        with count_queries as counter:
            ops.update_task(task, klass.teacher, schedule=ScheduleKind.weekdays)
            db.session.flush()
        counts.append(counter.count)
        db.session.commit()
    assert counts[0] == counts[1], counts


def _reference(task, days) -> tuple:
    """The rule as first written, day by day with the task's own count_scheduled."""
    longest = run = 0
    previous = None
    for day in sorted(set(days)):
        if not task.is_scheduled(day):
            continue
        if previous is not None and task.count_scheduled(previous + timedelta(days=1), day - timedelta(days=1)) == 0:
            run += 1
        else:
            run = 1
        previous = day
        longest = max(longest, run)
    return longest, (run if previous is not None else 0), previous


def test_the_fast_summary_keeps_the_rule(klass):
    """For random histories and every kind of schedule (weekdays, any set of chosen days, a date range),
    does streaks.summarise give the longest run, the last run and its day the rule gives?"""
    from lms.checkins import streaks

    rng = random.Random(16)
    first = date(2026, 1, 5)
    task = make_task(klass.circle, klass.teacher, zone=LDN, starts_on=first)
    for trial in range(300):
        schedule = rng.choice([ScheduleKind.daily, ScheduleKind.weekdays, ScheduleKind.chosen, ScheduleKind.date_range])
        task.schedule = schedule
        task.weekday_mask = rng.randrange(1, 128)
        task.ends_on = first + timedelta(days=rng.randrange(0, 90)) if schedule == ScheduleKind.date_range else None
        days = [first + timedelta(days=rng.randrange(-5, 100)) for _ in range(rng.randrange(0, 60))]
        got = streaks.summarise(task, days)
        assert (got.longest, got.run, got.last_day) == _reference(task, days), (trial, schedule, task.weekday_mask)
    db.session.rollback()
