"""The teacher's view of peer review's results: per submission the peer scores, their median per criterion,
the spread and the flags (stats.py); per student the reviews given and received and the peer score; the
CSV export. Reads only."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.core.spreadsheet import safe_text
from lms.extensions import db
from lms.homework import queries as hw
from lms.homework.models import Assignment
from lms.reviews import calibration, stats
from lms.reviews.models import LIVE_STATES, AllocationState, PeerReview, PeerReviewSettings, ReviewAllocation

# grading's rubric tables, read as plain tables: reviews never imports grading (tests/test_layers.py)
_criteria = sa.table("rubric_criteria", sa.column("id"), sa.column("rubric_id"), sa.column("position"),
                     sa.column("title"), sa.column("points"))


@dataclass
class CriterionInfo:
    key: str
    title: str
    points: float


def rubric_of(settings: PeerReviewSettings) -> int | None:
    """The rubric reviewers score with: the set-up's own, else the assignment's."""
    return settings.rubric_id or settings.assignment.rubric_id


def criteria_of(rubric_id: int | None) -> list[CriterionInfo]:
    """A rubric's criteria in order (one query); [] without a rubric."""
    if rubric_id is None:
        return []
    rows = db.session.execute(sa.select(_criteria.c.id, _criteria.c.title, _criteria.c.points)
                              .where(_criteria.c.rubric_id == rubric_id)
                              .order_by(_criteria.c.position, _criteria.c.id))
    return [CriterionInfo(str(i), title, float(points or 0)) for i, title, points in rows]


def points_of(review: PeerReview) -> dict:
    """{criterion key: points} of a review (criterion_scores hold {"level_id", "points"} per criterion)."""
    found = {}
    for key, value in (review.criterion_scores or {}).items():
        points = value.get("points") if isinstance(value, dict) else value
        if points is not None:
            found[str(key)] = float(points)
    return found


def facts_of(review: PeerReview, weight: float = 1.0) -> stats.ReviewFacts:
    texts = [(review.overall_comment or "").strip()] + [c.body.strip() for c in review.comments]
    seconds = None
    if review.submitted_at is not None and review.started_at is not None:
        seconds = (review.submitted_at - review.started_at).total_seconds()
    return stats.ReviewFacts(review.id, review.allocation.reviewer_id, points_of(review),
                             sum(stats.word_count(t) for t in texts), seconds, weight,
                             chars=sum(len(t) for t in texts))


def submitted_reviews(assignment: Assignment) -> list[PeerReview]:
    """Every handed-in review of the assignment's tasks that still stand, with allocations and comments."""
    return list(db.session.scalars(
        db.select(PeerReview).join(ReviewAllocation, ReviewAllocation.id == PeerReview.allocation_id)
        .where(ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.state.in_(LIVE_STATES),
               PeerReview.submitted_at.is_not(None))
        .options(sa.orm.selectinload(PeerReview.comments), sa.orm.contains_eager(PeerReview.allocation))
        .order_by(ReviewAllocation.id)))


def weights(settings: PeerReviewSettings, figures: dict | None = None) -> dict[int, float]:
    """Each reviewer's weight for the medians when the set-up weighs reviewers by accuracy: their accuracy
    figure / 100, or the class's mean figure for a reviewer without one (calibration.weights_from); {} (every
    review counts the same) otherwise. Pass `figures` (calibration.accuracy_figures) to share its queries."""
    if not settings.weight_by_accuracy:
        return {}
    return calibration.weights_from(figures if figures is not None else calibration.accuracy_figures(settings))


@dataclass
class SubmissionView:
    author_id: int
    criteria: list[CriterionInfo]
    reviews: list[PeerReview]
    stats: stats.SubmissionStats
    video_seconds: float | None
    points: float  #: the rubric's total (or the assignment's points without a rubric)

    @property
    def peer_fraction(self) -> float | None:
        """The peer score received as a fraction of the points."""
        if self.stats.total is None or not self.points:
            return None
        return min(1.0, self.stats.total / self.points)

    @property
    def flagged(self) -> list[PeerReview]:
        """Reviews the author flagged as unfair."""
        return [r for r in self.reviews if r.flagged_at is not None]


def submission_view(settings: PeerReviewSettings, author_id: int, reviews: list[PeerReview] | None = None,
                    latest=None, criteria: list[CriterionInfo] | None = None,
                    reviewer_weights: dict[int, float] | None = None) -> SubmissionView:
    """The peer results of one author's work (pass `reviews`, `latest`, `criteria` and `reviewer_weights`
    to share the class's queries)."""
    assignment = settings.assignment
    if criteria is None:
        criteria = criteria_of(rubric_of(settings))
    if reviews is None:
        reviews = [r for r in submitted_reviews(assignment) if r.allocation.author_id == author_id]
    if latest is None:
        latest = hw.latest_submissions(assignment)
    submission = latest.get(author_id)
    media = getattr(submission, "media", None) if submission is not None else None
    video_seconds = media.duration if media is not None else None
    w = weights(settings) if reviewer_weights is None else reviewer_weights
    facts = [facts_of(r, w.get(r.allocation.reviewer_id, 1.0)) for r in reviews]
    if criteria:
        keyed = {c.key: c.points for c in criteria}
        points = sum(keyed.values())
    else:  # no rubric: each review's total is one "overall" score out of the assignment's points
        keyed = {"overall": float(assignment.points or 0)}
        facts = [stats.ReviewFacts(f.id, f.reviewer_id, {"overall": f.total}, f.words, f.seconds, f.weight, f.chars)
                 for f in facts]
        points = float(assignment.points or 0)
    result = stats.submission_stats(facts, keyed, video_seconds=video_seconds, weighted=bool(w),
                                    min_chars=settings.comment_min_length or None)
    return SubmissionView(author_id, criteria, reviews, result, video_seconds, points)


@dataclass
class StudentRow:
    user_id: int
    name: str
    member: object = None  #: the circle membership (member_name shows it; real name and student number for staff)
    given: int = 0  #: reviews handed in
    assigned: int = 0  #: tasks that stand
    received: int = 0
    view: SubmissionView | None = None
    accuracy: float | None = None
    flags: list = field(default_factory=list)

    @property
    def completion(self) -> float:
        return stats.completion(self.given, self.assigned)


def class_rows(settings: PeerReviewSettings) -> list[StudentRow]:
    """One row per learner of the circle: reviews given (of tasks assigned), received, the peer results of
    their work and its flags (a fixed number of queries, whatever the class's size)."""
    assignment = settings.assignment
    learners = hw.learners(assignment.circle)
    rows = {m.user_id: StudentRow(m.user_id, m.display_name, m) for m in learners}
    for reviewer_id, state in db.session.execute(
            db.select(ReviewAllocation.reviewer_id, ReviewAllocation.state)
            .where(ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.state.in_(LIVE_STATES))):
        row = rows.get(reviewer_id)
        if row is not None:
            row.assigned += 1
            row.given += state == AllocationState.submitted
    reviews = submitted_reviews(assignment)
    by_author: dict[int, list[PeerReview]] = {}
    for review in reviews:
        by_author.setdefault(review.allocation.author_id, []).append(review)
    latest = hw.latest_submissions(assignment)
    criteria = criteria_of(rubric_of(settings))
    figures = calibration.accuracy_figures(settings)
    reviewer_weights = weights(settings, figures)
    for user_id, row in rows.items():
        mine = by_author.get(user_id, [])
        row.received = len(mine)
        figure = figures.get(user_id)
        row.accuracy = figure.accuracy if figure is not None else None
        if user_id in latest or mine:
            row.view = submission_view(settings, user_id, mine, latest, criteria, reviewer_weights)
            row.flags = sorted({f for flags in row.view.stats.flags.values() for f in flags}
                               | ({"unfair"} if row.view.flagged else set()))
    return list(rows.values())


def csv_rows(settings: PeerReviewSettings, rows: list[StudentRow], labels: dict,
             flag_labels: dict | None = None) -> list[list[str]]:
    """The export: a header, then one row per student with the circle identity the gradebook's export has
    (name in the circle, real name, student number: the two files match up); the flags as their translated
    labels (`flag_labels`: code → label), joined by "; ". Text through safe_text (no formula injection)."""
    criteria = criteria_of(rubric_of(settings))
    flag_labels = flag_labels or {}
    header = [labels["student"], labels["real_name"], labels["student_no"], labels["given"], labels["assigned"],
              labels["received"]]
    header += [safe_text(c.title) for c in criteria]
    header += [labels["peer_score"], labels["spread"], labels["accuracy"], labels["flags"]]
    out = [header]
    for row in rows:
        st = row.view.stats if row.view else None
        member = row.member
        line = [safe_text(row.name), safe_text(getattr(member, "real_name", None) or ""),
                safe_text(getattr(member, "student_no", None) or ""),
                str(row.given), str(row.assigned), str(row.received)]
        line += [_num(st.medians.get(c.key)) if st else "" for c in criteria]
        line += [_num(st.total) if st else "", _num(st.total_spread) if st else "", _num(row.accuracy),
                 "; ".join(safe_text(str(flag_labels.get(f, f))) for f in row.flags)]
        out.append(line)
    return out


def _num(value) -> str:
    return "" if value is None else f"{round(float(value), 2):g}"


# -- the grade accepting the peer score sets, explained -------------------------------------------------

def reviewing_fraction(settings: PeerReviewSettings, reviewer_id: int) -> float:
    """Reviewing well, 0–1: the reviewer's accuracy figure / 100 when calibration gives one (practice on the
    teacher's examples, agreement with the teacher's own grades: calibration.py), else the share of the
    reviewer's tasks handed in."""
    figure = calibration.accuracy_of(settings, reviewer_id)
    if figure is not None:
        return figure / 100
    states = list(db.session.scalars(db.select(ReviewAllocation.state).where(
        ReviewAllocation.assignment_id == settings.assignment_id, ReviewAllocation.reviewer_id == reviewer_id,
        ReviewAllocation.state.in_(LIVE_STATES))))
    return stats.completion(sum(1 for s in states if s == AllocationState.submitted), len(states))


@dataclass
class GradeBreakdown:
    """How accepting the peer score makes the grade (stats.final_fraction): the peer score received counts
    for everything but the reviewing share (the teacher's part too, which it stands for), reviewing well
    for the reviewing share."""

    peer: float  #: the peer score received, as a fraction of the rubric's points
    received_share: float  #: percent of the grade the score received counts for (100 − reviewing share)
    reviewing: float  #: reviewing well, 0–1
    reviewing_share: float  #: percent
    has_accuracy: bool  #: reviewing well is an accuracy figure (else the share of tasks handed in)
    final: float  #: the grade, as a fraction of the assignment's points
    points: float  #: the assignment's points
    received: int  #: reviews handed in
    k: int  #: reviews each submission should have

    @property
    def grade(self) -> float:
        return round(self.final * self.points, 2)

    @property
    def peer_part(self) -> float:
        return self.peer * self.received_share / 100

    @property
    def reviewing_part(self) -> float:
        return self.reviewing * self.reviewing_share / 100

    @property
    def is_short(self) -> bool:
        return self.received < self.k


def grade_breakdown(settings: PeerReviewSettings, view: SubmissionView) -> GradeBreakdown | None:
    """What accepting the peer score sets for the author of `view`, part by part; None without a peer score."""
    peer = view.peer_fraction
    if peer is None:
        return None
    s, r = settings.score_share, settings.reviewing_share
    reviewing = reviewing_fraction(settings, view.author_id) if r else 0.0
    final = stats.final_fraction(peer, reviewing, score_share=s, reviewing_share=r)
    has_accuracy = bool(r) and calibration.accuracy_of(settings, view.author_id) is not None
    return GradeBreakdown(peer, max(0.0, 100 - max(0.0, r)), reviewing, max(0.0, r), has_accuracy, final,
                          float(settings.assignment.points or 0), len(view.reviews), settings.reviews_per_submission)
