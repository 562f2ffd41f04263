"""A term's report: hand-in rates, late work, grade distributions, live attendance and check-in streaks by class
and by student, built on the console's figures (figures.class_rows) plus a fixed number of aggregate queries
grouped by class or by (class, student): never a query per class or per student."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from lms.accounts.models import User
from lms.checkins import streaks
from lms.checkins.models import Checkin, CheckinStreak, CheckinTask
from lms.circles.models import Membership, MembershipStatus, Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading.models import Grade
from lms.homework.models import Assignment, Extension, Submission
from lms.live.models import LessonState, LiveAttendance, LiveLesson
from lms.orgs.console import figures
from lms.orgs.console.figures import ClassRow, Filters
from lms.orgs.models import Organization, Term

#: lower bounds (percent of the points) of the grade distribution's bands; the last one takes 90 and above
BANDS = (0, 60, 70, 80, 90)


def _rate(done: int, expected: int) -> float | None:
    return ClassRow._rate(done, expected)


@dataclass
class ClassReport:
    """One class of the term: the console's figures (`row`: students, assignments, handed_in, hand_in_rate,
    average_grade, lessons_held, attended, attendance_rate) and the term's own."""

    row: ClassRow
    late: int = 0  #: (published assignment, student) pairs whose latest hand-in is late
    missing: int = 0  #: (published assignment, student) pairs past the student's due time with nothing handed in
    bands: list[int] = field(default_factory=lambda: [0] * len(BANDS))  #: released grades per band of BANDS
    checkins_due: int = 0  #: scheduled check-in days of the term so far × students
    checkins_done: int = 0
    best_current_streak: int = 0  #: the longest streak still alive today, of any student and task
    best_longest_streak: int = 0  #: the longest streak of the term, of any student and task

    @property
    def late_rate(self) -> float | None:
        """Percent of the hand-ins (latest versions) that came in after the student's deadline."""
        return _rate(self.late, self.row.handed_in)

    @property
    def checkin_rate(self) -> float | None:
        """Percent of the term's scheduled check-ins (until today) that were done."""
        return _rate(self.checkins_done, self.checkins_due)

    @property
    def graded(self) -> int:
        return sum(self.bands)


@dataclass
class StudentReport:
    """One student across the term's classes in view."""

    user_id: int
    name: str
    sort_key: str  #: how the name sorts (lms.core.collation)
    student_no: str = ""  #: their number in one of those classes (blank when none)
    classes: int = 0
    assignments: int = 0  #: published assignments of their classes
    handed_in: int = 0
    late: int = 0
    missing: int = 0  #: assignments past their due time with nothing handed in (not excused)
    grade_total: float = 0.0  #: sum of their released grades, percent of the points
    grades: int = 0
    lessons_held: int = 0  #: live lessons held in their classes
    attended: int = 0
    longest_streak: int = 0  #: their longest check-in streak, any task of their classes

    @property
    def hand_in_rate(self) -> float | None:
        return _rate(self.handed_in, self.assignments)

    @property
    def average_grade(self) -> float | None:
        """The mean of their released grades, percent of the points (None: no released grade)."""
        return None if not self.grades else self.grade_total / self.grades

    @property
    def attendance_rate(self) -> float | None:
        return _rate(self.attended, self.lessons_held)


@dataclass
class TermReport:
    """The report of `term` as one viewer may see it: `classes` by name, `students` by name."""

    term: Term
    classes: list[ClassReport]
    students: list[StudentReport]
    made_at: datetime


def term_report(org: Organization, term: Term, viewer: User, *, now: datetime | None = None) -> TermReport:
    """The term's report for `viewer`: every class of the term for the organization's admins (and site admins),
    the classes they teach (and so only their students) for its teachers (figures.scope). The same number of
    queries for 5 classes as for 500."""
    now = now or utcnow()
    rows = figures.class_rows(org, viewer, Filters(term_id=term.id), now=now, console=False)
    classes = {r.circle.id: ClassReport(row=r) for r in rows}
    if not classes:
        return TermReport(term, [], [], now)
    ids = figures.scope(org, viewer, Filters(term_id=term.id)).scalar_subquery()
    students = _students(ids, classes)
    _handins(ids, classes, students)
    _missing(ids, classes, students, now)
    _grades(ids, classes, students)
    _attendance(ids, students)
    tasks = {t.id: t for t in db.session.scalars(sa.select(CheckinTask).where(CheckinTask.circle_id.in_(ids)))}
    _checkins(ids, tasks, classes, term, now)
    _streaks(ids, tasks, classes, students, now)
    return TermReport(term, list(classes.values()),
                      sorted(students.values(), key=lambda s: (s.sort_key, s.name, s.user_id)), now)


def _students(ids, classes: dict[int, ClassReport]) -> dict[int, StudentReport]:
    """The active students of the classes, each with their classes' counts (assignments, lessons held) added up
    from the class rows: one query."""
    found: dict[int, StudentReport] = {}
    for user_id, name, key, circle_id, student_no in db.session.execute(
        sa.select(Membership.user_id, User.name, User.sort_key, Membership.circle_id, Membership.student_no)
        .join(User, User.id == Membership.user_id)
        .where(Membership.circle_id.in_(ids), Membership.status == MembershipStatus.active,
               Membership.role == Role.student)
        .order_by(Membership.user_id, Membership.circle_id)
    ):
        student = found.get(user_id)
        if student is None:
            student = found[user_id] = StudentReport(user_id, name, key)
        row = classes[circle_id].row
        student.classes += 1
        student.assignments += row.assignments
        student.lessons_held += row.lessons_held
        if student_no and not student.student_no:
            student.student_no = student_no
    return found


def _handins(ids, classes: dict[int, ClassReport], students: dict[int, StudentReport]) -> None:
    """Hand-ins and late ones, by (class, student), in one query. As the gradebook decides it
    (lms/grading/gradebook.py): the latest version is late when it arrived after the student's current due
    time, their extension's or the assignment's (lms/homework/lateness.py: late exactly when after it)."""
    latest = (sa.select(Submission.assignment_id, Submission.student_id,
                        sa.func.max(Submission.version).label("version"))
              .join(Assignment, Assignment.id == Submission.assignment_id)
              .where(Assignment.circle_id.in_(ids), Assignment.is_published.is_(True))
              .group_by(Submission.assignment_id, Submission.student_id).subquery())
    due = sa.func.coalesce(Extension.due_at, Assignment.due_at)
    is_late = sa.case((sa.and_(due.is_not(None), Submission.submitted_at > due), 1), else_=0)
    for circle_id, student_id, handed, late in db.session.execute(
        sa.select(Assignment.circle_id, Submission.student_id, sa.func.count(), sa.func.sum(is_late))
        .select_from(latest)
        .join(Submission, sa.and_(Submission.assignment_id == latest.c.assignment_id,
                                  Submission.student_id == latest.c.student_id,
                                  Submission.version == latest.c.version))
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .outerjoin(Extension, sa.and_(Extension.assignment_id == Submission.assignment_id,
                                      Extension.student_id == Submission.student_id))
        .where(figures._active_students(Assignment.circle_id, Submission.student_id))
        .group_by(Assignment.circle_id, Submission.student_id)
    ):
        late = int(late or 0)
        classes[circle_id].late += late
        student = students.get(student_id)
        if student is not None:
            student.handed_in += handed
            student.late += late


def _missing(ids, classes: dict[int, ClassReport], students: dict[int, StudentReport], now: datetime) -> None:
    """Missing work by (class, student), in one query, as the gradebook's "missing" (lms/homework/lateness.py
    is_missing): nothing handed in, not excused, and the student's current due time (their extension's or the
    assignment's) has passed."""
    due = sa.func.coalesce(Extension.due_at, Assignment.due_at)
    handed = sa.exists().where(Submission.assignment_id == Assignment.id, Submission.student_id == Membership.user_id)
    excused = sa.exists().where(Grade.assignment_id == Assignment.id, Grade.student_id == Membership.user_id,
                                Grade.is_excused.is_(True))
    for circle_id, student_id, n in db.session.execute(
        sa.select(Assignment.circle_id, Membership.user_id, sa.func.count())
        .select_from(Assignment)
        .join(Membership, Membership.circle_id == Assignment.circle_id)
        .outerjoin(Extension, sa.and_(Extension.assignment_id == Assignment.id,
                                      Extension.student_id == Membership.user_id))
        .where(Assignment.circle_id.in_(ids), Assignment.is_published.is_(True),
               Membership.status == MembershipStatus.active, Membership.role == Role.student,
               due.is_not(None), due < now, ~handed, ~excused)
        .group_by(Assignment.circle_id, Membership.user_id)
    ):
        classes[circle_id].missing += n
        if student_id in students:
            students[student_id].missing += n


def _grades(ids, classes: dict[int, ClassReport], students: dict[int, StudentReport]) -> None:
    """Released grades as percentages of the points (the grades the console's average counts): each class's
    counts per band, each student's sum and count; one query grouped by (class, student)."""
    percent = Grade.score * 100.0 / Assignment.points
    ranges = [percent < BANDS[1]]  # a score below 0 falls in the lowest band, one above the points in the top
    ranges += [sa.and_(percent >= low, percent < high) for low, high in zip(BANDS[1:], BANDS[2:])]
    ranges.append(percent >= BANDS[-1])
    bands = [sa.func.sum(sa.case((r, 1), else_=0)) for r in ranges]
    for circle_id, student_id, total, count, *counts in db.session.execute(
        sa.select(Assignment.circle_id, Grade.student_id, sa.func.sum(percent), sa.func.count(), *bands)
        .select_from(Grade).join(Assignment, Assignment.id == Grade.assignment_id)
        .where(Assignment.circle_id.in_(ids), Grade.released_at.is_not(None), Grade.score.is_not(None),
               Grade.is_excused.is_(False), Assignment.points > 0)
        .group_by(Assignment.circle_id, Grade.student_id)
    ):
        report = classes[circle_id]
        report.bands = [have + int(n or 0) for have, n in zip(report.bands, counts)]
        student = students.get(student_id)
        if student is not None:
            student.grade_total += float(total or 0)
            student.grades += count


def _attendance(ids, students: dict[int, StudentReport]) -> None:
    """Live lessons held (as the console counts them) that each student came to, in one query."""
    held = sa.and_(LiveLesson.circle_id.in_(ids), LiveLesson.went_live_at.is_not(None),
                   LiveLesson.state != LessonState.cancelled)
    present = (sa.select(LiveAttendance.lesson_id, LiveAttendance.user_id)
               .join(LiveLesson, LiveLesson.id == LiveAttendance.lesson_id)
               .where(held, figures._active_students(LiveLesson.circle_id, LiveAttendance.user_id))
               .distinct().subquery())
    for user_id, n in db.session.execute(
        sa.select(present.c.user_id, sa.func.count()).group_by(present.c.user_id)
    ):
        if user_id in students:
            students[user_id].attended = n


def _checkins(ids, tasks: dict[int, CheckinTask], classes: dict[int, ClassReport], term: Term,
              now: datetime) -> None:
    """The term's scheduled check-ins until today (each of the classes' `tasks`' days in the term × the class's
    students) and those done by the class's students in the term: one query."""
    for task in tasks.values():
        report = classes[task.circle_id]
        last = min(term.ends_on, now.astimezone(task.circle.zone).date())
        report.checkins_due += task.count_scheduled(term.starts_on, last) * report.row.students
    if not tasks:
        return
    for circle_id, n in db.session.execute(
        sa.select(CheckinTask.circle_id, sa.func.count()).select_from(Checkin)
        .join(CheckinTask, CheckinTask.id == Checkin.task_id)
        .where(CheckinTask.circle_id.in_(ids), Checkin.day >= term.starts_on, Checkin.day <= term.ends_on,
               Checkin.hidden_at.is_(None),
               figures._active_students(CheckinTask.circle_id, Checkin.user_id))
        .group_by(CheckinTask.circle_id)
    ):
        classes[circle_id].checkins_done = n


def _streaks(ids, tasks: dict[int, CheckinTask], classes: dict[int, ClassReport],
             students: dict[int, StudentReport], now: datetime) -> None:
    """The best current and longest streaks of each class and each student's longest, from the stored summaries
    (CheckinStreak, kept by lms.checkins at every check-in): one query. A run is current while no scheduled day
    before today was missed since (lms.checkins.streaks.alive_since)."""
    alive_since = {}
    for task_id, user_id, longest, run, last_day in db.session.execute(
        sa.select(CheckinStreak.task_id, CheckinStreak.user_id, CheckinStreak.longest, CheckinStreak.run,
                  CheckinStreak.last_day)
        .select_from(CheckinStreak).join(CheckinTask, CheckinTask.id == CheckinStreak.task_id)
        .where(CheckinTask.circle_id.in_(ids), CheckinStreak.total > 0,
               figures._active_students(CheckinTask.circle_id, CheckinStreak.user_id))
    ):
        task = tasks[task_id]
        if task_id not in alive_since:
            alive_since[task_id] = streaks.alive_since(task, now.astimezone(task.circle.zone).date())
        since = alive_since[task_id]
        current = run if last_day is not None and (since is None or last_day >= since) else 0
        report = classes[task.circle_id]
        report.best_current_streak = max(report.best_current_streak, current)
        report.best_longest_streak = max(report.best_longest_streak, longest)
        student = students.get(user_id)
        if student is not None:
            student.longest_streak = max(student.longest_streak, longest)


def band_labels() -> list[str]:
    """The bands' labels: "<60", "60–69", …, "90–100"."""
    labels = [f"<{BANDS[1]}"]
    labels += [f"{low}–{high - 1}" for low, high in zip(BANDS[1:], BANDS[2:])]
    labels.append(f"{BANDS[-1]}–100")
    return labels
