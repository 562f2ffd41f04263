"""The gradebook for people: every column, as a plain CSV or an Excel workbook.

Values are typed: numbers stay numbers, identifiers (student numbers, e-mail addresses) are text so a
spreadsheet keeps `00123` and `2023000100020003` as they are, and every text is guarded against formulas."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from flask_babel import gettext as _

from lms.core.spreadsheet import needs_guard, safe_text
from lms.grading.exports.cells import number, one_line
from lms.grading.exports.table import Mark, Table


@dataclass(frozen=True, slots=True)
class Identifier:
    """Text that looks like a number to a spreadsheet but must stay exactly as written."""

    text: str


#: Identifiers a CSV can carry as ="…" without any character a spreadsheet could split or run.
_PLAIN_IDENTIFIER = re.compile(r"[0-9A-Za-z_./-]+")


def _mark(mark: Mark):
    if mark.excused:
        return _("EX")
    return mark.score  # None (empty) or a number


def rows(table: Table) -> Iterator[list]:
    """Header, points-possible row, one row per student; cells are str, float, None or Identifier."""
    yield [_("Student"), _("Real name"), _("Student number"), _("E-mail"),
           *(one_line(c.title) for c in table.columns),
           _("Points"), _("Out of"), _("Percent"), _("Weighted percent")]
    yield [_("Points possible"), None, None, None, *(c.points for c in table.columns), None, None, None, None]
    for s in table.students:
        yield [s.display_name, s.real_name or None, Identifier(s.student_no) if s.student_no else None,
               s.email, *(_mark(m) for m in s.marks), s.points, s.possible, s.percent, s.weighted]


def csv_value(value) -> str:
    """A typed cell as CSV text. Identifiers made of plain characters become ="…", the one form every
    spreadsheet keeps as text (a bare 00123 opens as 123); others are guarded text."""
    if value is None:
        return ""
    if isinstance(value, Identifier):
        if _PLAIN_IDENTIFIER.fullmatch(value.text):
            return f'="{value.text}"'
        return safe_text(value.text)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value, 5)
    return safe_text(value)


def xlsx_value(value):
    """A typed cell for openpyxl: numbers as numbers, everything else as guarded text (never a formula)."""
    if value is None:
        return None
    if isinstance(value, Identifier):
        return value.text if not needs_guard(value.text) else safe_text(value.text)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return safe_text(value)
