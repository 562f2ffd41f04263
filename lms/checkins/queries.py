"""Reads of check-ins: scoped lookups that 404 outside the circle, the teacher's board, rates, the leaderboard,
a member's month, the visible check-ins of a task. Every page reads a fixed number of rows sets whatever the
circle's size: counts and rates are SQL aggregates, lists are paginated."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.models import User
from lms.checkins.models import (LEARNER_ROLES, Checkin, CheckinComment, CheckinLike, CheckinReminder, CheckinStreak,
                                 CheckinTask)
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.permissions import require
from lms.core.types import one_of
from lms.extensions import db

#: rows per page of the board and the member rates
PAGE_SIZE = 100
#: the leaderboard's length
LEADERS = 20

LEARNER = sa.and_(Membership.status == MembershipStatus.active, one_of(Membership.role, LEARNER_ROLES))


def get_task_or_404(circle: Circle, task_id: int, user: User) -> CheckinTask:
    """A task of `circle` (404 for an id of another circle or none) that `user` may see (the circle's
    lookup already answered 404 to a stranger)."""
    task = db.session.scalar(sa.select(CheckinTask).where(CheckinTask.id == task_id,
                                                          CheckinTask.circle_id == circle.id))
    if task is None:
        abort(404)
    task.circle = circle
    require(task.can_view(user))
    return task


def get_checkin_or_404(task: CheckinTask, checkin_id: int, user: User) -> Checkin:
    """A check-in of `task` (404 otherwise) that `user` may see (403: another member's when the task keeps
    them private)."""
    checkin = db.session.scalar(sa.select(Checkin).where(Checkin.id == checkin_id, Checkin.task_id == task.id))
    if checkin is None or (checkin.hidden_at is not None and checkin.user_id != user.id and not task.is_staff(user)):
        abort(404)  # hidden by a moderator: as if it were not there
    require(task.can_see_checkin(user, checkin))
    return checkin


# Built once: the circle's home page asks on every view, and building the statement cost more than running it.
# The circle is the one asked about (no join for it).
_TASKS_OF = (sa.select(CheckinTask).where(CheckinTask.circle_id == sa.bindparam("circle_id"))
             .order_by(CheckinTask.starts_on.desc(), CheckinTask.id.desc()).options(lazyload(CheckinTask.circle)))


def tasks_of(circle: Circle) -> list[CheckinTask]:
    """The circle's tasks, newest start first, each with `circle` set (one query)."""
    tasks = list(db.session.scalars(_TASKS_OF, {"circle_id": circle.id}))
    for task in tasks:
        set_committed_value(task, "circle", circle)  # as loaded: nothing for the next flush to look at
    return tasks


def learner_count(circle_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Membership)
                             .where(Membership.circle_id == circle_id, LEARNER)) or 0


def learner_ids(circle_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Membership.user_id).where(Membership.circle_id == circle_id, LEARNER)))


def staff_ids(circle: Circle) -> list[int]:
    from lms.circles.models import STAFF_ROLES

    return list(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        one_of(Membership.role, STAFF_ROLES))))


def membership_in(circle_id: int, user_id: int) -> Membership | None:
    return db.session.scalar(sa.select(Membership).where(Membership.circle_id == circle_id,
                                                         Membership.user_id == user_id))


def checkin_of(task: CheckinTask, user_id: int, day: date) -> Checkin | None:
    return db.session.scalar(sa.select(Checkin).where(Checkin.task_id == task.id, Checkin.user_id == user_id,
                                                      Checkin.day == day))


def streak_of(task: CheckinTask, user_id: int) -> CheckinStreak | None:
    return db.session.scalar(sa.select(CheckinStreak).where(CheckinStreak.task_id == task.id,
                                                            CheckinStreak.user_id == user_id))


def days_of(task: CheckinTask, user_id: int) -> list[tuple[date, bool]]:
    """Every (day, is_makeup) the member checked in for the task (one query)."""
    return [(row.day, row.is_makeup) for row in db.session.execute(
        sa.select(Checkin.day, Checkin.is_makeup).where(Checkin.task_id == task.id, Checkin.user_id == user_id))]


def month_of(task: CheckinTask, user_id: int, first: date, last: date) -> dict[date, bool]:
    """day → is_makeup of the member's check-ins in [first, last] (one query on the unique index)."""
    return {row.day: row.is_makeup for row in db.session.execute(
        sa.select(Checkin.day, Checkin.is_makeup).where(Checkin.task_id == task.id, Checkin.user_id == user_id,
                                                        Checkin.day >= first, Checkin.day <= last))}


def reminder_of(task: CheckinTask, user_id: int) -> CheckinReminder | None:
    return db.session.scalar(sa.select(CheckinReminder).where(CheckinReminder.task_id == task.id,
                                                              CheckinReminder.user_id == user_id))


def done_today_for(tasks: list[CheckinTask], user_id: int, days: dict[int, date]) -> set[int]:
    """Ids of the tasks among `tasks` the member checked in for on its day (`days`: task id → its today)."""
    if not tasks:
        return set()
    # each task's own today only (the unique (task, user, day) index), not every day of a year-long history
    conditions = [sa.and_(Checkin.task_id == t.id, Checkin.day == days[t.id]) for t in tasks]
    return set(db.session.scalars(sa.select(Checkin.task_id).where(Checkin.user_id == user_id, sa.or_(*conditions))))


def done_counts(tasks: list[CheckinTask], days: dict[int, date]) -> dict[int, int]:
    """task id → how many check-ins its today has (one query)."""
    if not tasks:
        return {}
    conditions = [sa.and_(Checkin.task_id == t.id, Checkin.day == days[t.id]) for t in tasks]
    return dict(db.session.execute(sa.select(Checkin.task_id, sa.func.count()).where(sa.or_(*conditions))
                                   .group_by(Checkin.task_id)).all())


# -- the board -------------------------------------------------------------------------------------

@dataclass
class BoardRow:
    membership: Membership
    checkin_id: int | None
    submitted_at: datetime | None
    is_makeup: bool


@dataclass
class Board:
    day: date
    learners: int
    done: int
    rows: list[BoardRow]
    page: int
    pages: int
    show: str  #: "all", "done", "missing"

    @property
    def missing(self) -> int:
        return max(0, self.learners - self.done)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.learners) if self.learners else 0


def day_counts(task: CheckinTask, day: date) -> tuple[int, int]:
    """(learners now, how many of them checked in on `day`): two aggregates."""
    done = db.session.scalar(
        sa.select(sa.func.count()).select_from(Checkin).join(
            Membership, sa.and_(Membership.circle_id == task.circle_id, Membership.user_id == Checkin.user_id))
        .where(Checkin.task_id == task.id, Checkin.day == day, LEARNER)) or 0
    return learner_count(task.circle_id), done


def board(task: CheckinTask, day: date, *, show: str = "all", page: int = 1) -> Board:
    """Who checked in on `day` and who did not: counts (two aggregates) and one page of the learners by name
    (one query with the day's check-in joined)."""
    learners, done = day_counts(task, day)
    joined = sa.and_(Checkin.task_id == task.id, Checkin.user_id == Membership.user_id, Checkin.day == day)
    query = (sa.select(Membership, Checkin.id, Checkin.submitted_at, Checkin.is_makeup).outerjoin(Checkin, joined)
             .where(Membership.circle_id == task.circle_id, LEARNER))
    total = learners
    if show == "done":
        query, total = query.where(Checkin.id.is_not(None)), done
    elif show == "missing":
        query, total = query.where(Checkin.id.is_(None)), max(0, learners - done)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    # by the name as compared (display_key): the order of the circle's unique (circle_id, display_key) index, so
    # a page reads its hundred rows from the index instead of sorting the whole circle
    rows = [BoardRow(m, cid, at, bool(mk)) for m, cid, at, mk in db.session.execute(
        query.order_by(Membership.display_key).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
    return Board(day, learners, done, rows, page, pages, show)


def missing_ids(task: CheckinTask, day: date) -> list[int]:
    """The learners who have not checked in on `day` (one query)."""
    joined = sa.and_(Checkin.task_id == task.id, Checkin.user_id == Membership.user_id, Checkin.day == day)
    return list(db.session.scalars(sa.select(Membership.user_id).outerjoin(Checkin, joined)
                                   .where(Membership.circle_id == task.circle_id, LEARNER, Checkin.id.is_(None))))


def counts_per_day(task: CheckinTask, first: date, last: date) -> dict[date, int]:
    """day → check-ins that day (made-up ones included), for [first, last] (one aggregate)."""
    return {row[0]: row[1] for row in db.session.execute(
        sa.select(Checkin.day, sa.func.count()).where(Checkin.task_id == task.id, Checkin.day >= first,
                                                      Checkin.day <= last).group_by(Checkin.day))}


@dataclass
class MemberRate:
    membership: Membership
    total: int
    makeups: int
    longest: int
    run: int
    last_day: date | None


def member_rates(task: CheckinTask, *, page: int = 1, per_page: int = PAGE_SIZE, everyone: bool = False
                 ) -> tuple[list[MemberRate], int]:
    """The learners by name with their summary row (one query; `everyone` for the export), and the page count."""
    query = (sa.select(Membership, CheckinStreak)
             .outerjoin(CheckinStreak, sa.and_(CheckinStreak.task_id == task.id,
                                               CheckinStreak.user_id == Membership.user_id))
             .where(Membership.circle_id == task.circle_id, LEARNER)
             .order_by(Membership.display_key))  # the unique index's order: a page reads no more than its rows
    pages = 1
    if not everyone:
        pages = max(1, -(-learner_count(task.circle_id) // per_page))
        page = min(max(1, page), pages)
        query = query.limit(per_page).offset((page - 1) * per_page)
    rates = [MemberRate(m, s.total if s else 0, s.makeups if s else 0, s.longest if s else 0, s.run if s else 0,
                        s.last_day if s else None) for m, s in db.session.execute(query)]
    return rates, pages


def leaderboard(task: CheckinTask, alive_since: date | None, *, by: str = "streak") -> list[MemberRate]:
    """The top learners by current streak (a stored run counts only while it is alive: its last day is on or
    after `alive_since`) or by total; one query."""
    current = sa.case((CheckinStreak.last_day >= alive_since, CheckinStreak.run), else_=0) \
        if alive_since is not None else CheckinStreak.run
    order = (current.desc(), CheckinStreak.total.desc()) if by == "streak" else (CheckinStreak.total.desc(),
                                                                                   current.desc())
    rows = db.session.execute(
        sa.select(Membership, CheckinStreak).join(
            Membership, sa.and_(Membership.circle_id == task.circle_id, Membership.user_id == CheckinStreak.user_id))
        .where(CheckinStreak.task_id == task.id, LEARNER, CheckinStreak.total > 0)
        .order_by(*order, Membership.sort_key, Membership.display_name).limit(LEADERS))
    return [MemberRate(m, s.total, s.makeups, s.longest, s.run, s.last_day) for m, s in rows]


# -- check-ins people see --------------------------------------------------------------------------

@dataclass
class Shown:
    checkin: Checkin
    name: str
    liked: bool


def visible_checkins(task: CheckinTask, viewer: User, *, day: date | None = None, limit: int = 30,
                     before_id: int | None = None) -> list[Shown]:
    """The task's latest check-ins the viewer may see (everyone's when members see each other, or for the
    staff; else their own), newest first, with photos (three queries whatever the number)."""
    query = sa.select(Checkin).where(Checkin.task_id == task.id)
    if not (task.members_see_each_other or task.is_staff(viewer)):
        query = query.where(Checkin.user_id == viewer.id)
    elif not task.is_staff(viewer):  # hidden by a moderator: its member and the staff only
        query = query.where(sa.or_(Checkin.hidden_at.is_(None), Checkin.user_id == viewer.id))
    if day is not None:
        query = query.where(Checkin.day == day)
    if before_id is not None:
        query = query.where(Checkin.id < before_id)
    checkins = list(db.session.scalars(query.options(selectinload(Checkin.photos), selectinload(Checkin.media))
                                       .order_by(Checkin.id.desc()).limit(limit)))
    return _shown(task, viewer, checkins)


def _shown(task: CheckinTask, viewer: User, checkins: list[Checkin]) -> list[Shown]:
    if not checkins:
        return []
    ids = [c.id for c in checkins]
    users = list({c.user_id for c in checkins})
    names = dict(db.session.execute(sa.select(Membership.user_id, Membership.display_name).where(
        Membership.circle_id == task.circle_id, Membership.user_id.in_(users))).all())
    liked = set(db.session.scalars(sa.select(CheckinLike.checkin_id).where(
        CheckinLike.user_id == viewer.id, CheckinLike.checkin_id.in_(ids))))
    return [Shown(c, names.get(c.user_id, ""), c.id in liked) for c in checkins]


def shown_one(task: CheckinTask, viewer: User, checkin: Checkin) -> Shown:
    return _shown(task, viewer, [checkin])[0]


def comments_of(checkin: Checkin, circle_id: int, viewer: User | None = None,
                staff: bool = True) -> list[tuple[CheckinComment, str]]:
    """The check-in's comments, oldest first, with their authors' names in the circle (one query). Hidden or
    held ones (lms.moderation) only for the staff and their author (`viewer`, when not `staff`)."""
    query = (sa.select(CheckinComment, Membership.display_name)
             .outerjoin(Membership, sa.and_(Membership.circle_id == circle_id,
                                            Membership.user_id == CheckinComment.author_id))
             .where(CheckinComment.checkin_id == checkin.id))
    if not staff:
        query = query.where(sa.or_(CheckinComment.hidden_at.is_(None),
                                   CheckinComment.author_id == (viewer.id if viewer is not None else None)))
    return [(comment, name or "") for comment, name in db.session.execute(
        query.order_by(CheckinComment.created_at, CheckinComment.id))]


def makeups_used(task: CheckinTask, user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Checkin).where(
        Checkin.task_id == task.id, Checkin.user_id == user_id, Checkin.is_makeup.is_(True))) or 0


def due_reminders(now: datetime, limit: int = 500) -> list[int]:
    """Ids of the reminder rows whose time has come (on the next_at index)."""
    return list(db.session.scalars(sa.select(CheckinReminder.id).where(CheckinReminder.next_at <= now)
                                   .order_by(CheckinReminder.next_at).limit(limit)))
