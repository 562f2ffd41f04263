"""Assignments, submissions (a new row per version; nothing is overwritten), video comments."""
from __future__ import annotations

import enum
import math
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, TEACHING_ROLES, Circle, Role
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.uploads.models import Media

#: Roles that hand in homework.
LEARNER_ROLES = frozenset({Role.student, Role.member})


class Accepts(enum.StrEnum):
    video = "video"  #: a video is required; a note and attachments are optional
    text = "text"  #: text and/or attachments, no video


class LatePolicy(enum.StrEnum):
    refuse = "refuse"  #: nothing after the due time
    accept = "accept"  #: accepted and marked late
    penalty = "penalty"  #: accepted, marked late, minus a percentage per started day up to a cap


class PeerVisibility(enum.StrEnum):
    hidden = "hidden"  #: only the teacher sees submissions
    after_submit = "after_submit"  #: a student sees classmates' work once they have submitted
    after_due = "after_due"  #: everyone sees everyone's work after the due time


class Window(enum.StrEnum):
    """Where the server's clock stands for an assignment."""

    not_open = "not_open"
    open = "open"
    late = "late"  #: past due, still accepted (marked late, maybe with a penalty)
    closed = "closed"


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
    rubric = relationship("Rubric", lazy="selectin")
    category = relationship("GradeCategory", lazy="joined")

    # -- the clock ------------------------------------------------------------------------
    def window(self, now: datetime | None = None) -> Window:
        """Whether a submission arriving at `now` (the server's clock) is early, on time, late or refused."""
        now = now or utcnow()
        if self.opens_at and now < self.opens_at:
            return Window.not_open
        if self.closes_at and now >= self.closes_at:
            return Window.closed
        if self.due_at is None or now <= self.due_at:
            return Window.open
        return Window.closed if self.late_policy == LatePolicy.refuse else Window.late

    def days_late(self, at: datetime) -> int:
        """Started days after the due time (one second late is one day), 0 when on time."""
        if self.due_at is None or at <= self.due_at:
            return 0
        return math.ceil((at - self.due_at).total_seconds() / 86400)

    def penalty_percent(self, at: datetime) -> float:
        """Percent of the points deducted for a submission received at `at`."""
        if self.late_policy != LatePolicy.penalty:
            return 0.0
        return min(self.late_penalty_per_day * self.days_late(at), self.late_penalty_cap)

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

    def can_grade(self, user: User | None) -> bool:
        """Grade, comment as the teacher, release: owner, teachers and assistants."""
        return self.is_staff(user)

    def can_submit(self, user: User | None, now: datetime | None = None) -> bool:
        return (self.is_published and not self.circle.is_archived and self.is_learner(user)
                and self.window(now) in (Window.open, Window.late))

    def can_see_classmates(self, user: User | None, has_submitted: bool, now: datetime | None = None) -> bool:
        """May `user` browse the other students' submissions (the gallery)?"""
        if self.is_staff(user):
            return True
        if not self.is_learner(user) or not self.is_published:
            return False
        if self.peer_visibility == PeerVisibility.after_submit:
            return has_submitted
        if self.peer_visibility == PeerVisibility.after_due:
            return self.due_at is not None and (now or utcnow()) > self.due_at
        return False

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
    is_late: Mapped[bool] = mapped_column(default=False)
    days_late: Mapped[int] = mapped_column(default=0)
    #: percent deducted by the late policy, fixed at submission time
    penalty_percent: Mapped[float] = mapped_column(sa.Float, default=0)

    assignment: Mapped[Assignment] = relationship()
    student: Mapped[User] = relationship(lazy="joined")
    media: Mapped[Media | None] = relationship(lazy="joined")
    files: Mapped[list[SubmissionFile]] = relationship(
        back_populates="submission", order_by="SubmissionFile.position", cascade="all, delete-orphan")

    def is_own(self, user: User | None) -> bool:
        return bool(user and user.is_authenticated and user.id == self.student_id)

    def can_view(self, user: User | None, *, viewer_has_submitted: bool, is_latest: bool,
                 now: datetime | None = None) -> bool:
        """Staff see every version; the student sees their own; a classmate sees the latest version
        only, when the assignment lets them see classmates' work (see Assignment.can_see_classmates)."""
        assignment = self.assignment
        if assignment.is_staff(user):
            return True
        if not assignment.can_view(user):
            return False
        if self.is_own(user):
            return True
        return is_latest and assignment.can_see_classmates(user, viewer_has_submitted, now)

    def can_comment(self, user: User | None, **facts) -> bool:
        """Whoever sees a submission may comment on it while the circle is not archived."""
        return not self.assignment.circle.is_archived and self.can_view(user, **facts)


class SubmissionFile(db.Model):
    """An attachment of a submission (a media item of kind `file`)."""

    __tablename__ = "submission_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(sa.ForeignKey("media.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    submission: Mapped[Submission] = relationship(back_populates="files")
    media: Mapped[Media] = relationship(lazy="joined")


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

    submission: Mapped[Submission] = relationship()
    author: Mapped[User | None] = relationship(lazy="joined")

    def can_edit(self, user: User | None) -> bool:
        return bool(user and user.is_authenticated and user.id == self.author_id and self.deleted_at is None)

    def is_visible_to(self, user: User | None, *, is_staff: bool, released: bool) -> bool:
        """For someone who may see the submission: staff read everything; the submission's student
        reads feedback once their grade is released; classmates read peer comments only."""
        if self.deleted_at is not None:
            return False
        if is_staff or self.kind == CommentKind.peer:
            return True
        return released and self.submission.is_own(user)
