"""Bulk add from CSV: a file of students (by their account's email) and the classes of the organization to add
them to, read with the OneRoster import's CSV reader and its rules (UTF-8 with or without a byte order mark,
the heading names the columns, every problem named with its line and column in the reader's words, the file
refused while it has any), previewed row by row, and applied only when confirmed, all or nothing.

Columns: email and class (required: an account's email, a class's name); name, real_name, student_number
(optional: the person's name, real name and number in the class)."""
from __future__ import annotations

import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.circles.operations import CircleError, IdentityError, check_identity
from lms.core.inputs import number_key
from lms.extensions import db
from lms.orgs.console.people import PeopleError, place_student
from lms.orgs.models import Organization
from lms.roster_sync import oneroster
from lms.roster_sync.oneroster import _EMAIL, Problem, RosterFileError, _Checker, _Stop, csv_rows

#: the largest file accepted (refused before it is read) and the most rows
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
#: reading stops after this many problems, as the OneRoster import's does
MAX_PROBLEMS = oneroster.MAX_PROBLEMS
REQUIRED = ("email", "class")
OPTIONAL = ("name", "real_name", "student_number")

ADD, READMIT, ALREADY = "add", "readmit", "already"
#: the column of a refused identity field (lms.circles IdentityError.field)
COLUMN_OF = {"display_name": "name", "real_name": "real_name", "student_no": "student_number"}


@dataclass
class Row:
    line: int
    email: str
    class_name: str
    identity: tuple[str | None, str | None, str | None]
    user: User | None = None
    circle: Circle | None = None
    outcome: str | None = None  #: ADD, READMIT, ALREADY; None while the file has problems on this line

    def message(self) -> str:
        words = {ADD: _l("%(person)s will join %(circle)s as a student."),
                 READMIT: _l("%(person)s will be readmitted to %(circle)s (was removed) as a student."),
                 ALREADY: _l("%(person)s is already in %(circle)s: nothing to do.")}
        if self.outcome not in words:
            return ""
        return str(words[self.outcome] % {"person": self.user.name, "circle": self.circle.name})


def read(data: bytes, org: Organization, *, name: str = "students.csv") -> list[Row]:
    """Read and check the file against the organization (its accounts and classes, in a fixed number of
    queries); each row's outcome. Raises RosterFileError naming every problem (line, column), at most
    MAX_PROBLEMS; nothing is changed either way."""
    check = _Checker()
    rows: list[Row] = []
    try:
        if len(data) > MAX_BYTES:
            check.add(name, None, None, _l("The file is larger than %(num)d KB. Split it into smaller files.",
                                           num=MAX_BYTES // 1024))
        rows = _rows(data, name, check)
        if rows and not check.problems:
            _plan(org, rows, name, check)
    except _Stop:
        pass
    check.raise_if_any()
    return rows


def _rows(data: bytes, name: str, check: _Checker) -> list[Row]:
    rows: list[Row] = []
    for line, heading, cells in csv_rows(io.BytesIO(data), name, check):
        if cells is None:
            lowered = [column.lower() for column in heading]
            missing = [column for column in REQUIRED if column not in lowered]
            for column in missing:
                check.add(name, 1, column, _l("The required column is missing."))
            if missing:
                return rows
            unknown = [c for c in heading if c.lower() not in REQUIRED + OPTIONAL]
            for column in unknown:
                check.add(name, 1, column, _l("This column is not one the bulk add reads (%(allowed)s).",
                                              allowed=", ".join(REQUIRED + OPTIONAL)))
            continue
        values = {column.lower(): cell.strip() for column, cell in zip(heading, cells)}
        bad = False
        for column in REQUIRED:
            if not values.get(column):
                check.add(name, line, column, _l("A value is required."))
                bad = True
        email = values.get("email", "")
        if email and not _EMAIL.fullmatch(email):
            check.add(name, line, "email", _l("“%(value)s” is not an email address.", value=email[:60]))
            bad = True
        if len(rows) >= MAX_ROWS:
            check.add(name, line, None, _l("The file has more than %(num)d rows. Split it into smaller files.",
                                           num=MAX_ROWS))
            raise _Stop
        if not bad:
            rows.append(Row(line, email, values["class"],
                            (values.get("name") or None, values.get("real_name") or None,
                             values.get("student_number") or None)))
    if not rows and not check.problems:
        check.add(name, None, None, _l("The file has no rows after its heading."))
    return rows


def _plan(org: Organization, rows: list[Row], name: str, check: _Checker) -> None:
    """Each row's account, class and outcome (three queries); unknown accounts and classes, archived classes
    and a row given twice are problems."""
    emails = {row.email.lower() for row in rows}
    users = {u.email.lower(): u for u in db.session.scalars(sa.select(User).where(sa.func.lower(User.email).in_(emails)))}
    named: dict[str, list[Circle]] = {}
    names = {row.class_name.lower() for row in rows}
    for circle in db.session.scalars(sa.select(Circle).where(Circle.org_id == org.id,
                                                             sa.func.lower(Circle.name).in_(names))
                                     .order_by(Circle.id)):
        named.setdefault(circle.name.strip().lower(), []).append(circle)
    # a name means the one current class of that name: a class copied into the next term keeps its name, and the
    # old term's is archived; two current classes of one name are not guessed between
    classes: dict[str, Circle] = {}
    ambiguous: set[str] = set()
    for key, found in named.items():
        current = [circle for circle in found if not circle.is_archived]
        if len(current) > 1:
            ambiguous.add(key)
        else:
            classes[key] = (current or found)[0]
    seen: dict[tuple[int, int], int] = {}
    for row in rows:
        row.user = users.get(row.email.lower())
        row.circle = classes.get(row.class_name.lower())
        if row.user is None:
            check.add(name, row.line, "email", _l("No account has the email %(email)s. The person signs up "
                                                  "first, or is added by their email once they have.",
                                                  email=row.email[:60]))
        if row.class_name.lower() in ambiguous:
            check.add(name, row.line, "class", _l("The organization has more than one current class named "
                                                  "%(value)s: rename one of them first.",
                                                  value=row.class_name[:120]))
        elif row.circle is None:
            check.add(name, row.line, "class", _l("The organization has no class named %(value)s.",
                                                  value=row.class_name[:120]))
        elif row.circle.is_archived:
            check.add(name, row.line, "class", _l("%(name)s is archived: it takes no new students.",
                                                  name=row.circle.name))
        if row.user is not None and row.circle is not None:
            key = (row.user.id, row.circle.id)
            if key in seen:
                check.add(name, row.line, "email", _l("%(email)s is added to %(circle)s on line %(line)d already.",
                                                      email=row.email[:60], circle=row.circle.name, line=seen[key]))
            seen.setdefault(key, row.line)
    if check.problems:
        return
    existing = {(m.user_id, m.circle_id): m for m in db.session.scalars(
        sa.select(Membership).where(Membership.user_id.in_({r.user.id for r in rows}),
                                    Membership.circle_id.in_({r.circle.id for r in rows})))}
    numbers: dict[tuple[int, str], int] = {}
    for row in rows:
        membership = existing.get((row.user.id, row.circle.id))
        state = membership.status if membership is not None else None
        row.outcome = (ALREADY if state == MembershipStatus.active
                       else READMIT if state == MembershipStatus.removed else ADD)
        if row.outcome == ALREADY:
            continue
        display_name, real_name, student_no = row.identity
        try:  # the class's own rules (lms.circles), nothing written; one query or two per row
            check_identity(row.circle, membership, display_name=display_name, real_name=real_name,
                           student_no=student_no)
        except IdentityError as problem:
            check.add(name, row.line, COLUMN_OF.get(problem.field), str(problem))
            continue
        number = number_key(student_no or "")
        if number:
            key = (row.circle.id, number)
            if key in numbers:
                check.add(name, row.line, "student_number",
                          _l("The student number %(value)s is given for %(circle)s on line %(line)d already.",
                             value=student_no[:40], circle=row.circle.name, line=numbers[key]))
            numbers.setdefault(key, row.line)


def apply(org: Organization, rows: list[Row], actor: User, *, name: str = "students.csv") -> int:
    """Add every row's student (the caller commits; each addition is audited in its class, via org_csv); all or
    nothing: a row the class refuses (a name or number taken there since the preview) raises RosterFileError
    naming it, and the caller rolls back. Returns how many were added."""
    added = 0
    for row in rows:
        if row.outcome == ALREADY:
            continue
        try:
            place_student(row.user, row.circle, actor, identity=row.identity, via="org_csv")
        except (PeopleError, CircleError) as problem:  # changed since the preview was read (it checked each row)
            column = COLUMN_OF.get(getattr(problem, "field", None) or "", None)
            raise RosterFileError([Problem(name, row.line, column, str(problem))]) from None
        added += 1
    return added


