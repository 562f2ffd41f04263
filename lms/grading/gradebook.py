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
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, partial
from datetime import datetime, timezone
from typing import Iterator, NamedTuple

import sqlalchemy as sa

from lms.accounts.models import User
from lms.circles.models import Circle
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading import queries as q
from lms.grading.models import Grade, GradeCategory
from lms.homework import lateness as rules
from lms.homework import queries as hq
from lms.homework.grades import has_new_version
from lms.homework.models import Assignment, Submission

BINS = 10  #: bars of the score distribution, each a tenth of the points


class Cell(NamedTuple):
    """One student's standing on one assignment, as the viewer may see it (Row.cells)."""

    assignment_id: int
    score: float | None = None  #: the final score (after the late penalty); None when it does not count
    graded: bool = False  #: a grade the viewer may see exists (scored or excused)
    released: bool = False
    excused: bool = False
    submitted: bool = False
    late: bool = False  #: the latest version is late against the student's current deadline
    missing: bool = False  #: nothing handed in, not excused, past the student's due time
    #: graded, then handed in again: the latest version arrived after the grade (homework.grades.has_new_version)
    new_version: bool = False
    days_late: int = 0  #: of the latest version, in calendar days of the circle's time zone
    penalty_percent: float = 0.0  #: taken from the score (of the graded version; 0 when waived)


#: positions in Row.values, for code that reads a whole class's cells without making Cells
SCORE, RELEASED, EXCUSED = map(Cell._fields.index, ("score", "released", "excused"))
#: the values from `score` to `new_version`, in Cell's order: what decides how a cell looks (a slice of Row.values)
LOOK = slice(SCORE, Cell._fields.index("new_version") + 1)


class Learner(NamedTuple):
    """A student as the gradebook shows them (plain values: no ORM objects for a whole class)."""

    user_id: int
    display_name: str
    real_name: str | None
    student_no: str | None
    email: str


@dataclass
class Row:
    learner: Learner
    #: Each cell's values in Cell's order, as plain tuples: a big class has tens of thousands of cells, and the
    #: garbage collector stops tracking a plain tuple of numbers and booleans, while every object it tracks
    #: makes each full collection (about 0.1 s of CPU in a running app) longer and come sooner.
    values: tuple[tuple, ...]
    points: float = 0.0
    possible: float = 0.0
    weighted: float | None = None

    @property
    def cells(self) -> list[Cell]:
        """The row's cells, made from `values` on each call (read them once per use)."""
        return list(map(Cell._make, self.values))

    @property
    def percent(self) -> float | None:
        return round(100 * self.points / self.possible, 2) if self.possible else None


class Bar(NamedTuple):
    """One bar of a column's score distribution (a tuple: a template reads its fields as attributes at once,
    where a dict's keys are found only after a failed attribute look-up, an exception each)."""

    x: float
    y: float
    width: float
    height: float
    count: int
    low: int  #: the bar's range, in percent of the points
    high: int


@dataclass
class Stats:
    count: int
    mean: float | None = None
    median: float | None = None
    min: float | None = None
    max: float | None = None
    bins: list[int] = field(default_factory=lambda: [0] * BINS)

    def bars(self, height: int = 40, width: int = 100) -> list[Bar]:
        """Bar geometry for the inline SVG chart (attributes only: the CSP allows no style)."""
        top = max(self.bins) or 1
        step = width / BINS
        bars = []
        for n, count in enumerate(self.bins):
            h = round(height * count / top, 2)
            bars.append(Bar(x=round(n * step + 0.5, 2), y=round(height - h, 2), width=round(step - 1, 2), height=h,
                            count=count, low=n * 10, high=(n + 1) * 10))
        return bars


@dataclass
class Gradebook:
    circle: Circle
    assignments: list[Assignment]
    categories: list[GradeCategory]
    rows: list[Row]
    #: each column's counted final scores (staff only; None for a student's own row): `stats` is made from
    #: them when first read (an export reads none)
    column_scores: list[list[float]] | None
    uncategorised_weight: float

    @cached_property
    def stats(self) -> list[Stats | None]:
        """Each assignment's statistics (staff), else None for each."""
        if self.column_scores is None:
            return [None] * len(self.assignments)
        return [_stats(scores, a.points) for scores, a in zip(self.column_scores, self.assignments)]

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


def _plain_rows(query) -> Iterator:
    """The rows of a select of columns, made a partition at a time (through the session's connection, not the
    ORM, which builds every row object before the first is read: tens of thousands of live objects make the
    garbage collector walk the whole heap; and not one driver call per row either)."""
    for rows in db.session.connection().execute(query).partitions(_PARTITION):
        yield from rows


#: Rows fetched at a time: one driver call for many rows, few live at once. Rows alive when the garbage collector
#: collects its middle generation move to the oldest, and enough of them bring a full collection (about 170 ms of
#: CPU in a running app, twice a whole gradebook page): at 500 × 40, 1000 rows at a time made one every seven to ten
#: gradebooks or exports, 100 one every fifteen to thirty.
_PARTITION = 100
#: A grade's three flags read as one small integer made by the database (one plain column per grade instead
#: of three booleans, each converted on the way), and that integer's flags: (penalty waived, excused, released).
_WAIVED, _EXCUSED, _RELEASED = 1, 2, 4
_FLAGS = tuple((bool(n & _WAIVED), bool(n & _EXCUSED), bool(n & _RELEASED)) for n in range(8))
_UTC = timezone.utc
_NAIVE_UTC = sa.DateTime()  #: UTCDateTime's storage type: naive UTC, read without making each value aware


def _receipts(assignment_ids: list[int], student_id: int | None
              ) -> tuple[dict[int, dict[int, datetime]], dict[int, datetime], dict[int, dict[int, int]]]:
    """Receipt times, from one read of every version: assignment id → {student id → the latest version's}; and
    submission id → that version's (a grade names the version it graded); and assignment id → {student id →
    the latest version's id} (has_new_version compares it with the graded one). Cheaper than asking the
    database for the latest versions only (a grouped subquery joined back). The times are naive UTC (as
    stored): a big class has tens of thousands, and only the late ones need a time zone (build_gradebook)."""
    latest: dict[int, dict[int, datetime]] = {a: {} for a in assignment_ids}
    latest_id: dict[int, dict[int, int]] = {a: {} for a in assignment_ids}
    by_id: dict[int, datetime] = {}
    if not assignment_ids:
        return latest, by_id, latest_id
    query = (db.select(Submission.id, Submission.assignment_id, Submission.student_id,
                       sa.type_coerce(Submission.submitted_at, _NAIVE_UTC))
             .where(Submission.assignment_id.in_(assignment_ids))
             .order_by(Submission.assignment_id, Submission.student_id, Submission.version))
    if student_id is not None:
        query = query.where(Submission.student_id == student_id)
    for submission_id, assignment_id, student, received_at in _plain_rows(query):
        by_id[submission_id] = received_at
        latest[assignment_id][student] = received_at  # versions in order: the last one stays
        latest_id[assignment_id][student] = submission_id
    return latest, by_id, latest_id


def build_gradebook(circle: Circle, viewer: User, *, staff: bool) -> Gradebook:
    """The gradebook as `viewer` may see it: staff every student and every grade; a student their own
    row with released grades only. A fixed number of queries whatever the circle's size.

    A big class has tens of thousands of cells, so they are made column by column from plain values:
    per-assignment facts read once, grades as columns (not Grade objects), and the lateness rules' answers
    that depend on the assignment alone asked once per assignment."""
    assignments = q.published_assignments(circle)
    categories = q.categories(circle)
    if staff:
        learners = [Learner._make(values) for values in q.learner_values(circle)]
    else:
        own = circle.membership_of(viewer)
        learners = [] if own is None else [Learner(own.user_id, own.display_name, own.real_name, own.student_no,
                                                   viewer.email)]
    ids = [a.id for a in assignments]
    grades: dict[int, dict[int, tuple]] = {a: {} for a in ids}
    if ids:
        flags = (sa.case((Grade.is_penalty_waived, _WAIVED), else_=0) + sa.case((Grade.is_excused, _EXCUSED), else_=0)
                 + sa.case((Grade.released_at.is_not(None), _RELEASED), else_=0))
        grades_query = (db.select(Grade.assignment_id, Grade.student_id, Grade.score, flags, Grade.submission_id,
                                  sa.type_coerce(Grade.graded_at, _NAIVE_UTC))
                        .where(Grade.assignment_id.in_(ids)))
        if not staff:
            grades_query = grades_query.where(Grade.student_id == viewer.id, Grade.released_at.is_not(None))
        for assignment_id, student_id, score, flags, graded_id, given_at in _plain_rows(grades_query):
            grades[assignment_id][student_id] = (score, flags, graded_id, given_at)  # a plain tuple: see Row
    receipts, received_by_id, latest_ids = _receipts(ids, None if staff else viewer.id)
    extensions: dict[int, dict] = {a: {} for a in ids}
    for (assignment_id, student_id), extension in hq.extensions_for(ids, None if staff else viewer.id).items():
        extensions[assignment_id][student_id] = extension
    now = utcnow()
    tz = circle.zone
    lateness, final_score, is_missing, on_time = rules.lateness, rules.final_score, rules.is_missing, rules.ON_TIME
    flags_of = _FLAGS

    student_ids = [learner.user_id for learner in learners]
    columns: list[list[tuple]] = []  # each assignment's cells, by student: made column by column
    column_scores: list[list[float]] = []
    for assignment in assignments:
        assignment_id, points, policy = assignment.id, assignment.points, assignment.policy
        base = assignment.base_deadline
        # "Missing" against the assignment's own deadline, by (submitted, excused): the same for every student
        # without an extension.
        missing_by_default = [[is_missing(base, now, submitted=s, excused=e) for e in (False, True)]
                              for s in (False, True)]
        base_due, base_lateness = _naive(base.due_at), rules.LateDays(base, policy, tz)
        received_of, grade_of, extension_of = receipts[assignment_id], grades[assignment_id], extensions[assignment_id]
        latest_id_of = latest_ids[assignment_id]
        unpenalised: dict[float, float | None] = {}  # raw score → final score without a penalty: scores repeat
        scores = []  # the column's counted final scores
        column = []
        add = column.append
        for student_id in student_ids:
            extension = extension_of.get(student_id) if extension_of else None
            if extension is None:
                deadline, due, late_by = base, base_due, base_lateness
            else:
                deadline = extension.deadline(assignment)
                due, late_by = _naive(deadline.due_at), partial(lateness, deadline=deadline, policy=policy, tz=tz)
            received_at = received_of.get(student_id)  # naive UTC, as `due`
            submitted = received_at is not None
            # On time (rules.days_late's first test, on naive times): most work is, and needs no zone.
            late = on_time if not submitted or due is None or received_at <= due else \
                late_by(received_at.replace(tzinfo=_UTC))
            score, graded, released, excused, penalty, new_version = None, False, False, False, 0.0, False
            grade = grade_of.get(student_id)
            if grade is not None:
                raw, flags, graded_id, given_at = grade
                waived, excused, released = flags_of[flags]
                graded = excused or raw is not None
                if submitted and graded:
                    new_version = has_new_version(latest_id_of.get(student_id), received_at, is_graded=True,
                                                  is_excused=excused, graded_id=graded_id, graded_at=given_at)
                if not excused:
                    graded_at = received_by_id.get(graded_id) if graded_id is not None else None
                    if graded_at is not None and not waived:
                        penalty = (late if graded_at == received_at else
                                   on_time if due is None or graded_at <= due else
                                   late_by(graded_at.replace(tzinfo=_UTC))).penalty_percent
                    if penalty:
                        score = final_score(raw, points, penalty)
                    else:
                        score = unpenalised.get(raw)
                        if score is None and raw is not None:
                            score = unpenalised[raw] = final_score(raw, points, penalty)
                    if score is not None:
                        scores.append(score)
            missing = (missing_by_default[submitted][excused] if extension is None else
                       is_missing(deadline, now, submitted=submitted, excused=excused))
            add((assignment_id, score, graded, released, excused, submitted, late.is_late, missing, new_version,
                 late.days_late, penalty))
        columns.append(column)
        column_scores.append(scores)
    weight_of = {c.id: c.weight for c in categories}
    rest = uncategorised_weight(categories)
    facts = [(a.points, a.category_id) for a in assignments]
    # each student's cells: the columns turned into rows (no assignment: every row empty)
    values_of = zip(*columns) if columns else (() for _ in learners)
    rows = [_total(Row(learner, values), facts, weight_of, rest) for learner, values in zip(learners, values_of)]
    return Gradebook(circle, assignments, categories, rows, column_scores if staff else None, rest)


def _naive(moment: datetime | None) -> datetime | None:
    """An aware time as naive UTC (as _receipts reads them), to compare with those."""
    return None if moment is None else moment.astimezone(_UTC).replace(tzinfo=None)


def _total(row: Row, facts: list[tuple[float, int | None]], weight_of: dict[int, float], rest: float) -> Row:
    """Fill in the row's totals; `facts` holds each column's (points, category id)."""
    buckets: dict[int | None, list[float]] = {}
    earned = possible = 0.0
    for cell, (points, category_id) in zip(row.values, facts):
        score = cell[SCORE]
        if score is None:
            continue
        earned += score
        possible += points
        bucket = buckets.get(category_id)
        if bucket is None:
            bucket = buckets[category_id] = [0.0, 0.0]
        bucket[0] += score
        bucket[1] += points
    row.points, row.possible = round(earned, 2), possible
    weighted = weights = 0.0
    for category_id, (earned, possible) in buckets.items():
        weight = rest if category_id is None else weight_of.get(category_id, 0.0)
        if possible <= 0 or weight <= 0:
            continue
        weighted += weight * earned / possible
        weights += weight
    row.weighted = round(100 * weighted / weights, 2) if weights else None
    return row


def _stats(scores: list[float], points: float) -> Stats:
    """Statistics of one assignment's counted final scores (out of `points`)."""
    stats = Stats(count=len(scores))
    if not scores:
        return stats
    stats.mean = round(statistics.fmean(scores), 2)
    stats.median = round(statistics.median(scores), 2)
    stats.min, stats.max = min(scores), max(scores)
    for score, count in Counter(scores).items():  # a column of hundreds of scores holds a few distinct ones
        share = score / points if points else 0
        stats.bins[min(int(share * BINS), BINS - 1)] += count
    return stats


def to_json(book: Gradebook) -> dict:
    """The gradebook as JSON (what the viewer may see, nothing more)."""
    return {
        "circle_id": book.circle.id,
        "assignments": [{"id": a.id, "title": a.title, "points": a.points, "category_id": a.category_id,
                         "due_at": a.due_at.isoformat() if a.due_at else None} for a in book.assignments],
        "categories": [{"id": c.id, "name": c.name, "weight": c.weight} for c in book.categories],
        "students": [{
            "user_id": row.learner.user_id, "name": row.learner.display_name,
            "points": row.points, "possible": row.possible, "percent": row.percent, "weighted": row.weighted,
            "grades": [{"assignment_id": c.assignment_id, "score": c.score,
                        "released": c.released, "excused": c.excused,
                        "late": c.late, "days_late": c.days_late, "penalty_percent": c.penalty_percent,
                        "missing": c.missing, "submitted": c.submitted, "new_version": c.new_version}
                       for c in row.cells],
        } for row in book.rows],
        "statistics": [None if s is None else {"assignment_id": a.id, "count": s.count, "mean": s.mean,
                                               "median": s.median, "min": s.min, "max": s.max, "bins": s.bins}
                       for a, s in zip(book.assignments, book.stats)],
    }
