"""A notice's receipts as CSV or XLSX (lms.core.spreadsheet), every cell guarded against formulas."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask_babel import gettext as _

from lms.core.spreadsheet import XLSX_MIMETYPE, csv_chunks, safe_text, xlsx_chunks
from lms.feed.notices.queries import Receipt

FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_MIMETYPE}


def receipt_rows(receipts: Iterable[Receipt], stamp) -> Iterator[list[str]]:
    """The header, then a row per member: display name, real name, student number, opened, confirmed
    (times as `stamp` writes them: the viewer's zone, read in the request)."""
    yield [_("Name in the circle"), _("Real name"), _("Student number"), _("Opened"), _("Confirmed")]
    for r in receipts:
        yield [r.member.display_name, r.member.real_name or "", r.member.student_no or "",
               stamp(r.opened_at) if r.opened_at else "", stamp(r.confirmed_at) if r.confirmed_at else ""]


def csv_bytes(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (Excel reads non-ASCII names), every field quoted and guarded."""
    return csv_chunks([safe_text(value) for value in row] for row in rows)


def xlsx_bytes(rows: Iterable[list[str]], title: str) -> Iterator[bytes]:
    """One sheet, header bold and frozen, every cell a text cell (a text cell is never run as a formula)."""
    return xlsx_chunks(rows, title)
