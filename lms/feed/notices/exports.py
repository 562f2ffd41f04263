"""A notice's receipts as CSV or XLSX: every cell guarded against formulas (lms.core.spreadsheet)."""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from lms.core.spreadsheet import safe_text
from lms.feed.notices.queries import Receipt

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CHUNK = 64 * 1024


def receipt_rows(receipts: Iterable[Receipt], stamp) -> Iterator[list[str]]:
    """The header, then a row per member: display name, real name, student number, opened, confirmed
    (times as `stamp` writes them: the viewer's zone, read in the request)."""
    yield [_("Name in the circle"), _("Real name"), _("Student number"), _("Opened"), _("Confirmed")]
    for r in receipts:
        yield [r.member.display_name, r.member.real_name or "", r.member.student_no or "",
               stamp(r.opened_at) if r.opened_at else "", stamp(r.confirmed_at) if r.confirmed_at else ""]


def csv_bytes(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (Excel reads non-ASCII names), every field quoted and guarded."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_text(value) for value in row])
        if n % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Iterable[list[str]], title: str) -> Iterator[bytes]:
    """One sheet, header bold and frozen, every cell a text cell (never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "Receipts")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for n, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.data_type = "s"
            cell.quotePrefix = True
            if n == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk
