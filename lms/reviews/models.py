"""Peer review: an assignment's set-up (window, k, anonymity, rubric, requirements, grade shares) and the
allocation of review tasks (who reviews whom, in which round)."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.homework.models import Assignment
from lms.uploads.models import Media


class Anonymity(enum.StrEnum):
    double_blind = "double_blind"  #: neither side sees the other's name
    reviewers_named = "reviewers_named"  #: the author sees who reviewed them; reviewers see no author
    authors_named = "authors_named"  #: reviewers see whose work it is; the author sees no reviewer


class WindowState(enum.StrEnum):
    """Where the clock stands for the review window."""

    off = "off"  #: peer review is not on (or has no times)
    not_open = "not_open"
    open = "open"
    closed = "closed"


class PeerReviewSettings(db.Model):
    """How one assignment is peer reviewed (one row per assignment, made when a teacher first saves it)."""

    __tablename__ = "peer_review_settings"

    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    is_enabled: Mapped[bool] = mapped_column(default=False)
    #: k: reviews each submission gets, and tasks each reviewer gets
    reviews_per_submission: Mapped[int] = mapped_column(default=3)
    #: when the review window opens; None: at the assignment's due time
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymity: Mapped[Anonymity] = mapped_column(enum_column(Anonymity, name="peer_review_anonymity"),
                                                 default=Anonymity.double_blind)
    #: the rubric reviewers score with (grading's table); None: the assignment's own rubric
    rubric_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rubrics.id", ondelete="SET NULL"))
    #: the overall written comment must be at least this long (0: no comment required)
    comment_min_length: Mapped[int] = mapped_column(default=0)
    #: at least this many comments pinned to moments of the video
    min_timestamped_comments: Mapped[int] = mapped_column(default=0)
    #: percent of the assignment's grade from the peer score the work received
    score_share: Mapped[float] = mapped_column(sa.Float, default=0)
    #: percent of the assignment's grade from reviewing well (accuracy)
    reviewing_share: Mapped[float] = mapped_column(sa.Float, default=0)
    #: students who handed nothing in may review too
    non_submitters_review: Mapped[bool] = mapped_column(default=False)
    #: members of one group never review each other
    separate_groups: Mapped[bool] = mapped_column(default=False)
    #: calibration: students practise on the teacher's scored examples before their classmates' tasks unlock
    calibration_required: Mapped[bool] = mapped_column(default=False)
    #: calibration: each reviewer's scores weigh by their accuracy in the medians
    weight_by_accuracy: Mapped[bool] = mapped_column(default=False)
    #: rounds run so far; the first at the window's opening, later ones hourly while it is open
    rounds: Mapped[int] = mapped_column(default=0)
    last_round_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what the last round could not cover: [{"author_id", "missing", "eligible"}], and reviewers left
    #: short of tasks: [{"reviewer_id", "missing"}] (shown to the teacher)
    shortfall: Mapped[list] = mapped_column(sa.JSON, default=list)
    idle: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: the teacher released the reviews to their authors before the window closed (receiving)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: when the authors were told their reviews are available (at the release, or after the window closed)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship()

    @property
    def window_opens_at(self) -> datetime | None:
        """The set opening time, else the assignment's due time."""
        return self.opens_at or self.assignment.due_at

    def closes_at_for(self, extension: ReviewExtension | None = None) -> datetime | None:
        """When the window closes for one reviewer: their extension's time when it is later, else everyone's."""
        if extension is None or self.closes_at is None or extension.closes_at <= self.closes_at:
            return self.closes_at
        return extension.closes_at

    def window_state(self, now: datetime | None = None, extension: ReviewExtension | None = None) -> WindowState:
        """Where the clock stands for the window: everyone's, or one reviewer's with their `extension`."""
        opens = self.window_opens_at
        if not self.is_enabled or opens is None or self.closes_at is None:
            return WindowState.off
        now = now or utcnow()
        if now < opens:
            return WindowState.not_open
        return WindowState.open if now < self.closes_at_for(extension) else WindowState.closed

    # -- predicates -----------------------------------------------------------------------
    def can_set_up(self, user: User | None) -> bool:
        """Turn peer review on and change it: the circle's owner and teachers."""
        return self.assignment.can_edit(user)

    def can_view_allocation(self, user: User | None) -> bool:
        """See who reviews whom: the circle's staff."""
        return self.assignment.is_staff(user)

    def reviews_visible_to_authors(self, now: datetime | None = None) -> bool:
        """Authors read the reviews of their work once the window has closed or the teacher released them."""
        return self.is_enabled and (self.released_at is not None or self.window_state(now) == WindowState.closed)

    def can_release(self, user: User | None) -> bool:
        """Release the reviews to their authors early, and grade from peer scores: owner and teachers."""
        return self.assignment.can_edit(user)

    def can_allocate(self, user: User | None) -> bool:
        """Reassign a task, add one by hand, run a round now: owner and teachers, not in an archived circle."""
        return self.assignment.can_edit(user) and not self.assignment.circle.is_archived

    def can_grant_extensions(self, user: User | None) -> bool:
        """Give a student a later close of their review window, change or remove it: as can_allocate."""
        return self.can_allocate(user)


class AllocationState(enum.StrEnum):
    assigned = "assigned"  #: given, not started
    draft = "draft"  #: the reviewer has started (a saved draft)
    submitted = "submitted"  #: the review is handed in
    reassigned = "reassigned"  #: taken from this reviewer by the teacher (kept for the record; never made again)


#: States of a task that still stands (counts in the loads).
LIVE_STATES = (AllocationState.assigned, AllocationState.draft, AllocationState.submitted)


class ReviewAllocation(db.Model):
    """One review task: `reviewer` reviews `author`'s work on `assignment`. A pair is made once at most."""

    __tablename__ = "review_allocations"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "reviewer_id", "author_id"),
        sa.Index("ix_review_allocations_reviewer", "reviewer_id", "assignment_id"),
        sa.Index("ix_review_allocations_author", "assignment_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: the version allocated (the author's latest then); reviewers see the latest at review time
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id", ondelete="SET NULL"))
    #: 1 for the allocation at the window's opening, 2, 3, … for later rounds; 0 for tasks added by hand
    round: Mapped[int] = mapped_column(default=1)
    state: Mapped[AllocationState] = mapped_column(enum_column(AllocationState, name="review_allocation_state"),
                                                   default=AllocationState.assigned)
    is_by_hand: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the teacher took the task from this reviewer (state reassigned)
    reassigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[Assignment] = relationship()

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def can_reassign(self) -> bool:
        """A task not handed in yet may go to someone else."""
        return self.state in (AllocationState.assigned, AllocationState.draft)


class PeerReview(db.Model):
    """What a reviewer writes for one task: criterion scores, an overall comment and comments pinned to
    moments of the video. A draft until `submitted_at` is set; final unless the teacher reopens it.
    `helpful` and the flag are set later by the work's author (receiving)."""

    __tablename__ = "peer_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_allocations.id", ondelete="CASCADE"), unique=True)
    #: {"<criterion id>": {"level": index into the criterion's levels | None, "points": float}} (grading's
    #: Criterion.key names a criterion; its levels have no ids, so a level is its position)
    criterion_scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    overall_comment: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the teacher who last reopened a submitted review, and when
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the author's verdict: helpful (True), not helpful (False), not said (None)
    helpful: Mapped[bool | None] = mapped_column()
    #: the author flagged the review as unfair, and why
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag_reason: Mapped[str | None] = mapped_column(sa.Text)

    allocation: Mapped[ReviewAllocation] = relationship()
    comments: Mapped[list[ReviewComment]] = relationship(
        back_populates="review", order_by="ReviewComment.at_seconds, ReviewComment.id",
        cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class ReviewComment(db.Model):
    """A reviewer's comment pinned to a moment of the reviewed video."""

    __tablename__ = "review_comments"
    __table_args__ = (sa.Index("ix_review_comments_review", "review_id", "at_seconds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("peer_reviews.id", ondelete="CASCADE"))
    at_seconds: Mapped[float] = mapped_column(sa.Float)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    review: Mapped[PeerReview] = relationship(back_populates="comments")


class ReviewExtension(db.Model):
    """A later closing time of the review window for one student's review tasks (the teacher's extension).
    Only that student's window moves: they may open, save and hand in their tasks until `closes_at`;
    everyone else's window, and when authors may read their reviews, stay the set-up's. It never shortens
    the window: the later of the two times holds (PeerReviewSettings.closes_at_for)."""

    __tablename__ = "peer_review_extensions"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    #: the reviewer whose window closes later
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: when it was granted or last changed
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship()


class ReviewExample(db.Model):
    """An example video the teacher uploaded and scored with the reviewers' rubric, for students to
    practise on before reviewing classmates (calibration). At most MAX_EXAMPLES per assignment."""

    __tablename__ = "peer_review_examples"
    __table_args__ = (sa.Index("ix_peer_review_examples_assignment", "assignment_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: the example video (uploaded through the upload pipeline, owned by the teacher who uploaded it)
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"))
    #: the teacher's reference, shaped as PeerReview.criterion_scores ({key: {"level", "points"}});
    #: {} until the teacher scores it
    criterion_scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: shown to a student with the comparison, after their practice is handed in
    teacher_comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship()
    media: Mapped[Media | None] = relationship()


class PracticeReview(db.Model):
    """A student's practice review of an example: scores and an overall comment, compared with the
    teacher's reference once handed in (`accuracy`, 0–100, recomputed when the reference changes)."""

    __tablename__ = "peer_practice_reviews"
    __table_args__ = (sa.UniqueConstraint("example_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    example_id: Mapped[int] = mapped_column(sa.ForeignKey("peer_review_examples.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    criterion_scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    overall_comment: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: how close the scores came to the reference, in percent (stats.accuracy); None before hand-in
    accuracy: Mapped[float | None] = mapped_column(sa.Float)

    example: Mapped[ReviewExample] = relationship()

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None
