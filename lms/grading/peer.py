"""Grades from peer review: the teacher accepts the peer score as a student's grade. Grading reads peer
review (lms/reviews), never the other way round.

How the grade is made (lms/reviews/stats.py final_fraction; the shares are the set-up's percents):

- the score received — Moodle Workshop's "grade for submission": the median of the submitted reviews,
  per criterion of the rubric reviewers used (weighted by each reviewer's accuracy when calibration gives
  one), summed and taken as a fraction of the rubric's points;
- reviewing well — Moodle Workshop's "grade for assessment": the reviewer's accuracy figure / 100 when
  calibration gives one (the mean of their practice accuracies on the teacher's examples and their
  agreement with the teacher's own grades; lms/reviews/calibration.py), else the share of their review
  tasks they handed in;
- the rest of the grade (100 − score share − reviewing share) is the teacher's part; accepting the peer
  score lets the score received stand for it too. So final = (1 − r) × received + r × reviewing.

With a rubric on the assignment the grade is written per criterion, so the speed grader shows it as any
other rubric grade: when reviewers used the assignment's own rubric each criterion gets
(1 − r) × its median + r × reviewing × its points (their sum is the final fraction of the rubric's
points); with another rubric, each criterion gets the final fraction of its points. Without a rubric the
score is the final fraction of the assignment's points. The change is written through grade_submission
(action "peer_accepted"), so it lands in the grade's history and on the audit log like any grade.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.extensions import db
from lms.grading.models import Grade
from lms.grading.operations import GradingError, grade_submission
from lms.homework.models import Assignment
from lms.grading.models import GradeChange
from lms.reviews import queries as rq
from lms.reviews import stats
from lms.reviews import teacher_view as tv

ACTION = "peer_accepted"


def reviewing_fraction(assignment: Assignment, reviewer_id: int) -> float:
    """Reviewing well, 0–1 (lms/reviews/teacher_view.py reviewing_fraction: the accuracy figure / 100, else
    the share of the reviewer's tasks handed in)."""
    settings = rq.settings_of(assignment)
    if settings is None:
        return 0.0
    return tv.reviewing_fraction(settings, reviewer_id)


def peer_grade(assignment: Assignment, student: User) -> tuple[float, dict | None]:
    """(score, criterion_scores) the peer results give `student` (criterion_scores None without a
    rubric on the assignment). Raises GradingError when peer review is off or no review was handed in."""
    settings = rq.settings_of(assignment)
    if settings is None or not settings.is_enabled:
        raise GradingError(_l("Peer review is not on for this assignment."))
    view = tv.submission_view(settings, student.id)
    peer = view.peer_fraction
    if peer is None:
        raise GradingError(_l("No classmate has reviewed this work yet."))
    s, r = settings.score_share, settings.reviewing_share
    reviewing = reviewing_fraction(assignment, student.id) if r else 0.0
    final = stats.final_fraction(peer, reviewing, score_share=s, reviewing_share=r)
    rubric = assignment.rubric
    if rubric is None:
        return round(final * assignment.points, 2), None
    same = tv.rubric_of(settings) == rubric.id
    scores = {}
    for criterion in rubric.criteria:
        if same:
            median = view.stats.medians.get(criterion.key) or 0.0
            value = (1 - r / 100) * median + (r / 100) * reviewing * criterion.points
        else:
            value = final * criterion.points
        scores[criterion.key] = round(min(criterion.points, max(0.0, value)), 2)
    return round(final * assignment.points, 2), scores


def accept_peer_score(assignment: Assignment, student: User, grader: User) -> Grade:
    """Make the peer score `student`'s grade (see the module's docstring), keeping the teacher's written
    feedback and the release state; recorded in the grade's history as "peer_accepted"."""
    score, criterion_scores = peer_grade(assignment, student)
    existing = db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment.id,
                                                        Grade.student_id == student.id))
    return grade_submission(assignment, student, grader, score=score, criterion_scores=criterion_scores,
                            feedback=existing.feedback_md if existing is not None else "", action=ACTION)


#: grade history actions that set a score (the latest of them says who set the grade as it stands)
_SCORING = ("graded", ACTION, "regrade_resolved", "excused", "unexcused")


def hand_graded(assignment: Assignment) -> set[int]:
    """Students whose grade as it stands a teacher set by hand (graded, regraded or excused, not accepted
    from the peer score), in two queries."""
    grades = {g.id: g for g in db.session.scalars(db.select(Grade).where(Grade.assignment_id == assignment.id))}
    if not grades:
        return set()
    latest: dict[int, str] = {}
    for grade_id, action in db.session.execute(
            db.select(GradeChange.grade_id, GradeChange.action)
            .where(GradeChange.grade_id.in_(list(grades)), GradeChange.action.in_(_SCORING))
            .order_by(GradeChange.changed_at, GradeChange.id)):
        latest[grade_id] = action
    return {g.student_id for gid, g in grades.items()
            if (g.score is not None or g.is_excused) and latest.get(gid, "graded") != ACTION}


@dataclass
class Accepted:
    """What accepting the peer score for the class did."""

    graded: list = field(default_factory=list)  #: students whose grade is now the peer score
    kept: list = field(default_factory=list)  #: students a teacher graded by hand, left as they are
    failed: list = field(default_factory=list)  #: (student, reason) the grade could not be set for


def accept_all(assignment: Assignment, grader: User, *, include_hand_graded: bool = False) -> Accepted:
    """Accept the peer score as the grade of every student with at least one review handed in (Moodle
    Workshop's grading evaluation, for the class at once): each through accept_peer_score (grade history
    "peer_accepted", audited like any grade). Students a teacher graded by hand keep their grade unless
    `include_hand_graded`. Nobody is told here: students learn of grades when the teacher releases them
    (release_grades tells them, in one batch)."""
    settings = rq.settings_of(assignment)
    if settings is None or not settings.is_enabled:
        raise GradingError(_l("Peer review is not on for this assignment."))
    authors = sorted({r.allocation.author_id for r in tv.submitted_reviews(assignment)})
    by_hand = set() if include_hand_graded else hand_graded(assignment)
    result = Accepted()
    students = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(authors)))} if authors else {}
    for author_id in authors:
        student = students.get(author_id)
        if student is None or not assignment.is_learner(student):
            continue
        if author_id in by_hand:
            result.kept.append(student)
            continue
        try:
            with db.session.begin_nested():
                accept_peer_score(assignment, student, grader)
        except GradingError as error:
            result.failed.append((student, str(error)))
        else:
            result.graded.append(student)
    return result
