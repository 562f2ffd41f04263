"""Reads of homework: scoped lookups that 404 outside the circle, and bounded lists for pages.

Used by grading too (SpeedGrader, gradebook): `learners`, `latest_submissions`,
`submission_status_by_student`, `submission_history`, `visible_comments`, `extensions_for`.
What a viewer may see of the submissions starts at `visible_submissions` (the query of the rule
Submission.can_view applies to one row; lms/homework/models.py, Assignment.submission_scope).
Submissions loaded in bulk carry their student's deadline, so their derived lateness costs no query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import lateness as rules
from lms.homework.grades import GradeFacts, grade_source, has_new_version, is_released
from lms.homework.lateness import Deadline, Lateness
from lms.homework.models import (LEARNER_ROLES, Assignment, Extension, ExtensionChange, Submission, SubmissionDraft,
                                 SubmissionScope, VideoComment)


# -- scoped lookups --------------------------------------------------------------------------

def get_assignment_or_404(circle: Circle, assignment_id: int, user: User) -> Assignment:
    """The assignment of `circle` if `user` may see it (drafts: staff only); 404 otherwise."""
    assignment = db.session.scalar(
        db.select(Assignment).where(Assignment.id == assignment_id, Assignment.circle_id == circle.id))
    if assignment is None or not assignment.can_view(user):
        abort(404)
    return assignment


def get_submission_or_404(assignment: Assignment, submission_id: int, user: User) -> Submission:
    """A submission (any version) of `assignment` that `user` may see (Submission.can_view); 404 for ids
    of other assignments, 403 for one of this assignment the user may not see (they can see the
    assignment, so its work is no secret), 404 for someone who cannot see the assignment either."""
    submission = db.session.scalar(
        db.select(Submission).options(selectinload(Submission.files))
        .where(Submission.id == submission_id, Submission.assignment_id == assignment.id))
    if submission is None:
        abort(404)
    submission.assignment = assignment  # the caller's object, with its circle and membership cache
    if not submission.can_view(user):
        abort(403 if assignment.can_view(user) else 404)
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
        .order_by(Membership.sort_key, Membership.display_name, Membership.id)))


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


def has_submissions(assignment: Assignment) -> bool:
    return db.session.scalar(db.select(db.exists().where(Submission.assignment_id == assignment.id)))


# -- extensions and deadlines ----------------------------------------------------------------

def get_extension_or_404(assignment: Assignment, extension_id: int) -> Extension:
    """An extension of `assignment`; 404 for ids of other assignments. The caller checks `can_grant_extensions`."""
    extension = db.session.scalar(db.select(Extension).where(Extension.id == extension_id,
                                                             Extension.assignment_id == assignment.id))
    if extension is None:
        abort(404)
    extension.assignment = assignment
    return extension


def extension_of(assignment: Assignment, student_id: int) -> Extension | None:
    """The student's extension of `assignment`, or None."""
    extension = db.session.scalar(db.select(Extension).where(Extension.assignment_id == assignment.id,
                                                             Extension.student_id == student_id))
    if extension is not None:
        extension.assignment = assignment
    return extension


def extensions_by_student(assignment: Assignment) -> dict[int, Extension]:
    """The assignment's extensions keyed by student id (one query)."""
    rows = db.session.scalars(db.select(Extension).where(Extension.assignment_id == assignment.id))
    out = {}
    for extension in rows:
        extension.assignment = assignment
        out[extension.student_id] = extension
    return out


def extensions_for(assignment_ids, student_id: int | None = None) -> dict[tuple[int, int], Extension]:
    """(assignment id, student id) → extension, for several assignments (and maybe one student), one query."""
    ids = list(assignment_ids)
    if not ids:
        return {}
    query = db.select(Extension).where(Extension.assignment_id.in_(ids))
    if student_id is not None:
        query = query.where(Extension.student_id == student_id)
    return {(e.assignment_id, e.student_id): e for e in db.session.scalars(query)}


def deadlines_by_student(assignment: Assignment) -> dict[int, Deadline]:
    """student id → their deadline, for the students with an extension (others: `assignment.base_deadline`)."""
    return {student_id: e.deadline(assignment) for student_id, e in extensions_by_student(assignment).items()}


def extension_history(assignment: Assignment, student_id: int | None = None) -> list[ExtensionChange]:
    """Every grant, change and removal of the assignment's extensions (of one student), newest first."""
    query = db.select(ExtensionChange).where(ExtensionChange.assignment_id == assignment.id)
    if student_id is not None:
        query = query.where(ExtensionChange.student_id == student_id)
    return list(db.session.scalars(query.order_by(ExtensionChange.changed_at.desc(), ExtensionChange.id.desc())))


def my_deadlines(assignments: list[Assignment], student: User) -> dict[int, Deadline]:
    """assignment id → the student's own deadline, for a list of assignments (one query)."""
    extensions = extensions_for([a.id for a in assignments], student.id)
    return {a.id: a.deadline_for(student.id, extensions.get((a.id, student.id))) for a in assignments}


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


def latest_submissions(assignment: Assignment, deadlines: dict[int, Deadline] | None = None
                       ) -> dict[int, Submission]:
    """The latest version of every student's work for `assignment`, keyed by student id, each carrying its
    student's deadline (one query, plus one for attachments, plus one for extensions unless `deadlines`
    is given). Includes people who have since left the circle."""
    if deadlines is None:
        deadlines = deadlines_by_student(assignment)
    rows = db.session.scalars(
        db.select(Submission).options(selectinload(Submission.files))
        .where(Submission.id.in_(_latest_ids([assignment.id]))))
    out = {}
    base = assignment.base_deadline
    for submission in rows:
        submission.assignment = assignment
        out[submission.student_id] = submission.with_deadline(deadlines.get(submission.student_id, base))
    return out


def latest_submission(assignment: Assignment, student: User) -> Submission | None:
    """The student's latest version, or None."""
    return db.session.scalar(
        db.select(Submission).where(Submission.assignment_id == assignment.id, Submission.student_id == student.id)
        .order_by(Submission.version.desc()).limit(1))


def submission_history(assignment: Assignment, student_id: int, viewer: User) -> list[Submission]:
    """The versions of a student's work that `viewer` may see (visible_submissions), newest first:
    every version for staff and the student (nothing is ever overwritten), the latest for a
    classmate the gallery has opened for, none for anyone else."""
    rows = list(db.session.scalars(
        visible_submissions(assignment, viewer).options(selectinload(Submission.files))
        .where(Submission.student_id == student_id)
        .order_by(Submission.version.desc())))
    deadline = assignment.deadline_for(student_id) if rows else assignment.base_deadline
    for submission in rows:
        submission.assignment = assignment
        submission.with_deadline(deadline)
    return rows


def my_latest_by_assignment(assignments: list[Assignment], student: User,
                            deadlines: dict[int, Deadline]) -> dict[int, Submission]:
    """The student's latest version per assignment (one query for the whole list), each carrying the
    student's deadline from `deadlines` (see `my_deadlines`)."""
    ids = [a.id for a in assignments]
    if not ids:
        return {}
    by_id = {a.id: a for a in assignments}
    rows = db.session.scalars(db.select(Submission).where(Submission.id.in_(_latest_ids(ids, student.id))))
    out = {}
    for submission in rows:
        submission.assignment = by_id[submission.assignment_id]
        out[submission.assignment_id] = submission.with_deadline(deadlines[submission.assignment_id])
    return out


def submitted_counts(assignments: list[Assignment]) -> dict[int, int]:
    """How many distinct students handed something in, per assignment (one query)."""
    ids = [a.id for a in assignments]
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(Submission.assignment_id, db.func.count(db.distinct(Submission.student_id)))
        .where(Submission.assignment_id.in_(ids)).group_by(Submission.assignment_id))
    return dict(rows.all())


def has_submitted(assignment: Assignment, user: User) -> bool:
    if not user.is_authenticated:
        return False
    return bool(db.session.scalar(db.select(db.exists().where(
        Submission.assignment_id == assignment.id, Submission.student_id == user.id))))


def visible_submissions(assignment: Assignment, viewer: User, now: datetime | None = None):
    """A query of the submissions of `assignment` that `viewer` may see, by the rule Submission.can_view
    applies to one row (Assignment.submission_scope): every version for staff; the viewer's own
    versions, plus each classmate's latest once the gallery has opened for them; nothing for anyone
    else. Callers add their own filters and order; every list of submissions shown to someone starts here."""
    query = db.select(Submission).where(Submission.assignment_id == assignment.id)
    scope = assignment.submission_scope(viewer, now)
    if scope == SubmissionScope.all:
        return query
    if scope == SubmissionScope.none:
        return query.where(sa.false())
    own = Submission.student_id == viewer.id
    if scope == SubmissionScope.own:
        return query.where(own)
    return query.where(db.or_(own, Submission.id.in_(_latest_ids([assignment.id]))))


def can_fetch_submission_media(viewer: User, submission_id: int | None, media, rendition) -> bool:
    """The media checker of subject "submission" (registered with lms/uploads, asked on every
    media request): may `viewer` have `rendition` of `media`, shown for that submission, now?

    The media must be the submission's video or one of its attachments. Whoever may see the
    submission now (Submission.can_view: membership, version, gallery setting, publication) gets
    the transcoded video, poster, HLS, state and attachments; the video's original (the upload as
    received, with the phone's location and device name) only its student and staff."""
    from lms.homework.models import SubmissionFile
    from lms.uploads.access import Rendition

    submission = db.session.get(Submission, submission_id) if submission_id is not None else None
    if submission is None:
        return False
    if media.id != submission.media_id and not db.session.scalar(db.select(db.exists().where(
            SubmissionFile.submission_id == submission.id, SubmissionFile.media_id == media.id))):
        return False
    if rendition == Rendition.original:
        return submission.can_view_original(viewer)
    return submission.can_view(viewer)


@dataclass
class StudentStatus:
    """Where one learner stands on one assignment (for lists, filters and SpeedGrader). Lateness and
    "missing" are derived here from the student's current deadline (lms/homework/lateness.py)."""

    membership: Membership
    submission: Submission | None  #: the latest version
    grade: GradeFacts | None  #: from the grade source (lms/homework/grades.py)
    deadline: Deadline = field(default_factory=Deadline)
    now: datetime | None = None
    #: a video uploaded for the assignment but not handed in (staff lists only: drafts are the student's)
    has_draft: bool = False

    @property
    def is_uploaded_not_handed_in(self) -> bool:
        return self.submission is None and self.has_draft

    @property
    def student_id(self) -> int:
        return self.membership.user_id

    @property
    def is_graded(self) -> bool:
        return self.grade is not None and (self.grade.score is not None or self.grade.is_excused)

    @property
    def is_excused(self) -> bool:
        return self.grade is not None and self.grade.is_excused

    @property
    def has_new_version(self) -> bool:
        """Graded, then handed in again: the latest version arrived after the grade was last given
        (the rule: lms.homework.grades.has_new_version). The grade stays until the teacher grades again."""
        submission, grade = self.submission, self.grade
        if submission is None or grade is None:
            return False
        return has_new_version(submission.id, submission.submitted_at, is_graded=self.is_graded,
                               is_excused=grade.is_excused, graded_id=grade.submission_id,
                               graded_at=grade.graded_at)

    @property
    def needs_grading(self) -> bool:
        """Work waits for the teacher: handed in and not graded yet, or handed in again since it was graded."""
        return self.submission is not None and (not self.is_graded or self.has_new_version)

    @property
    def lateness(self) -> Lateness:
        return self.submission.lateness if self.submission is not None else rules.ON_TIME

    @property
    def is_late(self) -> bool:
        return self.lateness.is_late

    @property
    def is_missing(self) -> bool:
        return rules.is_missing(self.deadline, self.now or utcnow(), submitted=self.submission is not None,
                                excused=self.is_excused)

    @property
    def status(self) -> str:
        """"new_version" (graded, then handed in again: has_new_version), "graded", "late", "submitted",
        "missing" (past the student's due time) or "not_submitted"."""
        if self.is_graded:
            return "new_version" if self.has_new_version else "graded"
        if self.submission is not None:
            return "late" if self.is_late else "submitted"
        return "missing" if self.is_missing else "not_submitted"


def submission_status_by_student(assignment: Assignment, now: datetime | None = None) -> list[StudentStatus]:
    """Every current learner of the circle with their latest submission, grade, deadline and whether a video
    waits in their draft, by display name. For the circle's staff only (drafts are not the classmates' business).

    Five queries whatever the class size. People who left the circle are not listed (their work is
    still in `latest_submissions`)."""
    now = now or utcnow()
    people = learners(assignment.circle)
    deadlines = deadlines_by_student(assignment)
    latest = latest_submissions(assignment, deadlines)
    grades = grade_source().grades_by_student(assignment)
    drafts = students_with_draft_video(assignment)
    base = assignment.base_deadline
    return [StudentStatus(m, latest.get(m.user_id), grades.get(m.user_id), deadlines.get(m.user_id, base), now,
                          has_draft=m.user_id in drafts)
            for m in people]


def students_with_draft_video(assignment: Assignment) -> set[int]:
    """The ids of students whose draft for `assignment` holds a video (uploaded, or still arriving) that they
    have not handed in (one query). Staff views only; the draft's video stays the student's."""
    return set(db.session.scalars(db.select(SubmissionDraft.student_id).where(
        SubmissionDraft.assignment_id == assignment.id, SubmissionDraft.media_id.is_not(None))))


def gallery(assignment: Assignment, viewer: User, now: datetime | None = None
            ) -> list[tuple[Membership | None, Submission]]:
    """The latest submission of each classmate that `viewer` may see (visible_submissions), with their
    circle identity, by name (the viewer's own excluded). Three queries."""
    rows = db.session.scalars(
        visible_submissions(assignment, viewer, now).options(selectinload(Submission.files))
        .where(Submission.id.in_(_latest_ids([assignment.id])), Submission.student_id != viewer.id))
    latest = {}
    for submission in rows:
        submission.assignment = assignment
        latest[submission.student_id] = submission
    names = memberships_by_user(assignment.circle, latest)
    rows = [(names.get(student_id), submission) for student_id, submission in latest.items()]
    return sorted(rows, key=lambda row: ((row[0].sort_key, row[0].display_name) if row[0] else ("", ""), row[1].id))


# -- comments --------------------------------------------------------------------------------

def visible_comments(submission: Submission, user: User) -> list[VideoComment]:
    """The comments on `submission` that `user` may read, by moment (unpinned ones last), oldest first.

    The caller loaded `submission` for `user` (get_submission_or_404, or a visible_submissions list), so
    `user` may see it. Staff read everything; the student
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
