"""Peer-review fixtures: a class whose assignment was due two hours ago, with work handed in on time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from lms.extensions import db
from lms.homework.models import Assignment
from lms.jobs import Task
from lms.jobs.backends import run_task
from lms.reviews import operations as ops
from lms.reviews.models import PeerReviewSettings
from tests.fixtures.homework import ago, later


@dataclass
class Review:
    klass: object
    assignment: Assignment
    students: list  #: everyone who handed in on time: klass.student, klass.classmate and three more
    due: object

    @property
    def base(self) -> str:
        return f"/circles/{self.klass.circle.id}/assignments/{self.assignment.id}/peer-review"

    def settings(self) -> PeerReviewSettings:
        db.session.expire_all()
        return db.session.get(PeerReviewSettings, self.assignment.id)


@pytest.fixture
def review(klass, hw, make):
    """A text assignment due two hours ago (late work accepted); five students handed in an hour before the
    due time: the klass's student and classmate and three more. Peer review is not set up yet."""
    due = ago(hours=2).replace(microsecond=0)
    assignment = hw.assignment(klass.circle, accepts="text", due_at=due, late_policy="accept")
    students = [klass.student, klass.classmate]
    for i in range(3):
        students.append(make.member(klass.circle, make.user(f"Dancer {i}")).user)
    for student in students:
        hw.submission(assignment, student, text=f"work of {student.name}", now=due - timedelta(hours=1))
    return Review(klass, assignment, students, due)


@pytest.fixture
def small_review(klass, hw):
    """Too small a class for k = 3: only the klass's student and classmate handed in, before a due time an
    hour ago. Peer review is not set up yet."""
    due = ago(hours=1).replace(microsecond=0)
    assignment = hw.assignment(klass.circle, accepts="text", due_at=due)
    for student in (klass.student, klass.classmate):
        hw.submission(assignment, student, text="x", now=due - timedelta(minutes=5))
    return Review(klass, assignment, [klass.student, klass.classmate], due)


def turn_on(review, **values) -> PeerReviewSettings:
    """Peer review on, its window open since the due time and closing in two days (k = 3 unless given)."""
    values.setdefault("closes_at", later(days=2))
    settings = ops.save_settings(review.assignment, review.klass.teacher, is_enabled=True, **values)
    db.session.commit()
    return settings


def run_periodic(app) -> None:
    """One run of the periodic task, as the scheduler runs it (its own app context and session)."""
    run_task(app, Task.run_review_rounds.value, ())
    db.session.expire_all()
