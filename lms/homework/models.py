"""Assignments, submissions (a new row per version; nothing is overwritten), video comments."""
from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, TEACHING_ROLES, Circle, Role
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.homework import lateness as rules
from lms.homework.lateness import Deadline, Lateness, LatePolicy, Policy, Window
from lms.uploads.models import Media

#: Roles that hand in homework.
LEARNER_ROLES = frozenset({Role.student, Role.member})


class Accepts(enum.StrEnum):
    video = "video"  #: a video is required; a note and attachments are optional
    text = "text"  #: text and/or attachments, no video


class PeerVisibility(enum.StrEnum):
    hidden = "hidden"  #: only the teacher sees submissions
    after_submit = "after_submit"  #: a student sees classmates' work once they have submitted
    after_due = "after_due"  #: everyone sees everyone's work after the due time


class SubmissionScope(enum.StrEnum):
    """Which submissions of an assignment one viewer may see: the one rule (Assignment.submission_scope)
    behind Submission.can_view and queries.visible_submissions, and so behind every page, media URL,
    comment, push and list that shows a submission."""

    none = "none"  #: nothing: not in the circle (any more), or the assignment is a draft they cannot see
    own = "own"  #: every version of their own work
    own_and_classmates = "own_and_classmates"  #: their own, and the latest version of each classmate's
    all = "all"  #: staff (and overseers): every version of everyone's work


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (sa.Index("ix_assignments_circle_due", "circle_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    instructions_md: Mapped[str] = mapped_column(sa.Text, default="")
    accepts: Mapped[Accepts] = mapped_column(enum_column(Accepts, name="assignment_accepts"), default=Accepts.video)
    allow_attachments: Mapped[bool] = mapped_column(default=True)
    #: longest video accepted, seconds; None means the site's limit
    max_video_seconds: Mapped[int | None] = mapped_column()
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: after this nothing is accepted, whatever the late policy (None: no hard close)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_policy: Mapped[LatePolicy] = mapped_column(enum_column(LatePolicy, name="late_policy"), default=LatePolicy.accept)
    #: percent of the points taken per started day late, up to the cap (LatePolicy.penalty)
    late_penalty_per_day: Mapped[float] = mapped_column(sa.Float, default=0)
    late_penalty_cap: Mapped[float] = mapped_column(sa.Float, default=100)
    points: Mapped[float] = mapped_column(sa.Float, default=100)
    #: the grading rubric and gradebook category (grading's tables; grading offers and checks the choices)
    rubric_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rubrics.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("grade_categories.id", ondelete="SET NULL"))
    peer_visibility: Mapped[PeerVisibility] = mapped_column(
        enum_column(PeerVisibility, name="peer_visibility"), default=PeerVisibility.hidden)
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    circle: Mapped[Circle] = relationship(lazy="joined")
    # `rubric` and `category` (the rows rubric_id and category_id name) are grading's: it declares
    # them (lms/grading/models.py), so homework knows no grading class.

    # -- the clock (rules in lms/homework/lateness.py) ----------------------------------------
    @property
    def policy(self) -> Policy:
        cap = self.late_penalty_cap if self.late_penalty_cap is not None else 100.0
        return Policy(self.late_policy, self.late_penalty_per_day or 0.0, cap)

    @property
    def tz(self) -> ZoneInfo:
        """The circle's time zone, in which late days are counted."""
        return self.circle.zone

    @property
    def base_deadline(self) -> Deadline:
        """The assignment's own times, before any extension."""
        return Deadline(self.opens_at, self.due_at, self.closes_at)

    def deadline_for(self, student_id: int | None, extension: Extension | None | bool = False) -> Deadline:
        """The times that hold for one student: their extension's, else the assignment's. Pass the student's
        `extension` (or None for none) when it is already loaded; otherwise it is looked up (one query)."""
        if extension is False:
            extension = None if student_id is None else db.session.scalar(db.select(Extension).where(
                Extension.assignment_id == self.id, Extension.student_id == student_id))
        if extension is None:
            return self.base_deadline
        return extension.deadline(self)

    def window(self, now: datetime | None = None, deadline: Deadline | None = None) -> Window:
        """Whether a submission arriving at `now` (the server's clock) is early, on time, late or refused,
        against `deadline` (default: the assignment's own times)."""
        return rules.window(deadline or self.base_deadline, self.policy, now or utcnow())

    def lateness(self, received_at: datetime, deadline: Deadline | None = None) -> Lateness:
        """Lateness, days late and penalty of work received at `received_at` against `deadline`."""
        return rules.lateness(received_at, deadline or self.base_deadline, self.policy, self.tz)

    @property
    def video_limit(self) -> int:
        """The longest video accepted, seconds: the assignment's limit, never above the site's."""
        site = current_app.config["MAX_VIDEO_SECONDS"]
        return min(self.max_video_seconds, site) if self.max_video_seconds else site

    @property
    def takes_video(self) -> bool:
        return self.accepts == Accepts.video

    # -- predicates -----------------------------------------------------------------------
    def is_staff(self, user: User | None) -> bool:
        return self.circle.active_role(user) in STAFF_ROLES or self.circle._is_overseer(user)

    def is_learner(self, user: User | None) -> bool:
        return self.circle.active_role(user) in LEARNER_ROLES

    def can_view(self, user: User | None) -> bool:
        """Staff see drafts; members see published assignments; everyone else gets 404."""
        if self.is_staff(user):
            return True
        return self.is_published and self.circle.can_view(user)

    def can_edit(self, user: User | None) -> bool:
        """Create, edit, publish, delete: the circle's owner and teachers."""
        return self.circle.active_role(user) in TEACHING_ROLES or self.circle._is_overseer(user)

    def can_grant_extensions(self, user: User | None) -> bool:
        """Give students a later due or close time: the owner and teachers (as Moodle gives
        mod/assign:manageoverrides to editing teachers only)."""
        return self.can_edit(user)

    def can_grade(self, user: User | None) -> bool:
        """Grade, comment as the teacher, release: owner, teachers and assistants."""
        return self.is_staff(user)

    def can_submit(self, user: User | None, now: datetime | None = None) -> bool:
        """A published assignment of an active circle, a learner, and the window open for their own deadline."""
        return (self.is_published and not self.circle.is_archived and self.is_learner(user)
                and self.window(now, self.deadline_for(user.id)) in (Window.open, Window.late))

    def can_see_classmates(self, user: User | None, has_submitted: bool, now: datetime | None = None) -> bool:
        """May `user` browse the other students' submissions (the gallery)?"""
        if self.is_staff(user):
            return True
        if not self.is_learner(user) or not self.is_published:
            return False
        if self.peer_visibility == PeerVisibility.after_submit:
            return has_submitted
        if self.peer_visibility == PeerVisibility.after_due:
            # The viewer's own due time: a student with an extension sees classmates' work only after it.
            due_at = self.deadline_for(user.id).due_at
            return due_at is not None and (now or utcnow()) > due_at
        return False

    def submission_scope(self, user: User | None, now: datetime | None = None, *,
                         has_submitted: bool | None = None) -> SubmissionScope:
        """Which of this assignment's submissions `user` may see now. Staff see every version; a learner
        their own, and classmates' latest versions when the gallery has opened for them
        (`can_see_classmates`); anyone who cannot see the assignment, nothing. Looks up whether the
        viewer has handed in (one query) only when the gallery waits for that and it is not given."""
        if self.is_staff(user):
            return SubmissionScope.all
        if not self.can_view(user) or not self.is_learner(user):
            return SubmissionScope.none
        if has_submitted is None:
            has_submitted = self.peer_visibility == PeerVisibility.after_submit and bool(db.session.scalar(
                db.select(db.exists().where(Submission.assignment_id == self.id, Submission.student_id == user.id))))
        if self.can_see_classmates(user, has_submitted, now):
            return SubmissionScope.own_and_classmates
        return SubmissionScope.own

    def __repr__(self) -> str:
        return f"<Assignment {self.id} {self.title!r}>"


class Submission(db.Model):
    """One version of a student's work. Resubmitting adds a row with the next version number."""

    __tablename__ = "submissions"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "student_id", "version"),
        sa.Index("ix_submissions_student", "student_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=1)
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    #: the server's receipt time: the last byte of the video, or the request for text-only work
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship()
    student: Mapped[User] = relationship(lazy="joined")
    media: Mapped[Media | None] = relationship(lazy="joined")
    files: Mapped[list[SubmissionFile]] = relationship(
        back_populates="submission", order_by="SubmissionFile.position", cascade="all, delete-orphan")

    def is_own(self, user: User | None) -> bool:
        return bool(user and user.is_authenticated and user.id == self.student_id)

    @property
    def lateness(self) -> Lateness:
        """Derived from the current deadline (with the student's extension), policy and time zone; never
        stored. Loaders of many submissions hand in the deadline (`with_deadline`); otherwise it is
        looked up (one query)."""
        deadline = self.__dict__.get("_deadline") or self.assignment.deadline_for(self.student_id)
        return self.assignment.lateness(self.submitted_at, deadline)

    def with_deadline(self, deadline: Deadline) -> Submission:
        """Remember the student's deadline for this request (set by the query that loaded it)."""
        self.__dict__["_deadline"] = deadline
        return self

    def can_view(self, user: User | None, now: datetime | None = None) -> bool:
        """May `user` see this version (its video, files, comments) now? The assignment's rule for the
        viewer (Assignment.submission_scope), applied to this row: staff see every version; the student
        their own; a classmate the latest version only, once the gallery has opened for them. The same
        rule as queries.visible_submissions, which lists what this answers True for."""
        scope = self.assignment.submission_scope(user, now)
        if scope == SubmissionScope.all:
            return True
        if scope == SubmissionScope.none:
            return False
        if self.is_own(user):
            return True
        return scope == SubmissionScope.own_and_classmates and self.is_latest

    @property
    def is_latest(self) -> bool:
        """Is this the student's newest version (one query)?"""
        return not db.session.scalar(db.select(db.exists().where(
            Submission.assignment_id == self.assignment_id, Submission.student_id == self.student_id,
            Submission.version > self.version)))

    def can_view_original(self, user: User | None) -> bool:
        """The video as uploaded (with the phone's location and device name): its student and staff only."""
        return (self.is_own(user) or self.assignment.is_staff(user)) and self.can_view(user)

    def can_comment(self, user: User | None, now: datetime | None = None) -> bool:
        """Whoever sees a submission may comment on it while the circle is not archived."""
        return not self.assignment.circle.is_archived and self.can_view(user, now)


class SubmissionFile(db.Model):
    """An attachment of a submission (a media item of kind `file`)."""

    __tablename__ = "submission_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(sa.ForeignKey("media.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    submission: Mapped[Submission] = relationship(back_populates="files")
    media: Mapped[Media] = relationship(lazy="joined")


class SubmissionDraft(db.Model):
    """What one student has prepared for one assignment and not handed in yet (one row at most)."""

    __tablename__ = "submission_drafts"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "student_id"),
        sa.Index("ix_submission_drafts_student", "student_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: the video being (or already) uploaded for it; None when it failed or was deleted
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship()
    media: Mapped[Media | None] = relationship(lazy="joined")

    def is_own(self, user: User | None) -> bool:
        return bool(user and user.is_authenticated and user.id == self.student_id)


class CommentKind(enum.StrEnum):
    feedback = "feedback"  #: by staff; the student sees it once the grade is released
    peer = "peer"  #: by a classmate (or the author); visible to whoever can see the submission


class VideoComment(db.Model):
    """A comment pinned to a moment of a submission's video (or to no moment: `at_seconds` None)."""

    __tablename__ = "video_comments"
    __table_args__ = (sa.Index("ix_video_comments_submission", "submission_id", "at_seconds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[CommentKind] = mapped_column(enum_column(CommentKind, name="video_comment_kind"))
    at_seconds: Mapped[float | None] = mapped_column(sa.Float)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: hidden by a moderator, or held for review by the circle's word list (lms.moderation): only its author
    #: and the staff read it
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission: Mapped[Submission] = relationship()
    author: Mapped[User | None] = relationship(lazy="joined")

    def can_edit(self, user: User | None) -> bool:
        return bool(user and user.is_authenticated and user.id == self.author_id and self.deleted_at is None)

    def is_visible_to(self, user: User | None, *, is_staff: bool, released: bool) -> bool:
        """For someone who may see the submission: staff read everything; the submission's student
        reads feedback once their grade is released; classmates read peer comments only."""
        if self.deleted_at is not None:
            return False
        if self.hidden_at is not None and not is_staff:
            return user is not None and user.id == self.author_id
        if is_staff or self.kind == CommentKind.peer:
            return True
        return released and self.submission.is_own(user)


class Extension(db.Model):
    """A later due (and maybe close) time for one student on one assignment, as Canvas's assignment
    overrides and Moodle's user overrides give. Several students granted in one action get a row each.
    Every grant, change and removal is also kept in ExtensionChange."""

    __tablename__ = "extensions"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: hard close for this student (None: the assignment's, moved to the new due time if it fell before it)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])

    @property
    def audit_label(self) -> str:
        return f"{self.assignment.title} · {self.student.name}"

    def deadline(self, assignment: Assignment) -> Deadline:
        """The student's times: this due time, this close time or the assignment's (never before the due time)."""
        closes_at = self.closes_at
        if closes_at is None and assignment.closes_at is not None:
            closes_at = max(assignment.closes_at, self.due_at)
        return Deadline(assignment.opens_at, self.due_at, closes_at, is_extended=True)


class ExtensionAction(enum.StrEnum):
    granted = "granted"
    changed = "changed"
    removed = "removed"


class ExtensionChange(db.Model):
    """One entry of an extension's history (kept after the extension is removed): who, when, the values after it."""

    __tablename__ = "extension_changes"
    __table_args__ = (sa.Index("ix_extension_changes_assignment", "assignment_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[ExtensionAction] = mapped_column(enum_column(ExtensionAction, name="extension_action"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id], lazy="joined")
