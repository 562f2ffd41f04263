"""Calibration of peer reviewers: the teacher's scored example videos, students' practice reviews of them
(compared criterion by criterion with the teacher's reference), the lock that keeps classmates' tasks shut
until the practice is handed in, and each reviewer's accuracy figure. Reads and operations (flush, never
commit).

The accuracy figure. Moodle's Workshop gives each assessment a "grading grade" by comparing it, criterion
by criterion, with a reference assessment (mod/workshop/eval/best/lib.php, workshop_best_evaluation::
process_assessments: the distance of each criterion's grade from the reference, as a share of the
criterion's range), and makes a reviewer's "grade for assessment" the mean of the grading grades of all
their assessments (mod/workshop/locallib.php, workshop::aggregate_grading_grades_process). Here the
reference is always the teacher's, and the comparisons are:

- each example the reviewer practised on (their handed-in practice against the teacher's reference), and
- each classmate's work they reviewed that the teacher graded themselves with the same rubric (the review's
  scores against the teacher's grade's criterion scores; a grade made by accepting the peer score is not
  the teacher's own judgement and does not count, nor does an excused one).

Each comparison gives stats.accuracy: 100 less the mean distance per criterion in percent of the
criterion's points (Moodle's comparison with strictness "fair", a linear loss). The figure is the plain
mean of all the reviewer's comparisons, each counting once; None when there is none. Unlike Moodle, which
leaves its example assessments out of the grade, the examples count here (issue 13: "accuracy on examples
and agreement with the teacher where the teacher graded give each reviewer an accuracy figure").

Where the figure is used: the reviewing share of the grade is figure / 100 when there is one, else the
share of review tasks handed in (lms/grading/peer.py reviewing_fraction); with `weight_by_accuracy`, each
reviewer's scores weigh figure / 100 in the weighted medians of the work they reviewed (teacher_view.weights),
and a reviewer without a figure weighs the mean of the class's figures (neither favoured nor ignored).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.core.i18n import format_names
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework.models import Assignment
from lms.reviews import reviewing as rv
from lms.reviews import stats
from lms.reviews.models import (LIVE_STATES, PeerReview, PeerReviewSettings, PracticeReview, ReviewAllocation,
                                ReviewExample, WindowState)
from lms.reviews.operations import ReviewError
from lms.uploads.models import Media, MediaKind, MediaState
from lms.uploads.operations import attach_check

#: examples per assignment, at most
MAX_EXAMPLES = 3
MAX_TITLE = 200
#: the media subject (lms/uploads/access.py) an example's video is served for, and the upload purpose
MEDIA_SUBJECT = "review_example"
UPLOAD_PURPOSE = "peer_example"
#: grade changes that set a grade's scores, and the one that is not the teacher's own judgement
#: (lms/grading: GradeChange.action; read as a plain table, reviews sits below grading)
SCORING_ACTIONS = ("graded", "peer_accepted", "regrade_resolved")
PEER_ACCEPTED = "peer_accepted"

_grades = sa.table("grades", sa.column("id"), sa.column("assignment_id"), sa.column("student_id"),
                   sa.column("criterion_scores", sa.JSON), sa.column("is_excused"), sa.column("score"))
_changes = sa.table("grade_changes", sa.column("id"), sa.column("grade_id"), sa.column("action"))


# -- reads ---------------------------------------------------------------------------------------

def examples_of(assignment: Assignment) -> list[ReviewExample]:
    """The assignment's examples in order, with their media (one query)."""
    rows = list(db.session.scalars(
        db.select(ReviewExample).where(ReviewExample.assignment_id == assignment.id)
        .options(sa.orm.joinedload(ReviewExample.media)).order_by(ReviewExample.position, ReviewExample.id)))
    for row in rows:
        row.assignment = assignment
    return rows


def get_example_or_404(assignment: Assignment, example_id: int) -> ReviewExample:
    """An example of `assignment`; 404 for ids of other assignments (the caller checked a predicate)."""
    example = db.session.scalar(db.select(ReviewExample).where(ReviewExample.id == example_id,
                                                               ReviewExample.assignment_id == assignment.id))
    if example is None:
        abort(404)
    example.assignment = assignment
    return example


def points(scores: dict | None) -> dict:
    """{criterion key: points} of criterion_scores shaped {key: {"level", "points"}}."""
    found = {}
    for key, value in (scores or {}).items():
        value = value.get("points") if isinstance(value, dict) else value
        if value is not None:
            found[str(key)] = float(value)
    return found


def criteria_points(rubric: rv.RubricView | None) -> dict:
    return {c.key: c.points for c in rubric.criteria} if rubric is not None else {}


def is_scored(example: ReviewExample, rubric: rv.RubricView | None) -> bool:
    """The teacher's reference scores every criterion of the reviewers' rubric (a rubric is needed)."""
    if rubric is None or not rubric.criteria:
        return False
    return all(c.key in (example.criterion_scores or {}) for c in rubric.criteria if c.levels)


def is_practisable(example: ReviewExample, rubric: rv.RubricView | None) -> bool:
    """Students can practise on it: scored, and its video is ready to play."""
    media = example.media
    return (is_scored(example, rubric) and media is not None and media.kind == MediaKind.video
            and media.state == MediaState.ready)


def practisable(settings: PeerReviewSettings, rubric: rv.RubricView | None = None) -> list[ReviewExample]:
    """The examples students practise on, in order (the rubric is read unless given)."""
    rubric = rubric if rubric is not None else rv.rubric_for(settings)
    return [e for e in examples_of(settings.assignment) if is_practisable(e, rubric)]


def practices_of(assignment: Assignment, reviewer_id: int) -> dict[int, PracticeReview]:
    """A student's practice reviews on the assignment's examples, by example id (one query)."""
    rows = db.session.scalars(db.select(PracticeReview).join(ReviewExample)
                              .where(ReviewExample.assignment_id == assignment.id,
                                     PracticeReview.reviewer_id == reviewer_id))
    return {p.example_id: p for p in rows}


def practice_of(example: ReviewExample, reviewer_id: int) -> PracticeReview | None:
    return db.session.scalar(db.select(PracticeReview).where(PracticeReview.example_id == example.id,
                                                             PracticeReview.reviewer_id == reviewer_id))


def all_practices(assignment: Assignment) -> list[PracticeReview]:
    """Every practice review of the assignment's examples (the teacher's table; one query)."""
    return list(db.session.scalars(db.select(PracticeReview).join(ReviewExample)
                                   .where(ReviewExample.assignment_id == assignment.id)
                                   .order_by(PracticeReview.id)))


@dataclass
class Calibration:
    """Where one student stands: the examples to practise on, their practices, and whether their
    classmates' tasks are locked."""

    examples: list[ReviewExample]
    practices: dict[int, PracticeReview]
    required: bool

    @property
    def pending(self) -> list[ReviewExample]:
        return [e for e in self.examples if not (e.id in self.practices and self.practices[e.id].is_submitted)]

    @property
    def is_locked(self) -> bool:
        """Classmates' tasks stay shut: calibration is required and an example is not practised yet."""
        return self.required and bool(self.pending)


def calibration_for(settings: PeerReviewSettings, reviewer_id: int,
                    rubric: rv.RubricView | None = None) -> Calibration:
    """A student's calibration (four queries at most: the rubric, examples and practices)."""
    examples = practisable(settings, rubric)
    practices = practices_of(settings.assignment, reviewer_id) if examples else {}
    return Calibration(examples, practices, bool(settings.calibration_required))


def is_locked(settings: PeerReviewSettings, reviewer_id: int) -> bool:
    return settings.calibration_required and calibration_for(settings, reviewer_id).is_locked


# -- who may do what ----------------------------------------------------------------------------

def can_practise(settings: PeerReviewSettings, user: User | None) -> bool:
    """Practise on (and watch) the examples: the circle's learners, on a published assignment with peer
    review on."""
    assignment = settings.assignment
    return bool(user and user.is_authenticated and settings.is_enabled and assignment.is_published
                and assignment.is_learner(user))


def practice_refusal(settings: PeerReviewSettings, reviewer_id: int | None = None,
                     now: datetime | None = None) -> str | None:
    """Why a practice cannot be written now, or None. Practice may start before the review window opens
    and ends when it closes for `reviewer_id` (their extension counted: rv.review_window)."""
    if settings.assignment.circle.is_archived:
        return _("This circle is archived.")
    if rv.review_window(settings, reviewer_id, now).state == WindowState.closed:
        return _("The review window has closed: practice reviews can no longer be written.")
    return None


def may_fetch_example_media(viewer: User, example_id: int | None, media: Media, rendition) -> bool:
    """The media checker of subject "review_example" (lms/uploads/access.py, asked on every request): the
    media must be the example's video; the circle's staff may have it, and learners who may practise on
    it once it is scored (not the original upload: staff only)."""
    from lms.reviews import queries as q
    from lms.uploads.access import Rendition

    example = db.session.get(ReviewExample, example_id) if example_id is not None else None
    if example is None or example.media_id != media.id:
        return False
    assignment = example.assignment
    if assignment.is_staff(viewer):
        return True
    if rendition == Rendition.original:
        return False
    settings = q.settings_of(assignment)
    return (settings is not None and can_practise(settings, viewer)
            and is_practisable(example, rv.rubric_for(settings)))


def may_upload_example(user: User, assignment_id: int) -> int | None:
    """The "peer_example" upload purpose: the circle, when `user` may set up the assignment's peer review."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not assignment.can_edit(user):
        return None
    return assignment.circle_id


# -- the teacher's examples ---------------------------------------------------------------------

def _title(title) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ReviewError(_l("Give the example a title."), "title")
    if len(text) > MAX_TITLE:
        raise ReviewError(_l("A title can be at most %(num)d characters long.", num=MAX_TITLE), "title")
    return text


def _video(media: Media | None, actor: User) -> Media:
    problem = attach_check(media, actor, MediaKind.video)
    if problem:
        raise ReviewError(problem, "media_id")
    return media


def add_example(settings: PeerReviewSettings, actor: User, *, title: str, media: Media | None) -> ReviewExample:
    """Add an example video (the actor's own finished upload) at the end; it is scored next. Raises
    ReviewError: no title, no usable video, or MAX_EXAMPLES already."""
    assignment = settings.assignment
    existing = examples_of(assignment)
    if len(existing) >= MAX_EXAMPLES:
        raise ReviewError(_l("An assignment has at most %(num)d examples.", num=MAX_EXAMPLES))
    example = ReviewExample(assignment_id=assignment.id, title=_title(title), media=_video(media, actor),
                            position=(max((e.position for e in existing), default=-1) + 1),
                            criterion_scores={}, teacher_comment="", created_by_id=actor.id, created_at=utcnow())
    example.assignment = assignment
    db.session.add(example)
    db.session.flush()
    return example


def update_example(example: ReviewExample, actor: User, rubric: rv.RubricView | None, *, title: str,
                   media: Media | None = None, scores=None, comment: str | None = None) -> ReviewExample:
    """Change an example: its title, its video (`media`: the actor's new upload; None keeps it), the
    teacher's reference `scores` ({criterion key: level position}, as the review form sends them) and
    comment. Handed-in practices are compared again with the new reference."""
    example.title = _title(title)
    if media is not None and media.id != example.media_id:
        example.media = _video(media, actor)
    if scores is not None:
        example.criterion_scores = rv.clean_scores(rubric, scores)
    if comment is not None:
        example.teacher_comment = str(comment)[:rv.MAX_OVERALL]
    db.session.flush()
    rescore_practices(example, rubric)
    return example


def rescore_practices(example: ReviewExample, rubric: rv.RubricView | None) -> None:
    """Compare every handed-in practice of `example` with its current reference again."""
    criteria = criteria_points(rubric)
    reference = points(example.criterion_scores)
    for practice in db.session.scalars(db.select(PracticeReview).where(PracticeReview.example_id == example.id,
                                                                       PracticeReview.submitted_at.is_not(None))):
        practice.accuracy = stats.accuracy(points(practice.criterion_scores), reference, criteria)
    db.session.flush()


def move_example(example: ReviewExample, step: int) -> None:
    """Move an example up (step −1) or down (+1) the order students practise in."""
    examples = examples_of(example.assignment)
    index = next(i for i, e in enumerate(examples) if e.id == example.id)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(examples):
        examples[index], examples[other] = examples[other], examples[index]
    for position, item in enumerate(examples):
        item.position = position
    db.session.flush()


def remove_example(example: ReviewExample) -> None:
    """Remove an example with its practices (their accuracies leave the figures). The video stays in its
    uploader's library."""
    db.session.execute(sa.delete(PracticeReview).where(PracticeReview.example_id == example.id))
    db.session.delete(example)
    db.session.flush()


def save_calibration(settings: PeerReviewSettings, actor: User, *, calibration_required: bool,
                     weight_by_accuracy: bool) -> PeerReviewSettings:
    """Require practice before reviewing classmates, and weigh reviewers by accuracy; audited as a change
    of the peer-review set-up."""
    before = {"calibration_required": bool(settings.calibration_required),
              "weight_by_accuracy": bool(settings.weight_by_accuracy)}
    settings.calibration_required = bool(calibration_required)
    settings.weight_by_accuracy = bool(weight_by_accuracy)
    settings.updated_by_id = actor.id
    db.session.flush()
    changed = {f"peer_{name}": {"from": value, "to": getattr(settings, name)}
               for name, value in before.items() if value != getattr(settings, name)}
    if changed:
        assignment = settings.assignment
        record_event(AuditAction.peer_review_changed, actor, target=assignment, circle_id=assignment.circle_id,
                     details={"assignment_id": assignment.id, "assignment": assignment.title, **changed})
    return settings


# -- practice -----------------------------------------------------------------------------------

def practice_for(example: ReviewExample, reviewer: User, now: datetime | None = None) -> PracticeReview:
    """The student's practice of `example`, started now if it was not."""
    practice = practice_of(example, reviewer.id)
    if practice is None:
        practice = PracticeReview(example_id=example.id, reviewer_id=reviewer.id, criterion_scores={},
                                  overall_comment="", started_at=now or utcnow())
        practice.example = example
        db.session.add(practice)
        db.session.flush()
    return practice


def _editable(practice: PracticeReview) -> None:
    if practice.is_submitted:
        raise ReviewError(_l("This practice review is handed in."))


def save_practice(practice: PracticeReview, rubric: rv.RubricView | None, *, scores=None,
                  overall: str | None = None) -> PracticeReview:
    """Keep what the student typed so far (a draft)."""
    _editable(practice)
    if scores is not None:
        practice.criterion_scores = rv.clean_scores(rubric, scores)
    if overall is not None:
        practice.overall_comment = str(overall)[:rv.MAX_OVERALL]
    db.session.flush()
    return practice


def practice_problems(practice: PracticeReview, rubric: rv.RubricView | None,
                      settings: PeerReviewSettings) -> list[str]:
    """Why the practice cannot be handed in yet: the same rules as a review's scores and overall comment."""
    found = []
    if rubric is not None:
        missing = [c.title for c in rubric.criteria if c.levels and c.key not in (practice.criterion_scores or {})]
        if missing:
            found.append(_("Score every criterion of the rubric (missing: %(names)s).", names=format_names(missing)))
    length = len((practice.overall_comment or "").strip())
    need = settings.comment_min_length or 0
    if need and length < need:
        found.append(ngettext("Write an overall comment of at least %(num)d character (it has %(has)d).",
                              "Write an overall comment of at least %(num)d characters (it has %(has)d).",
                              need, has=length))
    return found


def submit_practice(practice: PracticeReview, example: ReviewExample, rubric: rv.RubricView | None,
                    settings: PeerReviewSettings, now: datetime | None = None) -> PracticeReview:
    """Hand the practice in and compare it with the teacher's reference (`accuracy`). Final. Raises
    ReviewError listing what is missing."""
    _editable(practice)
    found = practice_problems(practice, rubric, settings)
    if found:
        raise ReviewError(" ".join(found))
    practice.submitted_at = now or utcnow()
    practice.accuracy = stats.accuracy(points(practice.criterion_scores), points(example.criterion_scores),
                                       criteria_points(rubric))
    db.session.flush()
    return practice


@dataclass
class Row:
    """One criterion of a practice's comparison with the teacher's reference."""

    title: str
    points: float
    mine: float | None
    mine_level: str | None
    reference: float | None
    reference_level: str | None

    @property
    def difference(self) -> float | None:
        return None if self.mine is None or self.reference is None else self.mine - self.reference


def comparison(practice: PracticeReview, example: ReviewExample, rubric: rv.RubricView | None) -> list[Row]:
    """Criterion by criterion: the student's score and the teacher's, with the levels' titles."""
    rows = []
    for c in rubric.criteria if rubric is not None else []:
        mine = (practice.criterion_scores or {}).get(c.key) or {}
        ref = (example.criterion_scores or {}).get(c.key) or {}

        def level(score):
            index = score.get("level") if isinstance(score, dict) else None
            return c.levels[index].title if isinstance(index, int) and 0 <= index < len(c.levels) else None

        rows.append(Row(c.title, c.points, points({"x": mine}).get("x"), level(mine), points({"x": ref}).get("x"),
                        level(ref)))
    return rows


# -- accuracy figures ---------------------------------------------------------------------------

@dataclass
class Figure:
    """A reviewer's comparisons with the teacher (see the module's docstring)."""

    examples: list[float] = field(default_factory=list)  #: accuracy of each handed-in practice
    graded: list[float] = field(default_factory=list)  #: agreement on each reviewed work the teacher graded

    @property
    def accuracy(self) -> float | None:
        return _mean(self.examples + self.graded)

    @property
    def examples_mean(self) -> float | None:
        return _mean(self.examples)

    @property
    def graded_mean(self) -> float | None:
        return _mean(self.graded)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def teacher_references(settings: PeerReviewSettings, rubric: rv.RubricView | None) -> dict[int, dict]:
    """{author id: {criterion key: points}} of the work the teacher graded themselves with the reviewers'
    rubric (the assignment's own): not excused, and not last scored by accepting the peer score (one query)."""
    assignment = settings.assignment
    if rubric is None or rv.rubric_id_of(settings) != assignment.rubric_id:
        return {}
    mine = _grades.c.assignment_id == assignment.id
    latest = (sa.select(_changes.c.grade_id, sa.func.max(_changes.c.id).label("last_id"))
              .join(_grades, _grades.c.id == _changes.c.grade_id)
              .where(mine, _changes.c.action.in_(SCORING_ACTIONS)).group_by(_changes.c.grade_id).subquery())
    last = _changes.alias("last_change")
    rows = db.session.execute(
        sa.select(_grades.c.student_id, _grades.c.criterion_scores, last.c.action)
        .select_from(_grades.outerjoin(latest, latest.c.grade_id == _grades.c.id)
                     .outerjoin(last, last.c.id == latest.c.last_id))
        .where(mine, _grades.c.score.is_not(None),
               sa.or_(_grades.c.is_excused.is_(None), _grades.c.is_excused.is_(False))))
    found = {}
    for student_id, scores, last_action in rows:
        if last_action == PEER_ACCEPTED or not scores:
            continue
        found[student_id] = {str(k): float(v) for k, v in scores.items() if v is not None}
    return found


def accuracy_figures(settings: PeerReviewSettings, reviewer_id: int | None = None,
                     rubric: rv.RubricView | None = None) -> dict[int, Figure]:
    """Every reviewer's Figure on the assignment (or only `reviewer_id`'s): one entry for each student who
    practised or handed in a review. A fixed number of queries (rubric, examples, practices, teacher grades,
    reviews) whatever the class's size."""
    assignment = settings.assignment
    rubric = rubric if rubric is not None else rv.rubric_for(settings)
    criteria = criteria_points(rubric)
    figures: dict[int, Figure] = {}
    if not criteria:
        return figures
    scored = {e.id: e for e in examples_of(assignment) if is_scored(e, rubric)}
    if scored:
        query = (db.select(PracticeReview).where(PracticeReview.example_id.in_(scored),
                                                 PracticeReview.submitted_at.is_not(None))
                 .order_by(PracticeReview.id))
        if reviewer_id is not None:
            query = query.where(PracticeReview.reviewer_id == reviewer_id)
        for practice in db.session.scalars(query):
            value = stats.accuracy(points(practice.criterion_scores), points(scored[practice.example_id].criterion_scores),
                                   criteria)
            if value is not None:
                figures.setdefault(practice.reviewer_id, Figure()).examples.append(value)
    references = teacher_references(settings, rubric)
    query = (sa.select(ReviewAllocation.reviewer_id, ReviewAllocation.author_id, PeerReview.criterion_scores)
             .join(PeerReview, PeerReview.allocation_id == ReviewAllocation.id)
             .where(ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.state.in_(LIVE_STATES),
                    PeerReview.submitted_at.is_not(None)).order_by(ReviewAllocation.id))
    if reviewer_id is not None:
        query = query.where(ReviewAllocation.reviewer_id == reviewer_id)
    for reviewer, author, scores in db.session.execute(query):
        figure = figures.setdefault(reviewer, Figure())
        if author in references:
            value = stats.accuracy(points(scores), references[author], criteria)
            if value is not None:
                figure.graded.append(value)
    return figures


def accuracy_of(settings: PeerReviewSettings, reviewer_id: int) -> float | None:
    """One reviewer's accuracy figure (0–100), or None without any comparison."""
    figure = accuracy_figures(settings, reviewer_id).get(reviewer_id)
    return figure.accuracy if figure is not None else None


def weights_from(figures: dict[int, Figure]) -> dict[int, float]:
    """Each reviewer's weight in the medians: figure / 100; a reviewer without a figure weighs the mean of
    the others' ({} when nobody has a figure: every review counts the same)."""
    known = {rid: f.accuracy for rid, f in figures.items() if f.accuracy is not None}
    if not known:
        return {}
    mean = sum(known.values()) / len(known)
    return {rid: known.get(rid, mean) / 100 for rid in figures}
