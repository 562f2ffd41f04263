"""Groups from a CSV file: one line per student, "student number or email, group name". Groups not in the
circle yet are made; students in another group move. All or nothing: a file with a bad line changes nothing."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.inputs import TextRejected, clean_line, comparison_key, number_key
from lms.extensions import db
from lms.groups import operations as ops
from lms.groups import queries as q
from lms.groups.models import GROUPED_ROLES, NAME_MAX

#: Most lines one file may hold.
MAX_ROWS = 2000
#: Largest file read.
MAX_BYTES = 2 * 1024 * 1024
#: Words of a first line that names the columns (compared by comparison_key); such a line is skipped.
HEADINGS = {"email", "e-mail", "student number", "student_no", "student id", "id number", "学号", "學號", "邮箱",
            "電子郵件", "电子邮件", "group", "group name", "组", "組", "小组", "小組", "分组", "分組"}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)  #: names of the groups made
    placed: int = 0  #: people put in a group (moved ones included)
    moved: int = 0  #: of them, people who were in another group
    unchanged: int = 0  #: people already in the group the file names
    errors: list[tuple[int, str]] = field(default_factory=list)  #: (line, message); line 0: the file


@dataclass
class _Row:
    line: int
    who: str
    group: str


def import_groups(circle: Circle, actor: User, data: bytes) -> ImportReport:
    """Put the students of the file in the groups it names (see the module); audited like the same changes made
    by hand (one record per group). Returns the report; when `report.errors` is not empty, nothing was changed
    and the caller rolls back anyway."""
    report = ImportReport()
    rows = _parse(data, report)
    people = _people(circle, rows, report) if rows else {}
    if report.errors:
        report.errors.sort(key=lambda error: error[0])
        return report
    groups = {g.name_key: g for g in q.groups_of(circle)}
    wanted: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for row in rows:
        key = comparison_key(row.group)[:NAME_MAX]
        wanted.setdefault(key, []).append(people[row.line].user_id)
        names.setdefault(key, row.group)
    new_keys = [key for key in wanted if key not in groups]
    if q.group_count(circle) + len(new_keys) > ops.MAX_GROUPS:
        report.errors.append((0, _("A circle can have at most %(max)d groups.", max=ops.MAX_GROUPS)))
        return report
    current = q.group_ids_by_user(circle.id)
    for key, user_ids in wanted.items():
        group = groups.get(key)
        if group is None:
            group = ops.create_group(circle, actor, names[key])
            report.created.append(group.name)
        todo = [u for u in user_ids if current.get(u) != group.id]
        report.unchanged += len(user_ids) - len(todo)
        if todo:
            placed, moved = ops.add_members(group, actor, todo)
            report.placed += len(placed)
            report.moved += moved
    return report


def _parse(data: bytes, report: ImportReport) -> list[_Row]:
    if len(data) > MAX_BYTES:
        report.errors.append((0, _("The file is larger than 2 MB. Split it and send the parts one by one.")))
        return []
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        report.errors.append((0, _("The file is not text in UTF-8 or GB18030. Save it as CSV (UTF-8) and try again.")))
        return []
    lines = text.splitlines()
    if not lines:
        report.errors.append((0, _("The file is empty.")))
        return []
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[_Row] = []
    for line, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if line == 1 and any(comparison_key(cell) in HEADINGS for cell in cells[:2]):
            continue
        if len(rows) >= MAX_ROWS:
            report.errors.append((line, _("At most %(num)d lines per file.", num=MAX_ROWS)))
            return []
        if len(cells) < 2 or not cells[0].strip() or not cells[1].strip():
            report.errors.append((line, _("Give a student number or email, then a group name.")))
            continue
        try:
            who = clean_line(cells[0], max_length=254)
            group = clean_line(cells[1], max_length=NAME_MAX)
        except TextRejected as error:
            report.errors.append((line, str(error)))
            continue
        rows.append(_Row(line, who, group))
    if not rows and not report.errors:
        report.errors.append((0, _("The file lists nobody.")))
    return rows


def _people(circle: Circle, rows: list[_Row], report: ImportReport) -> dict[int, Membership]:
    """line → the active learner the line names, by email or student number (two queries)."""
    emails = {comparison_key(r.who).replace(" ", "") for r in rows if "@" in r.who}
    numbers = {number_key(r.who) for r in rows if "@" not in r.who} - {None}
    base = db.select(Membership).where(Membership.circle_id == circle.id,
                                       Membership.status == MembershipStatus.active)
    by_email = {m.user.email: m for m in db.session.scalars(
        base.join(User, User.id == Membership.user_id).where(User.email.in_(emails)))} if emails else {}
    by_number = {m.student_no_key: m for m in db.session.scalars(
        base.where(Membership.student_no_key.in_(numbers)))} if numbers else {}
    found: dict[int, Membership] = {}
    seen: dict[int, int] = {}
    for row in rows:
        if "@" in row.who:
            membership = by_email.get(comparison_key(row.who).replace(" ", ""))
        else:
            membership = by_number.get(number_key(row.who))
        if membership is None:
            report.errors.append((row.line, _("%(who)s is not a member of this circle.", who=row.who)))
        elif membership.role not in GROUPED_ROLES:
            report.errors.append((row.line, _("%(who)s is staff; only students are put in groups.", who=row.who)))
        elif membership.user_id in seen:
            report.errors.append((row.line, _("%(who)s is also on line %(line)d.", who=row.who,
                                              line=seen[membership.user_id])))
        else:
            seen[membership.user_id] = row.line
            found[row.line] = membership
    return found
