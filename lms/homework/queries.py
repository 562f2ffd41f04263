"""Reads of homework: scoped lookups that 404 outside the circle, and bounded lists for pages.

Used by grading too (SpeedGrader, gradebook): `learners`, `latest_submissions`,
`submission_status_by_student`, `submission_history`, `visible_comments`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus
from lms.extensions import db
from lms.grading.models import Grade, GradeCategory, Rubric
from lms.homework.models import LEARNER_ROLES, Assignment, Submission, VideoComment


# -- scoped lookups --------------------------------------------------------------------------

def get_assignment_or_404(circle: Circle, assignment_id: int, user: User) -> Assignment:
    """The assignment of `circle` if `user` may see it (drafts: staff only); 404 otherwise."""
    assignment = db.session.scalar(
        db.select(Assignment).where(Assignment.id == assignment_id, Assignment.circle_id == circle.id))
    if assignment is None or not assignment.can_view(user):
        abort(404)
    return assignment


def get_submission_or_404(assignment: Assignment, submission_id: int) -> Submission:
    """A submission (any version) of `assignment`; 404 for ids of other assignments.
    Whether the user may see it is the caller's check (`can_view_submission`)."""
    submission = db.session.scalar(
        db.select(Submission).options(selectinload(Submission.files))
        .where(Submission.id == submission_id, Submission.assignment_id == assignment.id))
    if submission is None:
        abort(404)
    submission.assignment = assignment  # the caller's object, with its circle and membership cache
    return submission


def get_comment_or_404(submission: Submission, comment_id: int) -> VideoComment:
    comment = db.session.scalar(db.select(VideoComment).where(
        VideoComment.id == comment_id, VideoComment.submission_id == submission.id,
        VideoComment.deleted_at.is_(None)))
    if comment is None:
        abort(404)
    return comment


# -- people ----------------------------------------------------------------------------------

def learners(circle: Circle) -> list[Membership]:
    """The active students and members of `circle` (the people who hand in work), by display name."""
    return list(db.session.scalars(
        db.select(Membership).where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
                                    Membership.role.in_(LEARNER_ROLES))
        .order_by(Membership.display_name, Membership.id)))


def learner_count(circle: Circle) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Membership).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.role.in_(LEARNER_ROLES))) or 0


def memberships_by_user(circle: Circle, user_ids) -> dict[int, Membership]:
    """The circle identities of some users (any status, so people who left keep their name), one query."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = db.session.scalars(db.select(Membership).where(Membership.circle_id == circle.id,
                                                          Membership.user_id.in_(ids)))
    return {m.user_id: m for m in rows}


def is_circle_staff(circle: Circle, user: User) -> bool:
    """Owner, teacher, assistant or overseer: the same test as Assignment.is_staff, without an assignment."""
    return circle.active_role(user) in STAFF_ROLES or circle._is_overseer(user)


# -- assignments -----------------------------------------------------------------------------

def circle_assignments(circle: Circle, user: User) -> list[Assignment]:
    """The assignments `user` sees in `circle` (drafts for staff only), soonest due first."""
    query = db.select(Assignment).where(Assignment.circle_id == circle.id)
    if not is_circle_staff(circle, user):
        query = query.where(Assignment.is_published.is_(True))
    # Assignments without a due time go last.
    return list(db.session.scalars(query.order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id)))


def circle_rubrics(circle: Circle) -> list[Rubric]:
    return list(db.session.scalars(db.select(Rubric).where(Rubric.circle_id == circle.id).order_by(Rubric.title)))


def circle_categories(circle: Circle) -> list[GradeCategory]:
    return list(db.session.scalars(db.select(GradeCategory).where(GradeCategory.circle_id == circle.id)
                                   .order_by(GradeCategory.position, GradeCategory.name)))


def has_submissions(assignment: Assignment) -> bool:
    return db.session.scalar(db.select(db.exists().where(Submission.assignment_id == assignment.id)))


# -- submissions -----------------------------------------------------------------------------

def _latest_ids(assignment_ids, student_id: int | None = None):
    """A subquery of the ids of the latest version per (assignment, student)."""
    inner = (db.select(Submission.assignment_id, Submission.student_id,
                       db.func.max(Submission.version).label("version"))
             .where(Submission.assignment_id.in_(assignment_ids)))
    if student_id is not None:
        inner = inner.where(Submission.student_id == student_id)
    inner = inner.group_by(Submission.assignment_id, Submission.student_id).subquery()
    return (db.select(Submission.id).join(inner, db.and_(
        Submission.assignment_id == inner.c.assignment_id, Submission.student_id == inner.c.student_id,
        Submission.version == inner.c.version)))


def latest_submissions(assignment: Assignment) -> dict[int, Submission]:
    """The latest version of every student's work for `assignment`, keyed by student id (one query,
    plus one for attachments). Includes people who have since left the circle."""
    rows = db.session.scalars(
        db.select(Submission).options(selectinload(Submission.files))
        .where(Submission.id.in_(_latest_ids([assignment.id]))))
    out = {}
    for submission in rows:
        submission.assignment = assignment
        out[submission.student_id] = submission
    return out


def latest_submission(assignment: Assignment, student: User) -> Submission | None:
    """The student's latest version, or None."""
    return db.session.scalar(
        db.select(Submission).where(Submission.assignment_id == assignment.id, Submission.student_id == student.id)
        .order_by(Submission.version.desc()).limit(1))


def submission_history(assignment: Assignment, student_id: int) -> list[Submission]:
    """Every version a student handed in, newest first (nothing is ever overwritten)."""
    rows = list(db.session.scalars(
        db.select(Submission).options(selectinload(Submission.files))
        .where(Submission.assignment_id == assignment.id, Submission.student_id == student_id)
        .order_by(Submission.version.desc())))
    for submission in rows:
        submission.assignment = assignment
    return rows


def my_latest_by_assignment(assignments: list[Assignment], student: User) -> dict[int, Submission]:
    """The student's latest version per assignment, one query for the whole list."""
    ids = [a.id for a in assignments]
    if not ids:
        return {}
    rows = db.session.scalars(db.select(Submission).where(Submission.id.in_(_latest_ids(ids, student.id))))
    return {s.assignment_id: s for s in rows}


def submitted_counts(assignments: list[Assignment]) -> dict[int, int]:
    """How many distinct students handed something in, per assignment (one query)."""
    ids = [a.id for a in assignments]
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(Submission.assignment_id, db.func.count(db.distinct(Submission.student_id)))
        .where(Submission.assignment_id.in_(ids)).group_by(Submission.assignment_id))
    return dict(rows.all())


def released_grades(assignments: list[Assignment], student: User) -> dict[int, Grade]:
    """The student's released grades per assignment (one query)."""
    ids = [a.id for a in assignments]
    if not ids:
        return {}
    rows = db.session.scalars(db.select(Grade).where(Grade.assignment_id.in_(ids), Grade.student_id == student.id,
                                                     Grade.released_at.is_not(None)))
    return {g.assignment_id: g for g in rows}


def is_released(assignment: Assignment, student_id: int) -> bool:
    """Has the student's grade (and with it the teacher's feedback) been released?"""
    return bool(db.session.scalar(db.select(db.exists().where(
        Grade.assignment_id == assignment.id, Grade.student_id == student_id, Grade.released_at.is_not(None)))))


def is_latest(submission: Submission) -> bool:
    return not db.session.scalar(db.select(db.exists().where(
        Submission.assignment_id == submission.assignment_id, Submission.student_id == submission.student_id,
        Submission.version > submission.version)))


def has_submitted(assignment: Assignment, user: User) -> bool:
    if not user.is_authenticated:
        return False
    return bool(db.session.scalar(db.select(db.exists().where(
        Submission.assignment_id == assignment.id, Submission.student_id == user.id))))


def can_view_submission(submission: Submission, user: User, now: datetime | None = None) -> bool:
    """Submission.can_view with the facts it needs looked up (two small queries at most)."""
    assignment = submission.assignment
    if assignment.is_staff(user) or submission.is_own(user):
        return submission.can_view(user, viewer_has_submitted=False, is_latest=False, now=now)
    return submission.can_view(user, viewer_has_submitted=has_submitted(assignment, user),
                               is_latest=is_latest(submission), now=now)


@dataclass
class StudentStatus:
    """Where one learner stands on one assignment (for lists, filters and SpeedGrader)."""

    membership: Membership
    submission: Submission | None  #: the latest version
    grade: Grade | None

    @property
    def student_id(self) -> int:
        return self.membership.user_id

    @property
    def is_graded(self) -> bool:
        return self.grade is not None and (self.grade.score is not None or self.grade.is_excused)

    @property
    def status(self) -> str:
        """"missing", "submitted", "late" or "graded" (graded by staff, released or not)."""
        if self.is_graded:
            return "graded"
        if self.submission is None:
            return "missing"
        return "late" if self.submission.is_late else "submitted"


def submission_status_by_student(assignment: Assignment) -> list[StudentStatus]:
    """Every current learner of the circle with their latest submission and grade, by display name.

    Three queries whatever the class size. People who left the circle are not listed (their work is
    still in `latest_submissions`)."""
    people = learners(assignment.circle)
    latest = latest_submissions(assignment)
    grades = {g.student_id: g for g in db.session.scalars(db.select(Grade).where(Grade.assignment_id == assignment.id))}
    return [StudentStatus(m, latest.get(m.user_id), grades.get(m.user_id)) for m in people]


def gallery(assignment: Assignment, viewer: User) -> list[tuple[Membership | None, Submission]]:
    """Classmates' latest submissions with their circle identity, by name (the viewer's own excluded)."""
    latest = latest_submissions(assignment)
    latest.pop(viewer.id, None)
    names = memberships_by_user(assignment.circle, latest)
    rows = [(names.get(student_id), submission) for student_id, submission in latest.items()]
    return sorted(rows, key=lambda row: ((row[0].display_name.lower() if row[0] else ""), row[1].id))


# -- comments --------------------------------------------------------------------------------

def visible_comments(submission: Submission, user: User) -> list[VideoComment]:
    """The comments on `submission` that `user` may read, by moment (unpinned ones last), oldest first.

    The caller has checked that `user` may see the submission. Staff read everything; the student
    reads peer comments and, once their grade is released, the staff's feedback; classmates read
    peer comments only."""
    assignment = submission.assignment
    staff = assignment.is_staff(user)
    released = not staff and submission.is_own(user) and is_released(assignment, submission.student_id)
    rows = db.session.scalars(
        db.select(VideoComment).where(VideoComment.submission_id == submission.id, VideoComment.deleted_at.is_(None))
        .order_by(VideoComment.at_seconds.is_(None), VideoComment.at_seconds, VideoComment.created_at,
                  VideoComment.id))
    out = []
    for comment in rows:
        comment.submission = submission
        if comment.is_visible_to(user, is_staff=staff, released=released):
            out.append(comment)
    return out


def comment_markers(comments: list[VideoComment]) -> list[dict]:
    """Player timeline markers (`{"at", "label"}`) for the pinned comments among `comments`."""
    return [{"at": c.at_seconds, "label": c.body[:80]} for c in comments if c.at_seconds is not None]
