"""Rows to bytes for the gradebook: CSV and XLSX through lms.core.spreadsheet, with the gradebook's cell
conversion (numbers as numbers, identifiers formatted "@") and its sheet named "Grades"."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask_babel import gettext as _

from lms.core import spreadsheet
from lms.core.spreadsheet import csv_chunks  # noqa: F401  (the gradebook's CSV writer)
from lms.grading.exports import people


def _cell(value) -> tuple[object, str | None]:
    return people.xlsx_value(value), ("@" if isinstance(value, people.Identifier) else None)


def xlsx_chunks(rows: Iterable[list], title: str | None = None) -> Iterator[bytes]:
    """The gradebook as an XLSX workbook. Its one sheet is named `title`, else "Grades" in the request's
    language (read now, in the request: the chunks may be written after it)."""
    return spreadsheet.xlsx_chunks(rows, title or _("Grades"), _cell)
