"""Rows to bytes: CSV text in chunks, and an XLSX workbook written by openpyxl in write-only mode."""
from __future__ import annotations

import csv
import io
import tempfile
from typing import Callable, Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from lms.grading.exports import people

CHUNK_ROWS = 200
CHUNK_BYTES = 64 * 1024


def csv_chunks(rows: Iterable[list[str]], *, bom: bool = True) -> Iterator[bytes]:
    """UTF-8 CSV, every field quoted (a spreadsheet whose separator is `;` then cannot split a field), in
    chunks of rows. With `bom`, a byte-order mark first so Excel reads non-ASCII names; both importers
    drop it (Canvas's Ruby CSV reads it as part of "Student", which it matches with include?; Moodle
    trims it in csv_import_reader)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    for n, row in enumerate(rows, 1):
        writer.writerow(row)
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


#: what Excel refuses in a sheet's name (besides more than 31 characters and a leading or trailing ')
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(name: str, fallback: str = "Grades") -> str:
    """`name` as Excel accepts a sheet's name: no [ ] : * ? / \\, no apostrophe at either end, at most 31
    characters, not empty (then `fallback`)."""
    cleaned = " ".join(name.translate(_SHEET_FORBIDDEN).split()).strip("'").strip()[:31].strip()
    return cleaned or fallback


def xlsx_chunks(rows: Iterable[list], convert: Callable = people.xlsx_value,
                title: str | None = None) -> Iterator[bytes]:
    """An XLSX workbook: header row bold and frozen, numbers as numbers, text as text cells (never
    formulas: the type is set, and quotePrefix keeps them text when edited), identifiers formatted "@".
    Its one sheet is named `title`, else "Grades" in the request's language (read now, in the request:
    the chunks may be written after it)."""
    return _xlsx_chunks(rows, convert, sheet_title(title or _("Grades")))


def _xlsx_chunks(rows: Iterable[list], convert: Callable, title: str) -> Iterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for n, row in enumerate(rows):
        cells = []
        for value in row:
            converted = convert(value)
            cell = WriteOnlyCell(sheet)
            if isinstance(converted, str):
                cell.value = converted
                cell.data_type = "s"  # openpyxl would make a formula of any text starting with "="
                cell.quotePrefix = True
                if isinstance(value, people.Identifier):
                    cell.number_format = "@"
            else:
                cell.value = converted
            if n == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK_BYTES):
            yield chunk
