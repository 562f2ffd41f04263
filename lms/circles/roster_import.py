"""Roster import: the staff's CSV of people who have accounts, enrolled or updated in one go."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.circles.models import Circle, Membership
from lms.circles.operations import (KEEP, CircleError, add_member, check_identity, default_role, may_readmit,
                                   update_identity)
from lms.core.inputs import TextRejected, clean_line, comparison_key, normalize_number, number_key
from lms.extensions import db

#: Most rows one file may hold: a year group, not a whole school (that is the organization's import).
MAX_ROWS = 2000
#: Column names understood, compared by lms.core.inputs.comparison_key; the roster export's own
#: headings (in the exporting user's language) are added at parse time, so an export re-imports.
COLUMNS = {
    "email": {"email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "電子郵件", "郵箱"},
    "display_name": {"name", "display name", "display_name", "name in circle", "名字", "显示名", "顯示名"},
    "real_name": {"real name", "real_name", "full name", "真实姓名", "真實姓名", "姓名"},
    "student_no": {"student number", "student_no", "student id", "sis user id", "id number", "学号", "學號"},
}


@dataclass
class RosterRow:
    line: int  #: line number in the file, for messages
    email: str
    display_name: str | None
    real_name: str | None
    student_no: str | None


@dataclass
class RosterReport:
    added: list[Membership] = field(default_factory=list)
    updated: list[Membership] = field(default_factory=list)
    readmitted: list[Membership] = field(default_factory=list)
    unchanged: int = 0
    not_found: list[tuple[int, str]] = field(default_factory=list)  #: (line, email) without an account
    errors: list[tuple[int, str]] = field(default_factory=list)  #: (line, message); line 0: the file


class RosterImportError(CircleError):
    """The file or some of its rows cannot be imported; nothing was. `report.errors` says where."""

    def __init__(self, report: RosterReport):
        super().__init__(_l("Nothing was imported: fix the lines listed and send the file again."))
        self.report = report


def parse_roster(data: bytes) -> list[RosterRow]:
    """The rows of a roster CSV: a heading row naming at least an email column (see COLUMNS), any of
    `,` `;` or tab between cells, UTF-8 (with or without BOM) or GB18030 (what spreadsheets in China
    save). Cells are cleaned as single-line text; a malformed cell is a line error.
    Raises RosterImportError for a file that cannot be read, has no email column or too many rows.
    """
    report = RosterReport()
    text = _decode(data)
    if text is None:
        report.errors.append((0, _("The file is not text in UTF-8 or GB18030. Save it as CSV (UTF-8) and try again.")))
        raise RosterImportError(report)
    lines = text.splitlines()
    if not lines:
        report.errors.append((0, _("The file is empty.")))
        raise RosterImportError(report)
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    columns = _columns(next(reader, []))
    if "email" not in columns:
        report.errors.append((0, _("The first line must name the columns, with one called “email”.")))
        raise RosterImportError(report)
    rows: list[RosterRow] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            report.errors.append((line, _("At most %(num)d people per file.", num=MAX_ROWS)))
            raise RosterImportError(report)
        values = {}
        for name, index in columns.items():
            raw = cells[index] if index < len(cells) else ""
            try:
                values[name] = clean_line(raw, required=False, max_length=254 if name == "email" else 100)
            except TextRejected as error:
                report.errors.append((line, _("%(label)s: %(value)s", label=_column_label(name), value=error)))
        if report.errors and report.errors[-1][0] == line:
            continue
        email = comparison_key(values.get("email")).replace(" ", "")
        if not email:
            report.errors.append((line, _("No email on this line.")))
            continue
        rows.append(RosterRow(line, email, values.get("display_name"), values.get("real_name"),
                              values.get("student_no")))
    if report.errors:
        raise RosterImportError(report)
    return rows


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _columns(heading: list[str]) -> dict[str, int]:
    known = {name: {comparison_key(n) for n in names} for name, names in COLUMNS.items()}
    # The roster export's headings, in the current language.
    known["display_name"].add(comparison_key(_("Name in circle")))
    known["real_name"].add(comparison_key(_("Real name")))
    known["student_no"].add(comparison_key(_("Student number")))
    known["email"].add(comparison_key(_("Email")))
    found: dict[str, int] = {}
    for index, cell in enumerate(heading):
        key = comparison_key(cell)
        for name, names in known.items():
            if key in names and name not in found:
                found[name] = index
    return found


def _column_label(name: str) -> str:
    return {"email": _("Email"), "display_name": _("Name in circle"), "real_name": _("Real name"),
            "student_no": _("Student number")}[name]


def import_roster(circle: Circle, actor: User, rows: list[RosterRow], *, readmit: bool) -> RosterReport:
    """Enrol the people of `rows` (matched to accounts by email) in `circle` with its default role, or
    update the name, real name and number of those already in it; all or nothing.

    - A removed member comes back only with `readmit`: the teacher's explicit re-enrolment counts as
      their readmission and is audited (member_readmitted), as on the roster's "Removed" list.
    - Names and numbers set here are set by the staff: they are audited for existing members
      (identity_changed) and locked against the student's own edits.
    - Empty cells leave what is there; a row without an account is reported, not an error.
    Every row is checked before anything is written (no savepoints: SQLite's driver would commit a
    released one). Raises RosterImportError with every line at fault: a number used twice in the
    file or by someone else, a name taken, a removed member without `readmit`, a staff identity the
    actor may not edit.
    """
    report = RosterReport()
    _check_repeats(rows, report)
    emails = {row.email for row in rows}
    users = {u.email: u for u in db.session.scalars(db.select(User).where(User.email.in_(emails)))} if emails else {}
    todo = []
    for row in rows:
        user = users.get(row.email)
        if user is None:
            report.not_found.append((row.line, row.email))
            continue
        problem = _row_problem(circle, actor, circle.membership_of(user), row, readmit)
        if problem:
            report.errors.append((row.line, problem))
        todo.append((row, user))
    if report.errors:
        raise RosterImportError(report)
    role = default_role(circle)
    for row, user in todo:
        membership = circle.membership_of(user)
        number = normalize_number(row.student_no)
        try:
            if membership is not None and membership.is_active:
                before = (membership.display_name, membership.real_name, membership.student_no)
                update_identity(membership, display_name=row.display_name or membership.display_name,
                                real_name=row.real_name or KEEP, student_no=number or KEEP, actor=actor)
                if before != (membership.display_name, membership.real_name, membership.student_no):
                    report.updated.append(membership)
                else:
                    report.unchanged += 1
                continue
            was_barred = membership is not None and membership.is_barred
            added = add_member(circle, user, role, via="roster", display_name=row.display_name,
                               real_name=row.real_name, student_no=number, actor=actor, readmit=readmit)
            (report.readmitted if was_barred else report.added).append(added)
        except CircleError as error:  # a clash between rows of the file that the checks could not see
            report.errors.append((row.line, _("%(label)s: %(value)s", label=row.email, value=error)))
            raise RosterImportError(report) from None
    return report


def _row_problem(circle: Circle, actor: User, membership: Membership | None, row: RosterRow,
                 readmit: bool) -> str | None:
    """Why this row cannot be applied, checked without writing anything; None when it can."""
    if membership is not None and membership.is_barred:
        if not readmit:
            return _("%(name)s was removed from this circle. Tick “Readmit people in the file whom the staff removed” to let them back in.",
                     name=membership.display_name)
        if not may_readmit(membership, actor):
            return _("Only the circle's teachers can readmit staff.")
    if membership is not None and membership.is_active and not membership.can_edit_identity(actor):
        return _("%(email)s: you cannot change how this person appears in the circle.", email=row.email)
    try:
        check_identity(circle, membership, display_name=row.display_name, real_name=row.real_name,
                       student_no=row.student_no)
    except CircleError as error:
        return _("%(label)s: %(value)s", label=row.email, value=error)
    return None


def _check_repeats(rows: list[RosterRow], report: RosterReport) -> None:
    """The same person or the same number twice in one file: say where."""
    seen_email: dict[str, int] = {}
    seen_number: dict[str, int] = {}
    for row in rows:
        if row.email in seen_email:
            report.errors.append((row.line, _("%(email)s is also on line %(line)d.", email=row.email,
                                              line=seen_email[row.email])))
        seen_email.setdefault(row.email, row.line)
        number = normalize_number(row.student_no)
        key = number_key(number)
        if key and key in seen_number:
            report.errors.append((row.line, _("The student number %(number)s is also on line %(line)d.",
                                              number=number, line=seen_number[key])))
        if key:
            seen_number.setdefault(key, row.line)
