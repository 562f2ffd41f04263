"""Known peer-review data for the receiving, results and grade tests: tasks and handed-in reviews written
directly (allocation and the reviewing pages are tested in their own files), so medians are known."""
from __future__ import annotations

from datetime import timedelta

from lms.core.types import utcnow
from lms.extensions import db
from lms.grading import operations as grading_ops
from lms.grading.models import Rubric
from lms.homework import queries as hw
from lms.reviews.models import AllocationState, PeerReview, ReviewAllocation, ReviewComment
from tests.reviews.conftest import turn_on


def rubric(review, *, points=(10, 10)):
    """A rubric of the review's circle with one criterion per entry of `points` (levels: full, half, 0)."""
    criteria = [{"title": f"Criterion {n}", "levels": [{"title": "Full", "points": p},
                                                        {"title": "Half", "points": p / 2},
                                                        {"title": "None", "points": 0}]}
                for n, p in enumerate(points, 1)]
    made = grading_ops.create_rubric(review.klass.circle, review.klass.teacher, "Dance", criteria)
    db.session.commit()
    return made


def write_review(review, reviewer, author, scores: dict, *, comment: str = "A careful review of the turns.",
                 pinned=((3.0, "Watch the arms here"),), minutes: float = 10, submitted: bool = True):
    """A task for `reviewer` on `author`'s work with a review (handed in unless told otherwise):
    `scores` {criterion key: points}, started `minutes` before it was handed in."""
    latest = hw.latest_submission(review.assignment, author)
    submission_id = latest.id if latest else None
    task = ReviewAllocation(assignment_id=review.assignment.id, reviewer_id=reviewer.id, author_id=author.id,
                            submission_id=submission_id, round=1,
                            state=AllocationState.submitted if submitted else AllocationState.draft)
    db.session.add(task)
    db.session.flush()
    now = utcnow()
    written = PeerReview(allocation_id=task.id, overall_comment=comment,
                         criterion_scores={k: {"level": None, "points": v} for k, v in scores.items()},
                         started_at=now - timedelta(minutes=minutes), submitted_at=now if submitted else None)
    db.session.add(written)
    db.session.flush()
    for at, body in pinned:
        db.session.add(ReviewComment(review_id=written.id, at_seconds=at, body=body))
    db.session.commit()
    return written


def scored(review, rubric_id: int | None = None, **values):
    """Peer review on (window open until two days from now) with the reviewers' rubric `rubric_id` (else the
    assignment's), and the
    klass's student's work reviewed by the classmate and Dancers 0 and 1, Dancer 2 leaving a draft.
    Scores (criterion keys of the rubric, or "overall" without one): 8/6, 6/6, 2/1 (totals 14, 12, 3).
    Returns (settings, [three handed-in reviews], the draft)."""
    settings = turn_on(review, rubric_id=rubric_id, **values)
    scored_with = rubric_id or review.assignment.rubric_id
    keys = [c.key for c in review_rubric(scored_with).criteria] if scored_with else ["overall", "x"]
    student, classmate, d0, d1, d2 = review.students
    made = [write_review(review, reviewer, student, dict(zip(keys, pts)))
            for reviewer, pts in ((classmate, (8, 6)), (d0, (6, 6)), (d1, (2, 1)))]
    draft = write_review(review, d2, student, dict(zip(keys, (9, 9))), submitted=False)
    return settings, made, draft


def review_rubric(rubric_id: int) -> Rubric:
    return db.session.get(Rubric, rubric_id)
