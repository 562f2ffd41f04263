"""Reading live lessons: scoped lookups (404 for whoever may not see them), the circle's lists, the next one,
who is told, and what the periodic sweep finds due."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.types import one_of, utcnow
from lms.extensions import db
from lms.live.models import ON_AIR_STATES, LessonState, LiveLesson


def get_lesson_or_404(circle: Circle, lesson_id: int, user: User | None) -> LiveLesson:
    """The circle's lesson if `user` may see it; 404 otherwise (another circle's id, a stranger)."""
    lesson = db.session.scalar(sa.select(LiveLesson).where(LiveLesson.id == lesson_id,
                                                           LiveLesson.circle_id == circle.id))
    if lesson is None or not lesson.can_view(user):
        abort(404)
    return lesson


@dataclass
class Lists:
    live: list[LiveLesson] = field(default_factory=list)
    upcoming: list[LiveLesson] = field(default_factory=list)
    past: list[LiveLesson] = field(default_factory=list)  #: ended and cancelled, newest first


#: how many past lessons the Live tab shows
PAST_SHOWN = 50


def circle_lessons(circle: Circle) -> Lists:
    """The circle's lessons for its Live tab: on air, scheduled (soonest first), past (newest first). Two queries."""
    lists, now, overdue = Lists(), utcnow(), []
    for lesson in db.session.scalars(
            sa.select(LiveLesson).where(LiveLesson.circle_id == circle.id,
                                        LiveLesson.state.in_([LessonState.scheduled, *ON_AIR_STATES]))
            .order_by(LiveLesson.starts_at, LiveLesson.id)):
        if lesson.is_on_air:
            lists.live.append(lesson)
        elif is_overdue(lesson, now):
            overdue.append(lesson)
        else:
            lists.upcoming.append(lesson)
    lists.past = overdue[::-1] + list(db.session.scalars(
        sa.select(LiveLesson).where(LiveLesson.circle_id == circle.id,
                                    LiveLesson.state.in_([LessonState.ended, LessonState.cancelled]))
        .order_by(sa.func.coalesce(LiveLesson.ended_at, LiveLesson.starts_at).desc(), LiveLesson.id.desc())
        .limit(PAST_SHOWN)))
    return lists


def is_overdue(lesson: LiveLesson | NextLesson, now: datetime | None = None) -> bool:
    """A scheduled lesson whose expected end has passed without it going live (listed with the past ones,
    off the home page; it can still go live, be edited or cancelled)."""
    return lesson.state == LessonState.scheduled and lesson.expected_end <= (now or utcnow())


class NextLesson(NamedTuple):
    """The lesson the home page's card shows (live/_home.html), read as plain values: the page asks on every
    view, and a model object costs more to build than the query to run."""

    id: int
    title: str
    state: LessonState
    starts_at: datetime
    expected_minutes: int

    @property
    def is_on_air(self) -> bool:
        return self.state in ON_AIR_STATES

    @property
    def expected_end(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.expected_minutes)


def _next_lesson_statement() -> sa.Select:
    """next_lesson's query by bound parameters (circle_id, since): built once, as the circle's home page
    runs it on every view and building it costs more than running it. Only the card's columns."""
    statement = _STATEMENTS.get("next")
    if statement is None:
        statement = _STATEMENTS["next"] = (
            sa.select(LiveLesson.id, LiveLesson.title, LiveLesson.state, LiveLesson.starts_at,
                      LiveLesson.expected_minutes).where(LiveLesson.circle_id == sa.bindparam("circle_id"),
                                        sa.or_(one_of(LiveLesson.state, ON_AIR_STATES),
                                               sa.and_(LiveLesson.state == LessonState.scheduled,
                                                       LiveLesson.starts_at > sa.bindparam(
                                                           "since", type_=LiveLesson.starts_at.type))))
            .order_by(sa.case((one_of(LiveLesson.state, ON_AIR_STATES), 0), else_=1), LiveLesson.starts_at,
                      LiveLesson.id).limit(20))
    return statement


_STATEMENTS: dict[str, sa.Select] = {}


def next_lesson(circle: Circle) -> NextLesson | None:
    """The lesson on air now, else the next scheduled one that is not overdue (one query, plain rows on the
    session's connection)."""
    now = utcnow()
    # a lesson overdue by hours still ends before `starts_at > now - 600 min` (the longest expected length)
    rows = db.session.connection().execute(_next_lesson_statement(),
                                           {"circle_id": circle.id, "since": now - timedelta(minutes=600)})
    return next((lesson for lesson in map(NextLesson._make, rows) if not is_overdue(lesson, now)), None)


def held_lessons(circle: Circle) -> list[LiveLesson]:
    """Lessons that went live (on air or ended), oldest first: the columns of attendance across lessons."""
    return list(db.session.scalars(
        sa.select(LiveLesson).where(LiveLesson.circle_id == circle.id, LiveLesson.went_live_at.is_not(None),
                                    LiveLesson.state != LessonState.cancelled)
        .order_by(LiveLesson.went_live_at, LiveLesson.id)))


def member_ids(circle: Circle, *, exclude: int | None = None) -> list[int]:
    """Everyone active in the circle (who is told about its lessons), but `exclude`."""
    query = sa.select(Membership.user_id).where(Membership.circle_id == circle.id,
                                                Membership.status == MembershipStatus.active)
    if exclude is not None:
        query = query.where(Membership.user_id != exclude)
    return list(db.session.scalars(query.order_by(Membership.user_id)))


def get_attendee_membership_or_404(circle: Circle, user_id: int) -> Membership:
    membership = db.session.scalar(sa.select(Membership).where(Membership.circle_id == circle.id,
                                                               Membership.user_id == user_id))
    if membership is None:
        abort(404)
    return membership


# -- periodic work --------------------------------------------------------------------------------

def due_reminders(now: datetime | None = None) -> list[int]:
    """Scheduled lessons not reminded yet whose reminder time has come (and that have not started long ago)."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(LiveLesson.id, LiveLesson.starts_at, LiveLesson.reminder_minutes)
        .where(LiveLesson.state == LessonState.scheduled, LiveLesson.reminded_at.is_(None),
               LiveLesson.reminder_minutes > 0,
               # the longest reminder offered is a day: nothing further ahead can be due
               LiveLesson.starts_at <= now + timedelta(days=1), LiveLesson.starts_at > now - timedelta(minutes=5)))
    return [lesson_id for lesson_id, starts_at, minutes in rows if starts_at - timedelta(minutes=minutes) <= now]


def grace_expired(now: datetime | None = None) -> list[int]:
    """Reconnecting lessons whose grace period ran out."""
    now = now or utcnow()
    rows = db.session.execute(sa.select(LiveLesson.id, LiveLesson.reconnecting_since, LiveLesson.grace_seconds)
                              .where(LiveLesson.state == LessonState.reconnecting))
    return [lesson_id for lesson_id, since, grace in rows
            if since is None or since + timedelta(seconds=grace) <= now]
