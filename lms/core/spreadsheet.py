"""Text bound for spreadsheets: the formula guard (CSV injection) every export uses, and the writers of
rows to CSV and XLSX bytes (in chunks, so a long export streams)."""
from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

#: Characters a spreadsheet may take as a field separator when it opens a CSV file: the comma, the
#: semicolon (the list separator where the decimal mark is a comma), tab, pipe and line breaks.
SEPARATORS = ";,\t|\r\n"

# OWASP "CSV Injection": a cell that starts with = + - @, tab or CR is run as a formula, and so is
# any piece of a cell that a spreadsheet splits off at a separator (`Ann;=2+5` opened where `;` is
# the list separator). Spaces before the sign do not stop every spreadsheet, so they are allowed for.
_RISKY = re.compile(r"(?:\A|[;,\t|\r\n])[ \u00a0]*[=+\-@]|\A[\t\r]")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could run (part of) `text` as a formula.

    Plain numbers (`-1.5`) and the lone `-` (Moodle's "no grade") are numbers or text to every
    spreadsheet. Full-width signs and separators (＝, ；) are checked too: some spreadsheets fold them."""
    if text == "-" or _PLAIN_NUMBER.fullmatch(text):
        return False
    return bool(_RISKY.search(text) or _RISKY.search(unicodedata.normalize("NFKC", text)))


def safe_text(value) -> str:
    """`value` as text that no spreadsheet runs as a formula: an apostrophe first when needed."""
    text = "" if value is None else str(value)
    return "'" + text if needs_guard(text) else text


CHUNK_ROWS = 200
CHUNK_BYTES = 64 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_chunks(rows: Iterable[list[str]], *, bom: bool = True) -> Iterator[bytes]:
    """UTF-8 CSV, every field quoted (a spreadsheet whose separator is `;` then cannot split a field), in
    chunks of rows. With `bom`, a byte-order mark first so Excel reads non-ASCII names; Canvas's and
    Moodle's importers drop it (Canvas's Ruby CSV reads it as part of "Student", which it matches with
    include?; Moodle trims it in csv_import_reader). The rows' text is written as given: guard it first
    (`safe_text`)."""
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


def sheet_title(name: str, fallback: str = "Sheet1") -> str:
    """`name` as Excel accepts a sheet's name: no [ ] : * ? / \\, no apostrophe at either end, at most 31
    characters, not empty (then `fallback`)."""
    cleaned = " ".join(name.translate(_SHEET_FORBIDDEN).split()).strip("'").strip()[:31].strip()
    return cleaned or fallback


def as_text_cell(value) -> tuple[object, str | None]:
    """Every value as text (no number format): the default of `xlsx_chunks`."""
    return ("" if value is None else str(value)), None


def xlsx_chunks(rows: Iterable[list], title: str,
                convert: Callable[[object], tuple[object, str | None]] = as_text_cell) -> Iterator[bytes]:
    """An XLSX workbook of one sheet named `title` (made acceptable with `sheet_title`): header row bold and
    frozen. `convert` turns each value into (cell value, number format or None); a text value becomes a
    text cell, never a formula (the type is set, and quotePrefix keeps it text when edited), a number
    stays a number."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for n, row in enumerate(rows):
        cells = []
        for value in row:
            converted, number_format = convert(value)
            cell = WriteOnlyCell(sheet)
            cell.value = converted
            if isinstance(converted, str):
                cell.data_type = "s"  # openpyxl would make a formula of any text starting with "="
                cell.quotePrefix = True
            if number_format:
                cell.number_format = number_format
            if n == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK_BYTES):
            yield chunk
