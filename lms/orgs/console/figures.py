"""Every class of an organization with its figures, read in a fixed number of aggregate queries
(GROUP BY circle over the classes in view), never a query per class."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.chat.models import ChatMessage
from lms.checkins.models import Checkin, CheckinTask
from lms.circles.models import TEACHING_ROLES, Circle, CircleKind, Membership, MembershipStatus, Role
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice, NoticeRead
from lms.feed.posts.models import Post
from lms.grading.models import Grade
from lms.homework.models import Assignment, Submission
from lms.live.models import LessonState, LiveAttendance, LiveLesson
from lms.orgs.models import ClassFigures, Organization, Term

#: the activity chart's weeks (the last one ends now)
CHART_WEEKS = 8
#: a class with nothing new for this long is flagged as quiet
QUIET_AFTER = timedelta(days=14)
#: the check-in rate counts the scheduled days of this many last days (today included)
CHECKIN_DAYS = 14


@dataclass(frozen=True)
class Filters:
    """What the table shows: a term (0: classes in no term), a teacher, a kind; None: any."""

    term_id: int | None = None
    teacher_id: int | None = None
    kind: CircleKind | None = None


@dataclass
class ClassRow:
    circle: Circle
    term: Term | None = None
    teachers: list[Membership] = field(default_factory=list)
    members: int = 0
    students: int = 0
    pending: int = 0
    last_activity_at: datetime | None = None
    weeks: list[int] = field(default_factory=lambda: [0] * CHART_WEEKS)  #: oldest first
    assignments: int = 0
    handed_in: int = 0
    average_grade: float | None = None  #: percent of the points, released grades only
    lessons_held: int = 0
    attended: int = 0  #: (lesson, student) pairs present
    notices: int = 0
    notices_read: int = 0  #: (notice, student) pairs opened
    checkins_due: int = 0
    checkins_done: int = 0
    is_quiet: bool = False

    @staticmethod
    def _rate(done: int, expected: int) -> float | None:
        return None if expected <= 0 else min(100.0, 100.0 * done / expected)

    @property
    def hand_in_rate(self) -> float | None:
        """Percent of (published assignment, student) pairs with a hand-in."""
        return self._rate(self.handed_in, self.assignments * self.students)

    @property
    def attendance_rate(self) -> float | None:
        """Percent of (lesson held, student) pairs where the student came to the room."""
        return self._rate(self.attended, self.lessons_held * self.students)

    @property
    def notices_unread(self) -> int:
        """(Published notice, student) pairs not opened yet."""
        return max(0, self.notices * self.students - self.notices_read)

    @property
    def checkin_rate(self) -> float | None:
        """Percent of the scheduled check-ins of the last CHECKIN_DAYS days that were done."""
        return self._rate(self.checkins_done, self.checkins_due)

    @property
    def teacher_names(self) -> str:
        return ", ".join(m.display_name for m in self.teachers)


def scope(org: Organization, viewer: User, filters: Filters) -> sa.Select:
    """SELECT Circle.id of the classes `viewer` sees in the console: every class of the organization for
    its admins (and site admins), only those they teach for its teachers; narrowed by `filters`."""
    query = sa.select(Circle.id).where(Circle.org_id == org.id)
    if not org.can_manage(viewer):
        query = query.where(Circle.id.in_(_taught_by(viewer.id)))
    if filters.term_id == 0:
        query = query.where(Circle.term_id.is_(None))
    elif filters.term_id is not None:
        query = query.where(Circle.term_id == filters.term_id)
    if filters.teacher_id is not None:
        query = query.where(Circle.id.in_(_taught_by(filters.teacher_id)))
    if filters.kind is not None:
        query = query.where(Circle.kind == filters.kind)
    return query


def _taught_by(user_id: int) -> sa.Select:
    return sa.select(Membership.circle_id).where(Membership.user_id == user_id,
                                                  Membership.status == MembershipStatus.active,
                                                  Membership.role.in_(TEACHING_ROLES))


def _active_students(circle_id, user_id) -> sa.ColumnElement[bool]:
    """EXISTS an active student membership of `user_id` in `circle_id` (columns of the outer query)."""
    return sa.exists().where(Membership.circle_id == circle_id, Membership.user_id == user_id,
                             Membership.status == MembershipStatus.active, Membership.role == Role.student)


def _counts(query: sa.Select) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query)}


def _classes(org: Organization, ids) -> dict[int, ClassRow]:
    """The classes of `ids` (a subquery of Circle.id) by name, with their term and teachers, nothing counted:
    three queries."""
    circles = list(db.session.scalars(sa.select(Circle).where(Circle.id.in_(ids))
                                      .order_by(Circle.sort_key, Circle.name, Circle.id)))
    if not circles:
        return {}
    terms = {t.id: t for t in db.session.scalars(sa.select(Term).where(Term.org_id == org.id))}
    rows = {c.id: ClassRow(circle=c, term=terms.get(c.term_id)) for c in circles}
    for membership in db.session.scalars(
        sa.select(Membership).where(Membership.circle_id.in_(ids), Membership.status == MembershipStatus.active,
                                    Membership.role.in_(TEACHING_ROLES))
        .order_by(sa.case({Role.owner: 0, Role.teacher: 1}, value=Membership.role), Membership.sort_key,
                  Membership.display_name)
    ):
        rows[membership.circle_id].teachers.append(membership)
    return rows


def class_rows(org: Organization, viewer: User, filters: Filters = Filters(), *,
               now: datetime | None = None, console: bool = True) -> list[ClassRow]:
    """The classes in view with their figures counted now, by name; the same number of queries for 5 classes or
    500. `console=False` leaves out what only the console shows (notices, the recent check-in rate, activity)."""
    now = now or utcnow()
    ids = scope(org, viewer, filters).scalar_subquery()
    rows = _classes(org, ids)
    if rows:
        count(rows, ids, now, console=console)
        _flag_quiet(rows.values(), now)
    return list(rows.values())


def kept_class_rows(org: Organization, viewer: User, filters: Filters = Filters(), *, max_age: timedelta,
                    now: datetime | None = None, recount: bool = False) -> tuple[list[ClassRow], datetime | None]:
    """The console's classes with their kept figures (ClassFigures), by name, and when the oldest of them were
    counted (None: no class). Figures older than `max_age`, missing, or all of them if `recount`, are counted
    now and kept: the caller commits. A page whose figures are all kept is five queries, whatever the number of
    classes; counting adds class_rows's fixed number."""
    now = now or utcnow()
    ids = scope(org, viewer, filters).scalar_subquery()
    rows = _classes(org, ids)
    if not rows:
        return [], None
    kept = {k.circle_id: k for k in db.session.scalars(sa.select(ClassFigures).where(ClassFigures.circle_id.in_(ids)))}
    stale = {circle_id for circle_id in rows
             if recount or circle_id not in kept or kept[circle_id].counted_at <= now - max_age}
    for circle_id, k in kept.items():
        if circle_id not in stale:
            _restore(rows[circle_id], k.figures)
    if stale:
        recounted = {circle_id: rows[circle_id] for circle_id in stale}
        count(recounted, ids if len(stale) == len(rows) else
              sa.select(Circle.id).where(Circle.id.in_(sorted(stale))).scalar_subquery(), now)
        _keep(recounted.values(), now)
    _flag_quiet(rows.values(), now)
    counted = [now if circle_id in stale else kept[circle_id].counted_at for circle_id in rows]
    return list(rows.values()), min(counted)


#: ClassRow's counted fields, as ClassFigures.figures keeps them
KEPT_FIELDS = ("members", "students", "pending", "last_activity_at", "weeks", "assignments", "handed_in",
               "average_grade", "lessons_held", "attended", "notices", "notices_read", "checkins_due",
               "checkins_done")


def _keep(rows, now: datetime) -> None:
    """Write the rows' figures into ClassFigures (insert or replace, by circle id: two viewers counting at once
    both succeed, the later one's figures stay)."""
    values = []
    for row in sorted(rows, key=lambda r: r.circle.id):  # one lock order for concurrent writers (PostgreSQL)
        figures = {name: getattr(row, name) for name in KEPT_FIELDS}
        if row.last_activity_at is not None:
            figures["last_activity_at"] = row.last_activity_at.isoformat()
        values.append({"circle_id": row.circle.id, "counted_at": now, "figures": figures})
    table = ClassFigures.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.circle_id],
        set_={"counted_at": statement.excluded.counted_at, "figures": statement.excluded.figures}), values)


def _restore(row: ClassRow, figures: dict) -> None:
    for name in KEPT_FIELDS:
        if name in figures:
            setattr(row, name, figures[name])
    if row.last_activity_at is not None:
        row.last_activity_at = datetime.fromisoformat(row.last_activity_at)


def count(rows: dict[int, ClassRow], ids, now: datetime, *, console: bool = True) -> None:
    """Count the figures of `rows` (ids: a subquery of their Circle.id) in a fixed number of GROUP BY queries."""
    active = Membership.status == MembershipStatus.active
    for circle_id, (members, students, pending) in _counts(
        sa.select(Membership.circle_id, sa.func.sum(sa.case((active, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(active, Membership.role == Role.student), 1), else_=0)),
                  sa.func.sum(sa.case((Membership.status == MembershipStatus.pending, 1), else_=0)))
        .where(Membership.circle_id.in_(ids)).group_by(Membership.circle_id)
    ).items():
        row = rows[circle_id]
        row.members, row.students, row.pending = int(members or 0), int(students or 0), int(pending or 0)

    published = sa.and_(Assignment.is_published.is_(True), Assignment.circle_id.in_(ids))
    for circle_id, (n,) in _counts(
        sa.select(Assignment.circle_id, sa.func.count()).where(published).group_by(Assignment.circle_id)
    ).items():
        rows[circle_id].assignments = n

    handed = (sa.select(Assignment.circle_id, Submission.assignment_id, Submission.student_id)
              .select_from(Submission).join(Assignment, Assignment.id == Submission.assignment_id)
              .where(published, _active_students(Assignment.circle_id, Submission.student_id)).distinct().subquery())
    for circle_id, (n,) in _counts(
        sa.select(handed.c.circle_id, sa.func.count()).group_by(handed.c.circle_id)
    ).items():
        rows[circle_id].handed_in = n

    for circle_id, (average,) in _counts(
        sa.select(Assignment.circle_id, sa.func.avg(Grade.score * 100.0 / Assignment.points))
        .select_from(Grade).join(Assignment, Assignment.id == Grade.assignment_id)
        .where(Assignment.circle_id.in_(ids), Grade.released_at.is_not(None), Grade.score.is_not(None),
               Grade.is_excused.is_(False), Assignment.points > 0)
        .group_by(Assignment.circle_id)
    ).items():
        rows[circle_id].average_grade = None if average is None else float(average)

    held = sa.and_(LiveLesson.circle_id.in_(ids), LiveLesson.went_live_at.is_not(None),
                   LiveLesson.state != LessonState.cancelled)
    for circle_id, (n,) in _counts(
        sa.select(LiveLesson.circle_id, sa.func.count()).where(held).group_by(LiveLesson.circle_id)
    ).items():
        rows[circle_id].lessons_held = n
    present = (sa.select(LiveLesson.circle_id, LiveAttendance.lesson_id, LiveAttendance.user_id)
               .select_from(LiveAttendance).join(LiveLesson, LiveLesson.id == LiveAttendance.lesson_id)
               .where(held, _active_students(LiveLesson.circle_id, LiveAttendance.user_id)).distinct().subquery())
    for circle_id, (n,) in _counts(
        sa.select(present.c.circle_id, sa.func.count()).group_by(present.c.circle_id)
    ).items():
        rows[circle_id].attended = n

    if console:
        shown = sa.and_(Notice.circle_id.in_(ids), Notice.publish_at.is_not(None), Notice.publish_at <= now)
        for circle_id, (n,) in _counts(
            sa.select(Notice.circle_id, sa.func.count()).where(shown).group_by(Notice.circle_id)
        ).items():
            rows[circle_id].notices = n
        for circle_id, (n,) in _counts(
            sa.select(Notice.circle_id, sa.func.count()).join(NoticeRead, NoticeRead.notice_id == Notice.id)
            .where(shown, _active_students(Notice.circle_id, NoticeRead.user_id)).group_by(Notice.circle_id)
        ).items():
            rows[circle_id].notices_read = n
        _checkins(rows, ids, now)
        _activity(rows, ids, now)


def _checkins(rows: dict[int, ClassRow], ids, now: datetime) -> None:
    """Scheduled check-ins of the last CHECKIN_DAYS days (each task's days × the class's students) and those
    done by the class's students: two queries."""
    tasks = list(db.session.scalars(sa.select(CheckinTask).where(CheckinTask.circle_id.in_(ids))))
    for task in tasks:
        row = rows[task.circle_id]
        last = now.astimezone(task.circle.zone).date()
        row.checkins_due += task.count_scheduled(last - timedelta(days=CHECKIN_DAYS - 1), last) * row.students
    if not tasks:
        return
    # Checkin.day is a date of each circle's zone; one UTC window for all is close enough for an overview
    first: date = (now - timedelta(days=CHECKIN_DAYS - 1)).date()
    for circle_id, (n,) in _counts(
        sa.select(CheckinTask.circle_id, sa.func.count()).select_from(Checkin)
        .join(CheckinTask, CheckinTask.id == Checkin.task_id)
        .where(CheckinTask.circle_id.in_(ids), Checkin.day >= first, Checkin.hidden_at.is_(None),
               _active_students(CheckinTask.circle_id, Checkin.user_id))
        .group_by(CheckinTask.circle_id)
    ).items():
        rows[circle_id].checkins_done = n


def _activity(rows: dict[int, ClassRow], ids, now: datetime) -> None:
    """The last thing that happened in each class, and what happened in each of the last CHART_WEEKS weeks:
    posts, notices, hand-ins, check-ins, live lessons and chat messages, in one UNION ALL query."""
    events = sa.union_all(
        sa.select(Post.circle_id.label("circle_id"), Post.created_at.label("at")).where(Post.circle_id.in_(ids)),
        sa.select(Notice.circle_id, Notice.publish_at).where(Notice.circle_id.in_(ids), Notice.publish_at <= now),
        sa.select(Assignment.circle_id, Submission.submitted_at).select_from(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id).where(Assignment.circle_id.in_(ids)),
        sa.select(CheckinTask.circle_id, Checkin.submitted_at).select_from(Checkin)
        .join(CheckinTask, CheckinTask.id == Checkin.task_id).where(CheckinTask.circle_id.in_(ids)),
        sa.select(LiveLesson.circle_id, LiveLesson.went_live_at)
        .where(LiveLesson.circle_id.in_(ids), LiveLesson.went_live_at.is_not(None)),
        sa.select(ChatMessage.circle_id, ChatMessage.created_at)
        .where(ChatMessage.circle_id.in_(ids), ChatMessage.deleted_at.is_(None)),
    ).subquery()
    starts = [now - timedelta(weeks=CHART_WEEKS - k) for k in range(CHART_WEEKS)]
    ends = starts[1:] + [now + timedelta(seconds=1)]
    buckets = [sa.func.sum(sa.case((sa.and_(events.c.at >= start, events.c.at < end), 1), else_=0))
               for start, end in zip(starts, ends)]
    for circle_id, (last, *weeks) in _counts(
        sa.select(events.c.circle_id, sa.type_coerce(sa.func.max(events.c.at), UTCDateTime), *buckets).group_by(events.c.circle_id)
    ).items():
        row = rows[circle_id]
        row.last_activity_at = last
        row.weeks = [int(n or 0) for n in weeks]


def _flag_quiet(rows, now: datetime) -> None:
    for row in rows:
        since = max(filter(None, [row.last_activity_at, row.circle.created_at]))
        row.is_quiet = not row.circle.is_archived and now - since >= QUIET_AFTER

