"""The gradebook: students × published assignments, totals by points and by weighted categories, statistics.

How totals are computed (the rule shown to teachers on the categories page too):

- A grade *counts* when it has a score and is not excused; for a student looking at their own row, only
  once it is released. Ungraded, missing and excused work does not count (enter 0 to count missing work).
- A grade's value is its final score: the score minus the late penalty (a percentage of the points). The
  penalty, "late" and "missing" are derived now from the current deadline, the student's extension and the
  late policy (lms/homework/lateness.py), never stored.
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
from datetime import datetime

from lms.accounts.models import User
from lms.circles.models import Circle, Membership
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading import queries as q
from lms.grading.models import Grade, GradeCategory
from lms.homework import lateness as rules
from lms.homework import queries as hq
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
    late: bool = False  #: the latest version is late against the student's current deadline
    missing: bool = False  #: nothing handed in, not excused, past the student's due time
    days_late: int = 0  #: of the latest version, in calendar days of the circle's time zone
    penalty_percent: float = 0.0  #: taken from the score (of the graded version; 0 when waived)


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


def _latest_receipts(assignment_ids: list[int], student_id: int | None) -> dict[tuple[int, int], datetime]:
    """(assignment id, student id) → receipt time of the latest version, for every pair with a submission."""
    if not assignment_ids:
        return {}
    latest = (db.select(Submission.assignment_id, Submission.student_id,
                        db.func.max(Submission.version).label("version"))
              .where(Submission.assignment_id.in_(assignment_ids)).group_by(Submission.assignment_id,
                                                                             Submission.student_id))
    if student_id is not None:
        latest = latest.where(Submission.student_id == student_id)
    latest = latest.subquery()
    rows = db.session.execute(db.select(Submission.assignment_id, Submission.student_id, Submission.submitted_at).join(
        latest, db.and_(Submission.assignment_id == latest.c.assignment_id,
                        Submission.student_id == latest.c.student_id, Submission.version == latest.c.version)))
    return {(a, s): at for a, s, at in rows}


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
    graded = db.aliased(Submission)
    grades_query = (db.select(Grade.assignment_id, Grade.student_id, Grade.score, Grade.is_penalty_waived,
                              Grade.is_excused, Grade.released_at.is_not(None).label("released"),
                              graded.submitted_at.label("graded_received_at"))
                    .outerjoin(graded, graded.id == Grade.submission_id)
                    .where(Grade.assignment_id.in_(ids)))
    if not staff:
        grades_query = grades_query.where(Grade.student_id == viewer.id, Grade.released_at.is_not(None))
    grades = {(g.assignment_id, g.student_id): g for g in db.session.execute(grades_query)} if ids else {}
    receipts = _latest_receipts(ids, None if staff else viewer.id)
    extensions = hq.extensions_for(ids, None if staff else viewer.id)
    now = utcnow()
    tz = circle.zone
    weight_of = {c.id: c.weight for c in categories}
    rest = uncategorised_weight(categories)

    # Per-assignment facts read once, not once per student (attribute access on ORM objects adds up).
    columns = [(a, a.id, a.points, a.base_deadline, a.policy) for a in assignments]
    rows = []
    for membership in memberships:
        student_id = membership.user_id
        cells = []
        for assignment, assignment_id, points, base, policy in columns:
            key = (assignment_id, student_id)
            extension = extensions.get(key)
            deadline = extension.deadline(assignment) if extension is not None else base
            grade = grades.get(key)
            received_at = receipts.get(key)
            submitted = received_at is not None
            excused = grade is not None and grade.is_excused
            late = rules.lateness(received_at, deadline, policy, tz) if submitted else rules.ON_TIME
            cell = Cell(assignment, submitted=submitted, late=late.is_late, days_late=late.days_late, excused=excused,
                        missing=rules.is_missing(deadline, now, submitted=submitted, excused=excused))
            if grade is not None:
                cell.graded = excused or grade.score is not None
                cell.released = bool(grade.released)
                if not excused:
                    if grade.graded_received_at is not None and not grade.is_penalty_waived:
                        cell.penalty_percent = rules.lateness(grade.graded_received_at, deadline, policy,
                                                              tz).penalty_percent
                    cell.score = rules.final_score(grade.score, points, cell.penalty_percent)
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
                        "late": c.late, "days_late": c.days_late, "penalty_percent": c.penalty_percent,
                        "missing": c.missing, "submitted": c.submitted} for c in row.cells],
        } for row in book.rows],
        "statistics": [None if s is None else {"assignment_id": a.id, "count": s.count, "mean": s.mean,
                                               "median": s.median, "min": s.min, "max": s.max, "bins": s.bins}
                       for a, s in zip(book.assignments, book.stats)],
    }
