"""Rubrics, grade categories, grades (with their history and release), regrade requests."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import Circle
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.homework import lateness
from lms.homework.models import Assignment, SubmissionScope


class Rubric(db.Model):
    """A reusable scoring guide of a circle: criteria, each with levels worth points."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    circle: Mapped[Circle] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="rubric", order_by="Criterion.position", cascade="all, delete-orphan", lazy="selectin")
    #: also gives every Assignment its `rubric` (declared here: grading → homework, never back)
    assignments: Mapped[list[Assignment]] = relationship(backref=backref("rubric", lazy="selectin"))

    @property
    def points(self) -> float:
        return sum(c.points for c in self.criteria)

    def can_edit(self, user: User | None) -> bool:
        """Create, change and delete rubrics: the circle's owner and teachers."""
        return self.circle.can_edit(user)


class Criterion(db.Model):
    __tablename__ = "rubric_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: most points this criterion gives
    points: Mapped[float] = mapped_column(sa.Float)
    #: [{"title": "Excellent", "points": 10, "description": "…"}, …] from best to worst
    levels: Mapped[list] = mapped_column(sa.JSON, default=list)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")

    @property
    def key(self) -> str:
        """How Grade.criterion_scores names this criterion (JSON object keys are strings)."""
        return str(self.id)


class GradeCategory(db.Model):
    """A weighted group of assignments in the gradebook ("Homework 40 %, Final performance 60 %")."""

    __tablename__ = "grade_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: percent of the course total; the weights of a circle's categories should add up to 100
    weight: Mapped[float] = mapped_column(sa.Float, default=0)
    position: Mapped[int] = mapped_column(default=0)

    #: also gives every Assignment its `category` (declared here: grading → homework, never back)
    assignments: Mapped[list[Assignment]] = relationship(backref=backref("category", lazy="joined"))


class Grade(db.Model):
    """The current grade of one student for one assignment. Every change is also kept in
    GradeChange; students see it only once `released_at` is set."""

    __tablename__ = "grades"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the version that was graded
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id", ondelete="SET NULL"))
    #: points awarded before any late penalty (None: not graded yet)
    score: Mapped[float | None] = mapped_column(sa.Float)
    #: {criterion_id (as a string): points} when the assignment has a rubric
    criterion_scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    feedback_md: Mapped[str] = mapped_column(sa.Text, default="")
    #: the teacher waived the late penalty (the penalty itself is derived, never stored: see penalty_percent)
    is_penalty_waived: Mapped[bool] = mapped_column(default=False)
    #: excused: counts neither as missing nor in totals
    is_excused: Mapped[bool] = mapped_column(default=False)
    graded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment = relationship("Assignment")
    submission = relationship("Submission")
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    graded_by: Mapped[User | None] = relationship(foreign_keys=[graded_by_id])

    @property
    def penalty_percent(self) -> float:
        """The late penalty of the graded version, derived from the current deadline, extension and policy
        (lms/homework/lateness.py); 0 when waived or when no work was graded."""
        if self.is_penalty_waived or self.submission is None:
            return 0.0
        return self.submission.lateness.penalty_percent

    @property
    def final_score(self) -> float | None:
        """The score after the late penalty (a percentage of the assignment's points)."""
        return lateness.final_score(self.score, self.assignment.points, self.penalty_percent)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    @property
    def is_graded(self) -> bool:
        return self.score is not None

    def can_view(self, user: User | None) -> bool:
        """Whoever sees every submission of the assignment (staff) always; the student their own once it
        is released, while they may see their work (Assignment.submission_scope); nobody else."""
        scope = self.assignment.submission_scope(user)
        if scope == SubmissionScope.all:
            return True
        return (scope != SubmissionScope.none and user.id == self.student_id) and self.is_released


class GradeChange(db.Model):
    """One entry of a grade's history: who did what, when, and the values after it."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id", ondelete="CASCADE"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "graded", "released", "unreleased", "excused", "penalty_waived", "regrade_resolved"
    action: Mapped[str] = mapped_column(sa.String(30))
    score: Mapped[float | None] = mapped_column(sa.Float)
    criterion_scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: the late penalty in force when the change was made (history; a grade's own penalty is derived)
    penalty_percent: Mapped[float] = mapped_column(sa.Float, default=0)
    feedback_md: Mapped[str] = mapped_column(sa.Text, default="")

    changed_by: Mapped[User | None] = relationship(lazy="joined")


class RegradeState(enum.StrEnum):
    open = "open"
    accepted = "accepted"  #: the teacher changed the grade
    declined = "declined"


class RegradeRequest(db.Model):
    """A student's request to look at a released grade again; staff accept (with a new grade) or decline."""

    __tablename__ = "regrade_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[RegradeState] = mapped_column(enum_column(RegradeState, name="regrade_state"), default=RegradeState.open)
    response: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grade: Mapped[Grade] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_open(self) -> bool:
        return self.state == RegradeState.open
