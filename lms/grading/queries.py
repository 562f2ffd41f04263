"""Reads of grading, and scoped lookups that 404 outside the circle."""
from __future__ import annotations

from flask import abort

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.extensions import db
from lms.grading.models import Grade, GradeCategory, GradeChange, RegradeRequest, RegradeState, Rubric
from lms.homework import queries as hq
from lms.homework.models import LEARNER_ROLES, Assignment
from lms.homework.queries import StudentStatus


# -- scoped lookups (homework's own, for assignments, submissions and comments: lms.homework.queries) --


def get_rubric_or_404(circle: Circle, rubric_id: int) -> Rubric:
    rubric = db.session.scalar(db.select(Rubric).where(Rubric.id == rubric_id, Rubric.circle_id == circle.id))
    if rubric is None:
        abort(404)
    return rubric


def get_category_or_404(circle: Circle, category_id: int) -> GradeCategory:
    category = db.session.scalar(db.select(GradeCategory).where(GradeCategory.id == category_id,
                                                                GradeCategory.circle_id == circle.id))
    if category is None:
        abort(404)
    return category


def get_learner_or_404(circle: Circle, user_id: int) -> Membership:
    """An active student (or member) of the circle, by user id."""
    membership = db.session.scalar(db.select(Membership).where(
        Membership.circle_id == circle.id, Membership.user_id == user_id,
        Membership.status == MembershipStatus.active, Membership.role.in_(LEARNER_ROLES)))
    if membership is None:
        abort(404)
    return membership


def get_regrade_or_404(assignment: Assignment, request_id: int) -> RegradeRequest:
    request = db.session.scalar(db.select(RegradeRequest).join(Grade, Grade.id == RegradeRequest.grade_id)
                                .where(RegradeRequest.id == request_id, Grade.assignment_id == assignment.id))
    if request is None:
        abort(404)
    return request


# -- lists -----------------------------------------------------------------------------------

def learner_values(circle: Circle) -> list[tuple[int, str, str | None, str | None, str]]:
    """The people of homework's `learners` (active students and members, by display name) as plain values:
    (user id, display name, real name, student number, e-mail), for pages that list a whole class."""
    return list(db.session.execute(
        db.select(Membership.user_id, Membership.display_name, Membership.real_name, Membership.student_no,
                  User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
               Membership.role.in_(LEARNER_ROLES))
        .order_by(Membership.sort_key, Membership.display_name, Membership.id)))


def rubrics(circle: Circle) -> list[Rubric]:
    return list(db.session.scalars(db.select(Rubric).where(Rubric.circle_id == circle.id).order_by(Rubric.title)))


def categories(circle: Circle) -> list[GradeCategory]:
    return list(db.session.scalars(db.select(GradeCategory).where(GradeCategory.circle_id == circle.id)
                                   .order_by(GradeCategory.position, GradeCategory.id)))


def published_assignments(circle: Circle) -> list[Assignment]:
    """The circle's published assignments in the gradebook's order: by due time, undated last."""
    return list(db.session.scalars(db.select(Assignment).where(
        Assignment.circle_id == circle.id, Assignment.is_published.is_(True))
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id)))


def uncounted_assignments(assignments: list[Assignment], categories: list[GradeCategory]) -> list[Assignment]:
    """Those of `assignments` that count in no part of the weighted total, by the gradebook's rule
    (lms/grading/gradebook.py): with no category once the categories' weights take 100 %, or in a
    category weighing 0 %. None where no categories are weighed (everything counts by its points)."""
    from lms.grading.gradebook import uncategorised_weight  # the gradebook reads this module

    if not categories:
        return []
    rest = uncategorised_weight(categories)
    weight_of = {c.id: c.weight for c in categories}
    return [a for a in assignments if (rest if a.category_id is None else weight_of.get(a.category_id, 0.0)) <= 0]


def grades_by_student(assignment: Assignment) -> dict[int, Grade]:
    return {g.student_id: g for g in db.session.scalars(db.select(Grade).where(Grade.assignment_id == assignment.id))}


def grade_of(assignment: Assignment, student_id: int) -> Grade | None:
    return db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment.id,
                                                    Grade.student_id == student_id))


def grade_history(grade: Grade) -> list[GradeChange]:
    """Every change of a grade, newest first (staff only: it shows unreleased values)."""
    return list(db.session.scalars(db.select(GradeChange).where(GradeChange.grade_id == grade.id)
                                   .order_by(GradeChange.changed_at.desc(), GradeChange.id.desc())))


def regrade_requests(grade: Grade) -> list[RegradeRequest]:
    return list(db.session.scalars(db.select(RegradeRequest).where(RegradeRequest.grade_id == grade.id)
                                   .order_by(RegradeRequest.created_at.desc(), RegradeRequest.id.desc())))


def open_regrade_count(assignment: Assignment) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(RegradeRequest)
                             .join(Grade, Grade.id == RegradeRequest.grade_id)
                             .where(Grade.assignment_id == assignment.id,
                                    RegradeRequest.state == RegradeState.open)) or 0


# -- the SpeedGrader's queue -----------------------------------------------------------------

FILTERS = ("all", "ungraded", "late", "missing")


def matches(entry: StudentStatus, name: str) -> bool:
    """all: everyone; ungraded: work waiting for a grade (StudentStatus.needs_grading: handed in and not
    graded yet, or handed in again since it was graded, as Canvas lists resubmitted work); late: the latest
    version is late against the student's current deadline; missing: nothing handed in, not excused, past
    the student's due time (both derived in lms/homework/lateness.py)."""
    if name == "ungraded":
        return entry.needs_grading
    if name == "late":
        return entry.is_late
    if name == "missing":
        return entry.is_missing
    return True


def grading_queue(assignment: Assignment) -> list[StudentStatus]:
    """Every student of the circle with their latest submission, grade and deadline (four queries)."""
    return hq.submission_status_by_student(assignment)


def first_to_open(queue: list[StudentStatus], filter_name: str) -> StudentStatus | None:
    """Where SpeedGrader opens, among the students matching the filter in the list's order: the first whose
    work waits for a grade, else the first who handed anything in, else the first listed (None: nobody)."""
    shown = [e for e in queue if matches(e, filter_name)]
    return (next((e for e in shown if matches(e, "ungraded")), None)
            or next((e for e in shown if e.submission is not None), None)
            or next(iter(shown), None))


def steps_on(entry: StudentStatus, filter_name: str, everyone: bool = False) -> bool:
    """Whether previous/next stop at `entry`: a student matching the filter who handed something in (a
    student with nothing to look at is skipped unless the teacher asked to step through everyone, or
    chose the "missing" filter, which lists exactly those)."""
    return matches(entry, filter_name) and (everyone or filter_name == "missing" or entry.submission is not None)


def neighbours(queue: list[StudentStatus], student_id: int, filter_name: str,
               everyone: bool = False) -> tuple[StudentStatus | None, StudentStatus | None]:
    """The previous and next student to stop at (steps_on) around `student_id` in the queue's order (the
    current student need not match: after grading, "next ungraded" still moves on)."""
    position = next((n for n, e in enumerate(queue) if e.student_id == student_id), -1)
    before = [e for e in queue[:max(position, 0)] if steps_on(e, filter_name, everyone)]
    after = [e for e in queue[position + 1:] if steps_on(e, filter_name, everyone)]
    return (before[-1] if before else None), (after[0] if after else None)


def next_to_grade(queue: list[StudentStatus], student_id: int, filter_name: str,
                  everyone: bool = False) -> StudentStatus | None:
    """Where "Save and next" goes from `student_id`: stepping through everyone, the next student in the
    list; otherwise (and after the list's last) the next work handed in and still without a grade, among
    the filter's students, going round to the top of the list. None: nothing there waits for a grade."""
    if everyone or filter_name == "missing":
        _before, following = neighbours(queue, student_id, filter_name, everyone=True)
        if following is not None:
            return following
    position = next((n for n, e in enumerate(queue) if e.student_id == student_id), -1)
    around = queue[position + 1:] + queue[:max(position, 0)]
    return next((e for e in around if matches(e, filter_name) and matches(e, "ungraded")), None)
