"""One person's activity across the organization's classes: per class their role, hand-ins (done, late,
missing), grades released, live attendance minutes, check-in streak and last activity, read in a fixed number
of queries whatever the number of classes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lms.accounts.models import User
from lms.chat.models import ChatMessage
from lms.checkins.models import Checkin, CheckinStreak, CheckinTask
from lms.checkins.streaks import current_streak
from lms.circles.models import Membership, Role
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db
from lms.feed.posts.models import Post
from lms.grading.models import Grade
from lms.homework.models import Assignment, Extension, Submission
from lms.live import attendance
from lms.live.models import LessonState, LiveAttendance, LiveLesson
from lms.orgs.console.people import classes_of
from lms.orgs.models import Organization


@dataclass
class ClassActivity:
    membership: Membership
    assignments: int = 0  #: published assignments (students only)
    handed_in: int = 0
    late: int = 0  #: of those handed in, the first hand-in came after their due time (extension included)
    missing: int = 0  #: past their due time, nothing handed in
    grades_released: int = 0
    average_grade: float | None = None  #: percent of the points, released grades only
    lessons_held: int = 0
    live_minutes: int = 0  #: minutes present in the live lessons (lms.live.attendance's rules)
    streak: int = 0  #: the current check-in streak (the best over the class's tasks)
    longest_streak: int = 0
    last_activity_at: datetime | None = None

    @property
    def is_student(self) -> bool:
        return self.membership.role == Role.student


def _by_circle(query: sa.Select) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query)}


def person_activity(org: Organization, user: User, *, now: datetime | None = None) -> list[ClassActivity]:
    """Every class of `org` the person is or was in (current first, then by name) with their figures; the
    same number of queries for 1 class or 100."""
    now = now or utcnow()
    rows = {m.circle_id: ClassActivity(m) for m in classes_of(org, [user.id])[user.id]}
    if not rows:
        return []
    ids = list(rows)
    _homework(rows, ids, user, now)
    for circle_id, (n, average) in _by_circle(
        sa.select(Assignment.circle_id, sa.func.count(), sa.func.avg(Grade.score * 100.0 / Assignment.points))
        .select_from(Grade).join(Assignment, Assignment.id == Grade.assignment_id)
        .where(Assignment.circle_id.in_(ids), Grade.student_id == user.id, Grade.released_at.is_not(None),
               Grade.score.is_not(None), Grade.is_excused.is_(False), Assignment.points > 0)
        .group_by(Assignment.circle_id)
    ).items():
        rows[circle_id].grades_released = n
        rows[circle_id].average_grade = None if average is None else float(average)
    _live(rows, ids, user, now)
    _streaks(rows, ids, user, now)
    _last_activity(rows, ids, user)
    return list(rows.values())


def _homework(rows: dict[int, ClassActivity], ids: list[int], user: User, now: datetime) -> None:
    """Published assignments of the classes where they are a student, their extensions and first hand-ins:
    three queries."""
    student_in = [i for i in ids if rows[i].is_student]
    if not student_in:
        return
    assignments = list(db.session.scalars(sa.select(Assignment).where(Assignment.circle_id.in_(student_in),
                                                                      Assignment.is_published.is_(True))))
    if not assignments:
        return
    assignment_ids = [a.id for a in assignments]
    extensions = {e.assignment_id: e for e in db.session.scalars(
        sa.select(Extension).where(Extension.assignment_id.in_(assignment_ids), Extension.student_id == user.id))}
    first = dict(db.session.execute(
        sa.select(Submission.assignment_id, sa.type_coerce(sa.func.min(Submission.submitted_at), UTCDateTime))
        .where(Submission.assignment_id.in_(assignment_ids), Submission.student_id == user.id)
        .group_by(Submission.assignment_id)).all())
    for assignment in assignments:
        row = rows[assignment.circle_id]
        row.assignments += 1
        deadline = assignment.deadline_for(user.id, extensions.get(assignment.id))
        handed = first.get(assignment.id)
        if handed is not None:
            row.handed_in += 1
            if assignment.lateness(handed, deadline).is_late:
                row.late += 1
        elif deadline.due_at is not None and now > deadline.due_at:
            row.missing += 1


def _live(rows: dict[int, ClassActivity], ids: list[int], user: User, now: datetime) -> None:
    """Lessons held in the classes and their connections to them: two queries."""
    lessons = list(db.session.scalars(sa.select(LiveLesson).where(
        LiveLesson.circle_id.in_(ids), LiveLesson.went_live_at.is_not(None),
        LiveLesson.state != LessonState.cancelled)))
    if not lessons:
        return
    connections: dict[int, list] = {}
    for lesson_id, joined, seen, left in db.session.execute(
        sa.select(LiveAttendance.lesson_id, LiveAttendance.joined_at, LiveAttendance.last_seen_at,
                  LiveAttendance.left_at)
        .where(LiveAttendance.lesson_id.in_([lesson.id for lesson in lessons]), LiveAttendance.user_id == user.id)
    ):
        connections.setdefault(lesson_id, []).append((joined, seen, left))
    for lesson in lessons:
        row = rows[lesson.circle_id]
        row.lessons_held += 1
        if lesson.id in connections:
            row.live_minutes += attendance.compute(lesson, user.id, connections[lesson.id], now).minutes_present


def _streaks(rows: dict[int, ClassActivity], ids: list[int], user: User, now: datetime) -> None:
    """Their stored streaks of the classes' check-in tasks (one query): the best current and longest run."""
    for streak, task in db.session.execute(
        sa.select(CheckinStreak, CheckinTask).join(CheckinTask, CheckinTask.id == CheckinStreak.task_id)
        .where(CheckinTask.circle_id.in_(ids), CheckinStreak.user_id == user.id)
    ).all():
        row = rows[task.circle_id]
        today = now.astimezone(row.membership.circle.zone).date()
        row.streak = max(row.streak, current_streak(task, streak.run, streak.last_day, today))
        row.longest_streak = max(row.longest_streak, streak.longest)


def _last_activity(rows: dict[int, ClassActivity], ids: list[int], user: User) -> None:
    """The last thing they did in each class (a post, a hand-in, a check-in, a chat message, joining a live
    lesson): one UNION ALL query."""
    events = sa.union_all(
        sa.select(Post.circle_id.label("circle_id"), Post.created_at.label("at"))
        .where(Post.circle_id.in_(ids), Post.author_id == user.id),
        sa.select(Assignment.circle_id, Submission.submitted_at).select_from(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.circle_id.in_(ids), Submission.student_id == user.id),
        sa.select(CheckinTask.circle_id, Checkin.submitted_at).select_from(Checkin)
        .join(CheckinTask, CheckinTask.id == Checkin.task_id)
        .where(CheckinTask.circle_id.in_(ids), Checkin.user_id == user.id),
        sa.select(ChatMessage.circle_id, ChatMessage.created_at)
        .where(ChatMessage.circle_id.in_(ids), ChatMessage.author_id == user.id),
        sa.select(LiveLesson.circle_id, LiveAttendance.joined_at).select_from(LiveAttendance)
        .join(LiveLesson, LiveLesson.id == LiveAttendance.lesson_id)
        .where(LiveLesson.circle_id.in_(ids), LiveAttendance.user_id == user.id),
    ).subquery()
    for circle_id, (last,) in _by_circle(
        sa.select(events.c.circle_id, sa.type_coerce(sa.func.max(events.c.at), UTCDateTime))
        .group_by(events.c.circle_id)
    ).items():
        rows[circle_id].last_activity_at = last


