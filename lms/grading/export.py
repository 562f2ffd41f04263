"""Gradebook CSV files that Canvas's and Moodle's gradebook imports accept.

Both files are UTF-8 with a byte-order mark (so Excel reads Chinese names), one row per student, and
every cell that a spreadsheet would read as a formula (starting with = + - @, tab or CR) is prefixed
with an apostrophe. Scores are final scores (after the late penalty), with a dot as decimal separator.

canvas — the columns of Canvas's own gradebook export, which its "Import" reads back:
    Student, ID, SIS User ID, SIS Login ID, Section, then one column per assignment named "Title (id)",
    and a second row "Points Possible". "ID" is Canvas's own user id, which we do not know: it is left
    empty so Canvas matches students by "SIS User ID" (our student number) or "SIS Login ID" (the email).
    "Section" is the circle's name. Excused work is "EX", ungraded work empty.
moodle — for Moodle's "Import grades from CSV file", mapping "Email address" to the user's email:
    First name, Last name, ID number (student number), Email address, then one column per assignment
    named by its title. Excused and ungraded work is empty (Moodle skips empty cells).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from lms.grading.gradebook import Cell, Gradebook

FORMATS = ("canvas", "moodle")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _split_name(name: str) -> tuple[str, str]:
    """First and last name from one name: the last word is the last name ("Ada Lovelace"); a name of one
    word (as Chinese names usually are written) is all first name."""
    parts = name.strip().rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")


def _canvas_cell(cell: Cell) -> str:
    return "EX" if cell.excused else _number(cell.score)


def _moodle_cell(cell: Cell) -> str:
    return _number(cell.score)


def rows(book: Gradebook, fmt: str) -> Iterator[list[str]]:
    """The file's rows, header first."""
    circle = book.circle
    if fmt == "canvas":
        yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
               *(f"{a.title} ({a.id})" for a in book.assignments)]
        yield ["    Points Possible", "", "", "", "", *(_number(a.points) for a in book.assignments)]
        for row in book.rows:
            m = row.membership
            yield [m.real_name or m.display_name, "", m.student_no or "", m.user.email, circle.name,
                   *(_canvas_cell(c) for c in row.cells)]
    else:
        yield ["First name", "Last name", "ID number", "Email address", *(a.title for a in book.assignments)]
        for row in book.rows:
            m = row.membership
            first, last = _split_name(m.real_name or m.display_name)
            yield [first, last, m.student_no or "", m.user.email, *(_moodle_cell(c) for c in row.cells)]


def stream(rows_: Iterable[list[str]], chunk_rows: int = 200) -> Iterator[str]:
    """CSV text in chunks of rows, starting with the byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for n, row in enumerate(rows_, 1):
        writer.writerow([safe_cell(value) for value in row])
        if n % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
