"""The gradebook: students × published assignments, totals by points and by weighted categories, statistics.

How totals are computed (the rule shown to teachers on the categories page too):

- A grade *counts* when it has a score and is not excused; for a student looking at their own row, only
  once it is released. Ungraded, missing and excused work does not count (enter 0 to count missing work).
- A grade's value is its final score: the score minus the late penalty (a percentage of the points).
- Points total: sum of the counted final scores out of the sum of those assignments' points.
- Weighted total: every category is a bucket, and assignments without a category share an
  "Uncategorised" bucket. A bucket's percentage is its counted final scores over its counted points.
  The course percentage is the average of the bucket percentages weighted by the buckets' weights,
  over the buckets that have counted grades (so the weights are scaled up while some are empty).
  The uncategorised bucket weighs what the categories leave of 100 % (nothing once they take 100 %);
  with no categories at all it weighs 100 %, and the weighted total equals the points percentage.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from lms.accounts.models import User
from lms.circles.models import Circle, Membership
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading import queries as q
from lms.grading.models import Grade, GradeCategory
from lms.homework.models import Assignment, Submission

BINS = 10  #: bars of the score distribution, each a tenth of the points


@dataclass(slots=True)
class Cell:
    """One student's standing on one assignment, as the viewer may see it (plain values: a big class has
    tens of thousands of cells, so no ORM objects here)."""

    assignment: Assignment
    score: float | None = None  #: the final score (after the late penalty); None when it does not count
    graded: bool = False  #: a grade the viewer may see exists (scored or excused)
    released: bool = False
    excused: bool = False
    submitted: bool = False
    late: bool = False
    missing: bool = False


def final_score(points: float, score: float | None, penalty_percent: float) -> float | None:
    """The score minus the late penalty (a percentage of the points), never below 0."""
    if score is None:
        return None
    return round(max(score - points * (penalty_percent or 0) / 100, 0.0), 2)


@dataclass
class Row:
    membership: Membership
    cells: list[Cell]
    points: float = 0.0
    possible: float = 0.0
    weighted: float | None = None

    @property
    def percent(self) -> float | None:
        return round(100 * self.points / self.possible, 2) if self.possible else None


@dataclass
class Stats:
    count: int
    mean: float | None = None
    median: float | None = None
    min: float | None = None
    max: float | None = None
    bins: list[int] = field(default_factory=lambda: [0] * BINS)

    def bars(self, height: int = 40, width: int = 100) -> list[dict]:
        """Bar geometry for the inline SVG chart (attributes only: the CSP allows no style)."""
        top = max(self.bins) or 1
        step = width / BINS
        bars = []
        for n, count in enumerate(self.bins):
            h = round(height * count / top, 2)
            bars.append({"x": round(n * step + 0.5, 2), "y": round(height - h, 2), "width": round(step - 1, 2),
                         "height": h, "count": count, "low": n * 10, "high": (n + 1) * 10})
        return bars


@dataclass
class Gradebook:
    circle: Circle
    assignments: list[Assignment]
    categories: list[GradeCategory]
    rows: list[Row]
    stats: list[Stats | None]
    uncategorised_weight: float

    @property
    def weight_total(self) -> float:
        return sum(c.weight for c in self.categories)

    @property
    def weights_add_up(self) -> bool:
        return not self.categories or abs(self.weight_total - 100) < 0.01


def uncategorised_weight(categories: list[GradeCategory]) -> float:
    if not categories:
        return 100.0
    return max(0.0, 100.0 - sum(c.weight for c in categories))


def _submission_flags(assignment_ids: list[int], student_id: int | None) -> dict[tuple[int, int], bool]:
    """(assignment id, student id) → whether the latest version is late, for every pair with a submission."""
    if not assignment_ids:
        return {}
    latest = (db.select(Submission.assignment_id, Submission.student_id,
                        db.func.max(Submission.version).label("version"))
              .where(Submission.assignment_id.in_(assignment_ids)).group_by(Submission.assignment_id,
                                                                             Submission.student_id))
    if student_id is not None:
        latest = latest.where(Submission.student_id == student_id)
    latest = latest.subquery()
    rows = db.session.execute(db.select(Submission.assignment_id, Submission.student_id, Submission.is_late).join(
        latest, db.and_(Submission.assignment_id == latest.c.assignment_id,
                        Submission.student_id == latest.c.student_id, Submission.version == latest.c.version)))
    return {(a, s): late for a, s, late in rows}


def build_gradebook(circle: Circle, viewer: User, *, staff: bool) -> Gradebook:
    """The gradebook as `viewer` may see it: staff every student and every grade; a student their own
    row with released grades only. A fixed number of queries whatever the circle's size."""
    assignments = q.published_assignments(circle)
    categories = q.categories(circle)
    if staff:
        memberships = q.learners(circle)
    else:
        own = circle.membership_of(viewer)
        memberships = [own] if own is not None else []
    ids = [a.id for a in assignments]
    # Columns, not Grade objects: loading 20,000 ORM objects would take most of the page's time.
    grades_query = (db.select(Grade.assignment_id, Grade.student_id, Grade.score, Grade.penalty_percent,
                             Grade.is_excused, Grade.released_at.is_not(None).label("released"))
                    .where(Grade.assignment_id.in_(ids)))
    if not staff:
        grades_query = grades_query.where(Grade.student_id == viewer.id, Grade.released_at.is_not(None))
    grades = {(g.assignment_id, g.student_id): g for g in db.session.execute(grades_query)} if ids else {}
    flags = _submission_flags(ids, None if staff else viewer.id)
    now = utcnow()
    weight_of = {c.id: c.weight for c in categories}
    rest = uncategorised_weight(categories)

    # Per-assignment facts read once, not once per student (attribute access on ORM objects adds up).
    columns = [(a, a.id, a.points, a.due_at is not None and now > a.due_at) for a in assignments]
    rows = []
    for membership in memberships:
        student_id = membership.user_id
        cells = []
        for assignment, assignment_id, points, past_due in columns:
            key = (assignment_id, student_id)
            grade = grades.get(key)
            submitted = key in flags
            excused = grade is not None and grade.is_excused
            cell = Cell(assignment, submitted=submitted, late=flags.get(key, False), excused=excused,
                        missing=not submitted and not excused and past_due)
            if grade is not None:
                cell.graded = excused or grade.score is not None
                cell.released = bool(grade.released)
                if not excused:
                    cell.score = final_score(points, grade.score, grade.penalty_percent)
            cells.append(cell)
        rows.append(_total(Row(membership, cells), weight_of, rest))
    stats = [_stats([row.cells[n] for row in rows], a) if staff else None for n, a in enumerate(assignments)]
    return Gradebook(circle, assignments, categories, rows, stats, rest)


def _total(row: Row, weight_of: dict[int, float], rest: float) -> Row:
    buckets: dict[int | None, list[float]] = {}
    for cell in row.cells:
        score = cell.score
        if score is None:
            continue
        row.points += score
        points = cell.assignment.points
        row.possible += points
        bucket = buckets.setdefault(cell.assignment.category_id, [0.0, 0.0])
        bucket[0] += score
        bucket[1] += points
    row.points = round(row.points, 2)
    weighted = weights = 0.0
    for category_id, (earned, possible) in buckets.items():
        weight = rest if category_id is None else weight_of.get(category_id, 0.0)
        if possible <= 0 or weight <= 0:
            continue
        weighted += weight * earned / possible
        weights += weight
    row.weighted = round(100 * weighted / weights, 2) if weights else None
    return row


def _stats(cells: list[Cell], assignment: Assignment) -> Stats:
    scores = [c.score for c in cells if c.score is not None]
    stats = Stats(count=len(scores))
    if not scores:
        return stats
    stats.mean = round(statistics.fmean(scores), 2)
    stats.median = round(statistics.median(scores), 2)
    stats.min, stats.max = min(scores), max(scores)
    for score in scores:
        share = score / assignment.points if assignment.points else 0
        stats.bins[min(int(share * BINS), BINS - 1)] += 1
    return stats


def to_json(book: Gradebook) -> dict:
    """The gradebook as JSON (what the viewer may see, nothing more)."""
    return {
        "circle_id": book.circle.id,
        "assignments": [{"id": a.id, "title": a.title, "points": a.points, "category_id": a.category_id,
                         "due_at": a.due_at.isoformat() if a.due_at else None} for a in book.assignments],
        "categories": [{"id": c.id, "name": c.name, "weight": c.weight} for c in book.categories],
        "students": [{
            "user_id": row.membership.user_id, "name": row.membership.display_name,
            "points": row.points, "possible": row.possible, "percent": row.percent, "weighted": row.weighted,
            "grades": [{"assignment_id": c.assignment.id, "score": c.score,
                        "released": c.released, "excused": c.excused,
                        "late": c.late, "missing": c.missing, "submitted": c.submitted} for c in row.cells],
        } for row in book.rows],
        "statistics": [None if s is None else {"assignment_id": a.id, "count": s.count, "mean": s.mean,
                                               "median": s.median, "min": s.min, "max": s.max, "bins": s.bins}
                       for a, s in zip(book.assignments, book.stats)],
    }
