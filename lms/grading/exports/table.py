"""The gradebook as plain values (no ORM objects), read once while the request's session is open."""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from lms.grading.gradebook import EXCUSED, SCORE, Gradebook

#: the values of a cell (Row.values) a Mark is made from: score, graded, released, excused
_MARK = slice(SCORE, EXCUSED + 1)


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    points: float


class Mark(NamedTuple):
    """One student's standing on one assignment, as an export needs it (a tuple of plain values, which the
    garbage collector stops tracking: a big class has tens of thousands)."""

    score: float | None = None  #: final score (after the late penalty); None when ungraded or excused
    excused: bool = False

    @property
    def is_blank(self) -> bool:
        """Nothing to send: neither a score nor "excused" (ungraded, missing, or not handed in)."""
        return self.score is None and not self.excused


@dataclass(frozen=True, slots=True)
class Student:
    name: str  #: the name the staff know them by: real name, else display name
    display_name: str
    real_name: str
    student_no: str
    email: str
    marks: tuple[Mark, ...]
    points: float
    possible: float
    percent: float | None
    weighted: float | None


@dataclass(frozen=True, slots=True)
class Table:
    circle_name: str
    columns: tuple[Column, ...]
    students: tuple[Student, ...]


def snapshot(book: Gradebook, *, released_only: bool = False) -> Table:
    """Read the staff gradebook into plain values (cell values come from lms.grading.gradebook).
    With `released_only`, a grade the student cannot see yet is exported as ungraded: another system
    may show every grade it receives to the student at once (Canvas posts automatically by default)."""
    columns = tuple(Column(a.title, float(a.points or 0)) for a in book.assignments)
    blank = Mark()

    class Marks(dict):
        """A cell's (score, graded, released, excused) → its Mark, made on the first miss: one Mark per
        distinct value (a big class has few), and a row's marks looked up without a Python call per cell."""

        def __missing__(self, values: tuple) -> Mark:
            score, _graded, released, excused = values
            found = self[values] = blank if released_only and not released else \
                Mark(None if excused else score, excused)
            return found

    key, mark_of = itemgetter(_MARK), Marks().__getitem__
    students = []
    for row in book.rows:
        m = row.learner
        students.append(Student(
            name=m.real_name or m.display_name, display_name=m.display_name, real_name=m.real_name or "",
            student_no=m.student_no or "", email=m.email, marks=tuple(map(mark_of, map(key, row.values))),
            points=row.points, possible=row.possible, percent=row.percent, weighted=row.weighted))
    return Table(book.circle.name, columns, tuple(students))
