"""Gradebook exports: Canvas and Moodle import files, a plain CSV and an Excel workbook.

`prepare` reads the gradebook into plain values and checks the chosen format's rules (raising
ExportRefused when the file would misplace or lose grades); the returned Export streams its bytes
without touching the database. `record_export` writes the audit record."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.core.spreadsheet import XLSX_MIMETYPE
from lms.grading.exports import canvas, moodle, people
from lms.grading.exports.options import (BLANK_LABELS, BLANKS, FORMAT_LABELS, FORMATS, GROUPS, MATCH_LABELS, MATCHES,
                                         RELEASED_ONLY_BY_DEFAULT, SCALE_LABELS, SCALES, ExportOptions, ExportRefused)
from lms.grading.exports.table import snapshot
from lms.grading.exports.writers import csv_chunks, xlsx_chunks
from lms.grading.gradebook import Gradebook

__all__ = ["BLANKS", "BLANK_LABELS", "Export", "ExportOptions", "ExportRefused", "FORMATS", "FORMAT_LABELS",
           "GROUPS", "MATCHES", "RELEASED_ONLY_BY_DEFAULT", "MATCH_LABELS", "SCALES", "SCALE_LABELS", "prepare", "record_export"]

MAX_CANVAS_EXPORT_BYTES = 20 * 1024 * 1024  #: a Canvas gradebook export of a very large course


@dataclass
class Export:
    filename: str
    mimetype: str
    chunks: Iterator[bytes]
    students: int  #: student rows in the file
    assignments: int  #: assignment columns in the file


def prepare(book: Gradebook, options: ExportOptions, canvas_current: bytes | None = None) -> Export:
    """The export of the staff gradebook `book` in `options.fmt`. Raises ExportRefused.

    `canvas_current`: the bytes of Canvas's own gradebook export of the course (Canvas format only):
    the file then carries Canvas's ids and leaves Canvas's grades alone where Circles has none.

    All database reads happen here; the chunks are computed from plain values, so they may be streamed
    after the request's transaction has ended."""
    table = snapshot(book, released_only=options.released_only)
    stem = f"grades-{book.circle.id}-{options.fmt}"
    if options.fmt == "canvas":
        current = canvas.read_canvas_export(canvas_current) if canvas_current else None
        rows = list(canvas.rows(table, options, current))
        identity = 5 if options.match == "sis_user_id" else 4
        return Export(f"{stem}.csv", "text/csv", csv_chunks(rows), len(rows) - 2, len(rows[0]) - identity)
    if options.fmt == "moodle":
        rows = list(moodle.rows(table, options))
        return Export(f"{stem}.csv", "text/csv", csv_chunks(rows), len(rows) - 1,
                      len(rows[0]) - len(moodle.IDENTITY))
    rows = list(people.rows(table))
    if options.fmt == "csv":
        text_rows = [[people.csv_value(v) for v in row] for row in rows]
        return Export(f"{stem}.csv", "text/csv", csv_chunks(text_rows), len(rows) - 2, len(table.columns))
    return Export(f"{stem}.xlsx", XLSX_MIMETYPE, xlsx_chunks(rows), len(rows) - 2, len(table.columns))


def record_export(circle, actor, options: ExportOptions, export: Export, *, with_canvas_export: bool = False) -> None:
    """Audit one export: who, which circle, which format and choices, how many rows and columns."""
    details = {**options.as_details(), "students": export.students, "assignments": export.assignments}
    if with_canvas_export:
        details["with_canvas_export"] = True
    record_event(AuditAction.grades_exported, actor, target=circle, circle_id=circle.id, details=details)
