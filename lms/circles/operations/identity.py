"""A member's identity in a circle: display name, real name and student number, cleaned, unique, and
changed by whom the membership allows."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle, Membership
from lms.circles.operations.errors import CircleError, IdentityError
from lms.core.inputs import TextRejected, clean_line, comparison_key, normalize_number, number_key
from lms.extensions import db


#: Stands for "leave this field as it is" in update_identity.
KEEP = object()


def _clean_identity(circle: Circle, membership: Membership | None, display_name: str | None,
                    real_name: str | None, student_no: str | None) -> tuple[str, str | None, str | None]:
    """(display name, real name, student number) cleaned by the single-line rules, the number
    normalized, and both the name and the number checked free in the circle (a None display name is
    left unchecked, for check_identity). Raises IdentityError."""
    values = {}
    for field, value, required, limit in (("display_name", display_name, display_name is not None, 100),
                                          ("real_name", real_name, False, 100),
                                          ("student_no", student_no, False, 40)):
        try:
            values[field] = clean_line(value, required=required, max_length=limit)
        except TextRejected as error:
            raise IdentityError(field, str(error)) from None
    number = normalize_number(values["student_no"])
    own_id = membership.id if membership is not None else None
    if values["display_name"] is not None and _taken(circle, own_id, Membership.display_key,
                                                     comparison_key(values["display_name"])[:100]):
        raise IdentityError("display_name", _l("Someone in this circle already goes by this name. "
                                               "Choose another one (add an initial, for example)."))
    if number and _taken(circle, own_id, Membership.student_no_key, number_key(number)):
        raise IdentityError("student_no", _l("This student number belongs to someone else in this circle. "
                                             "Check it, or ask the teacher."))
    return values["display_name"], values["real_name"], number


def check_identity(circle: Circle, membership: Membership | None, *, display_name: str | None = None,
                   real_name: str | None = None, student_no: str | None = None) -> None:
    """Would these values be accepted for `membership` (None: someone new)? Nothing is written, so a
    batch (a roster import) can check every row before changing anything. A None display name is
    not checked (it will default to a free one). Raises IdentityError."""
    _clean_identity(circle, membership, display_name, real_name, student_no)


def _taken(circle: Circle, own_id: int | None, column, value: str) -> bool:
    query = db.select(Membership.id).where(Membership.circle_id == circle.id, column == value)
    if own_id is not None:
        query = query.where(Membership.id != own_id)
    with db.session.no_autoflush:
        return db.session.scalar(query.limit(1)) is not None


def _free_display_name(circle: Circle, membership: Membership | None, base: str | None) -> str:
    """`base` (the account's or the returning member's name), or "base (2)", "base (3)"... when taken:
    for paths where nobody typed a name (staff adding someone, bulk enrolment)."""
    try:
        base = clean_line(base, max_length=90)
    except TextRejected:
        base = str(_l("Member"))
    own_id = membership.id if membership is not None else None
    candidate = base
    for n in range(2, 1000):
        if not _taken(circle, own_id, Membership.display_key, comparison_key(candidate)[:100]):
            return candidate
        candidate = f"{base} ({n})"
    return candidate


def _check_identity(circle: Circle, real_name: str | None, student_no: str | None) -> None:
    if circle.require_real_name and not (real_name or "").strip():
        raise IdentityError("real_name", _l("This circle asks for your real name."))
    if circle.require_student_no and not normalize_number(student_no):
        raise IdentityError("student_no", _l("This circle asks for your student number."))


def update_identity(membership: Membership, *, display_name: str, real_name=KEEP, student_no=KEEP,
                    actor: User | None = None) -> None:
    """Change how a member appears in the circle (the same everywhere in it); KEEP leaves a field.

    Who may change what is the membership's: `can_edit_identity` (a staff member's identity only by
    the teachers or the person), `can_edit_real_name` / `can_edit_student_no` (a student sets them
    only when the circle asks and the staff have not set them). A change made by someone else is
    audited (identity_changed, with the old and new values) and locks a student's real name and
    number against their own edits. `actor` None is the system (a CLI command, an import job):
    no permission check, audited with no actor.
    Raises CircleError for a field `actor` may not change; IdentityError for a malformed or taken
    name or number, or a real name or number the circle asks for left blank (staff are not asked).
    """
    if actor is not None and not membership.can_edit_identity(actor):
        raise CircleError(_l("You cannot change how this person appears in the circle."))
    circle = membership.circle
    real = membership.real_name if real_name is KEEP else real_name
    number = membership.student_no if student_no is KEEP else student_no
    display, real, number = _clean_identity(circle, membership, display_name, real, number)
    if actor is not None and real != membership.real_name and not membership.can_edit_real_name(actor):
        raise IdentityError("real_name", _l("Only the staff can change the real name here."))
    if actor is not None and number != membership.student_no and not membership.can_edit_student_no(actor):
        raise IdentityError("student_no", _l("Only the staff can change the student number here."))
    if not membership.is_staff:
        _check_identity(circle, real, number)
    changes = {field: {"from": old, "to": new} for field, old, new in (
        ("display_name", membership.display_name, display), ("real_name", membership.real_name, real),
        ("student_no", membership.student_no, number)) if old != new}
    membership.display_name = display
    membership.real_name = real
    membership.student_no = number
    if actor is None or actor.id != membership.user_id:
        if not membership.is_staff and (real or number):
            membership.is_identity_locked = True
        if changes:
            record_event(AuditAction.identity_changed, actor, target=membership, details=changes)
