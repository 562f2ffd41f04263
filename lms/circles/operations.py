"""Every state change of circles and memberships. Operations flush; the caller commits."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.codes import COURSE_CODE_LENGTH, JOIN_CODE_LENGTH, random_code
from lms.circles.models import (RELEASED_STATUSES, STAFF_ROLES, Circle, CircleKind, CourseCode, Invite, JoinPolicy,
                                Membership, MembershipStatus, Role)
from lms.core.images import store_image
from lms.core.inputs import TextRejected, clean_line, comparison_key, normalize_number
from lms.core.types import utcnow
from lms.extensions import db
from lms.orgs.models import Organization
from lms.storage import get_storage


class CircleError(ValueError):
    """A refused circle or membership change; the message is for the user."""


class IdentityError(CircleError):
    """A refused name or number; `field` is the form field it belongs to
    (``display_name``, ``real_name`` or ``student_no``)."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field


class MemberBarred(CircleError):
    """The staff removed this person; only their readmission (readmit_member) lets them back in."""

    def __init__(self, *, by_staff: bool = False, name: str = ""):
        if by_staff:
            message = _l("%(name)s was removed from this circle. Readmit them from the roster's "
                         "“Removed” list first.", name=name)
        else:
            message = _l("You were removed from this circle; ask its teacher to readmit you.")
        super().__init__(message)


#: Stands for "leave this field as it is" in update_identity.
KEEP = object()


# -- circles ---------------------------------------------------------------------------------

def create_circle(owner: User, name: str, *, kind: CircleKind = CircleKind.teaching, description: str = "",
                  join_policy: JoinPolicy = JoinPolicy.code, org: Organization | None = None,
                  require_real_name: bool = False, require_student_no: bool = False,
                  owner_display_name: str | None = None) -> Circle:
    """Create a circle with `owner` as its owner member, and a join code.

    Raises CircleError for a name that is not single-line text (see lms.core.inputs.clean_line).
    """
    circle = Circle(name=_circle_name(name), kind=kind, description=description, join_policy=join_policy, org=org,
                    require_real_name=require_real_name, require_student_no=require_student_no,
                    created_by_id=owner.id, member_count=0, timezone=owner.timezone or None)
    circle.join_code = _unique_code(Circle.join_code, JOIN_CODE_LENGTH)
    db.session.add(circle)
    db.session.flush()
    _activate(circle, owner, Role.owner, via="owner", display_name=owner_display_name)
    return circle


def update_circle(circle: Circle, *, name: str, description: str, kind: CircleKind, join_policy: JoinPolicy,
                  require_real_name: bool, require_student_no: bool, timezone: str | None | bool = False) -> None:
    """Change a circle's settings. `timezone`: an IANA name (validated by the form), None for the site's
    default, False (the default) to keep it. Raises CircleError for a name that is not single-line text."""
    if timezone is not False:
        circle.timezone = timezone or None
    circle.name = _circle_name(name)
    circle.description = description
    circle.kind = kind
    circle.join_policy = join_policy
    circle.require_real_name = require_real_name
    circle.require_student_no = require_student_no
    if circle.join_code is None:
        circle.join_code = _unique_code(Circle.join_code, JOIN_CODE_LENGTH)


def _circle_name(name: str | None) -> str:
    try:
        return clean_line(name, max_length=120)
    except TextRejected as error:
        raise CircleError(str(error)) from None


def set_cover(circle: Circle, image: BinaryIO | None) -> None:
    """Replace (or with None, remove) the circle's cover image. Raises ImageRejected."""
    old = circle.cover_key
    circle.cover_key = store_image(image, "covers") if image is not None else None
    if old:
        get_storage().delete(old)


def set_archived(circle: Circle, archived: bool) -> None:
    """Archive (read-only, nobody can join) or restore a circle."""
    circle.is_archived = archived


def regenerate_join_code(circle: Circle) -> str:
    """Give the circle a new join code; the old one stops working at once."""
    circle.join_code = _unique_code(Circle.join_code, JOIN_CODE_LENGTH)
    return circle.join_code


def _unique_code(column, length: int) -> str:
    for _ in range(10):
        code = random_code(length)
        if db.session.scalar(db.select(column).where(column == code)) is None:
            return code
    raise RuntimeError("could not find a free code")  # 10 collisions in a 2^40 space: something is broken


# -- joining ---------------------------------------------------------------------------------

def _activate(circle: Circle, user: User, role: Role, *, via: str, display_name: str | None = None,
              real_name: str | None = None, student_no: str | None = None,
              readmitted_by: User | None = None) -> Membership:
    """Make `user` an active member (new row, or a returning member's old row).

    Every path that lets someone in ends here, so the rule lives here: a removed member comes back
    only with `readmitted_by` (see readmit_member); otherwise MemberBarred. Names and numbers not
    given keep the returning member's (or, for the name, default to the account's name, made
    unique). Raises IdentityError for a name or number that is malformed or taken.
    """
    membership = circle.membership_of(user)
    if membership is not None and membership.status == MembershipStatus.active:
        return membership
    if membership is not None and membership.is_barred and readmitted_by is None:
        raise MemberBarred()
    if display_name is None:
        display_name = _free_display_name(circle, membership, membership.display_name if membership else user.name)
    if membership is not None:
        real_name = membership.real_name if real_name is None else real_name
        student_no = membership.student_no if student_no is None else student_no
    display, real, number = _clean_identity(circle, membership, display_name, real_name, student_no)
    if membership is None:
        membership = Membership(circle_id=circle.id, user_id=user.id, user=user, role=role)
        db.session.add(membership)
        circle.__dict__.setdefault("_membership_cache", {})[user.id] = membership
    membership.role = role
    membership.status = MembershipStatus.active
    membership.display_name = display
    membership.real_name = real
    membership.student_no = number
    membership.joined_at = utcnow()
    membership.joined_via = via
    circle.member_count = Circle.member_count + 1
    db.session.flush()
    db.session.refresh(circle, ["member_count"])
    return membership


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
    if number and _taken(circle, own_id, Membership.student_no, number):
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


def _check_can_come_in(circle: Circle, user: User) -> Membership | None:
    """Refuse archived circles, current members, and people the staff removed (before anything,
    such as a course code or an invite's use, is spent)."""
    if circle.is_archived:
        raise CircleError(_l("This circle is archived and no longer takes new members."))
    membership = circle.membership_of(user)
    if membership is not None and membership.status == MembershipStatus.active:
        raise AlreadyMember(circle)
    if membership is not None and membership.is_barred:
        raise MemberBarred()
    return membership


def _asked_identity(circle: Circle, membership: Membership | None, real_name: str | None,
                    student_no: str | None) -> tuple[str | None, str | None]:
    """What a person joining by themselves may set: the real name and number only when the circle
    asks for them, and not once the staff have set them (None: keep what is there)."""
    if membership is not None and membership.is_identity_locked:
        return None, None
    return (real_name if circle.require_real_name else None,
            student_no if circle.require_student_no else None)


def _prepare_self_join(circle: Circle, user: User, display_name: str | None, real_name: str | None,
                       student_no: str | None) -> dict:
    """The checks for someone letting themselves in, made before anything (an invite's use, a course
    code) is spent: not archived, not a member, not removed, the identity the circle asks for given,
    and the name and number free. Returns the identity arguments for _activate."""
    membership = _check_can_come_in(circle, user)
    real_name, student_no = _asked_identity(circle, membership, real_name, student_no)
    current_real = membership.real_name if membership is not None else None
    current_no = membership.student_no if membership is not None else None
    real = current_real if real_name is None else real_name
    number = current_no if student_no is None else student_no
    _check_identity(circle, real, number)
    if display_name is None:
        display_name = _free_display_name(circle, membership, membership.display_name if membership else user.name)
    _clean_identity(circle, membership, display_name, real, number)
    return {"display_name": display_name, "real_name": real_name, "student_no": student_no}


class AlreadyMember(CircleError):
    def __init__(self, circle: Circle):
        super().__init__(_l("You are already a member of this circle."))
        self.circle = circle


def join_with_invite(invite: Invite, user: User, *, display_name: str | None = None, real_name: str | None = None,
                     student_no: str | None = None) -> Membership:
    """Join through an invite link. Raises CircleError if it is revoked, expired or used up."""
    if invite.revoked_at is not None:
        raise CircleError(_l("This invite link was turned off by the teacher. Ask them for a new one."))
    if invite.is_expired:
        raise CircleError(_l("This invite link has expired. Ask the teacher for a new one."))
    if invite.is_used_up:
        raise CircleError(_l("This invite link has been used as many times as allowed. Ask the teacher for a new one."))
    circle = invite.circle
    identity = _prepare_self_join(circle, user, display_name, real_name, student_no)
    # Count the use atomically so two people cannot both take the last place.
    result = db.session.execute(
        db.update(Invite).where(Invite.id == invite.id,
                                db.or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses))
        .values(uses=Invite.uses + 1)
    )
    if result.rowcount != 1:
        raise CircleError(_l("This invite link has been used as many times as allowed. Ask the teacher for a new one."))
    db.session.refresh(invite, ["uses"])
    return _activate(circle, user, invite.role, via="invite", **identity)


def join_with_course_code(code: CourseCode, user: User, *, display_name: str | None = None,
                          real_name: str | None = None, student_no: str | None = None) -> Membership:
    """Redeem a single-use course code. Raises CircleError if it is used or expired."""
    if code.redeemed_at is not None and code.redeemed_by_id != user.id:
        raise CircleError(_l("This course code has already been used. Each code works once; ask the teacher for your own."))
    if code.is_expired:
        raise CircleError(_l("This course code has expired. Ask the teacher for a new one."))
    circle = code.circle
    identity = _prepare_self_join(circle, user, display_name, real_name, student_no)
    result = db.session.execute(
        db.update(CourseCode).where(CourseCode.id == code.id, CourseCode.redeemed_at.is_(None))
        .values(redeemed_at=utcnow(), redeemed_by_id=user.id)
    )
    if result.rowcount != 1:
        raise CircleError(_l("This course code has already been used. Each code works once; ask the teacher for your own."))
    db.session.refresh(code, ["redeemed_at", "redeemed_by_id"])
    return _activate(circle, user, Role.student, via="course_code", **identity)


def default_role(circle: Circle) -> Role:
    return Role.student if circle.kind == CircleKind.teaching else Role.member


def join_with_code(circle: Circle, user: User, *, display_name: str | None = None, real_name: str | None = None,
                   student_no: str | None = None, message: str | None = None) -> Membership:
    """Use the circle's join code: join at once, or ask to join when the circle needs approval."""
    if circle.join_policy == JoinPolicy.invite:
        raise CircleError(_l("This circle only takes members through invite links now. Ask the teacher for one."))
    if circle.join_policy == JoinPolicy.approval:
        return request_to_join(circle, user, display_name=display_name, real_name=real_name, student_no=student_no,
                               message=message)
    identity = _prepare_self_join(circle, user, display_name, real_name, student_no)
    return _activate(circle, user, default_role(circle), via="code", **identity)


def join_open_circle(circle: Circle, user: User, *, display_name: str | None = None, real_name: str | None = None,
                     student_no: str | None = None) -> Membership:
    """Join a circle whose policy is open."""
    if circle.join_policy != JoinPolicy.open:
        raise CircleError(_l("This circle cannot be joined directly."))
    identity = _prepare_self_join(circle, user, display_name, real_name, student_no)
    return _activate(circle, user, default_role(circle), via="open", **identity)


def request_to_join(circle: Circle, user: User, *, display_name: str | None = None, real_name: str | None = None,
                    student_no: str | None = None, message: str | None = None) -> Membership:
    """Ask to join a circle that needs approval; the staff see the request in the roster."""
    if circle.join_policy != JoinPolicy.approval:
        raise CircleError(_l("This circle does not take join requests."))
    identity = _prepare_self_join(circle, user, display_name, real_name, student_no)
    membership = circle.membership_of(user)
    display, real, number = _clean_identity(
        circle, membership, identity["display_name"],
        identity["real_name"] if identity["real_name"] is not None else (membership and membership.real_name),
        identity["student_no"] if identity["student_no"] is not None else (membership and membership.student_no))
    if membership is None:
        membership = Membership(circle_id=circle.id, user_id=user.id, user=user, role=default_role(circle))
        db.session.add(membership)
        circle.__dict__.setdefault("_membership_cache", {})[user.id] = membership
    membership.status = MembershipStatus.pending
    membership.display_name = display
    membership.real_name = real
    membership.student_no = number
    membership.request_message = (message or "").strip()[:500] or None
    membership.joined_at = utcnow()
    membership.joined_via = "request"
    db.session.flush()
    return membership


def approve_request(membership: Membership, actor: User) -> None:
    """Accept a pending join request."""
    if membership.status != MembershipStatus.pending:
        raise CircleError(_l("This request was already handled."))
    _activate(membership.circle, membership.user, membership.role, via="request")


def reject_request(membership: Membership, actor: User) -> None:
    """Turn down a pending join request."""
    if membership.status != MembershipStatus.pending:
        raise CircleError(_l("This request was already handled."))
    membership.status = MembershipStatus.rejected
    # A declined request claims nothing: its name and number are free for the real holder.
    membership.display_key = None
    membership.student_no = None


def add_member(circle: Circle, user: User, role: Role, *, via: str = "added", display_name: str | None = None,
               real_name: str | None = None, student_no: str | None = None, actor: User | None = None,
               readmit: bool = False) -> Membership:
    """Enrol `user` directly (staff adding someone, roster import, bulk enrolment, demo data).

    A removed member is refused (MemberBarred, worded for the staff) unless `readmit` is set by an
    `actor` who may manage the circle's members, naming this person explicitly (a teacher's roster
    import does): then it is a readmission, audited like readmit_member. A real name or number set
    by an `actor` other than the person locks them against the person's own edits.
    Raises IdentityError for a malformed or taken name or number.
    """
    membership = circle.membership_of(user)
    if membership is not None and membership.is_barred:
        if not (readmit and actor is not None and may_readmit(membership, actor)):
            raise MemberBarred(by_staff=True, name=membership.display_name)
        readmit_member(membership, actor, via=via, display_name=display_name, real_name=real_name,
                       student_no=student_no)
        return membership
    membership = _activate(circle, user, role, via=via, display_name=display_name, real_name=real_name,
                           student_no=student_no)
    if actor is not None and actor.id != user.id and (real_name or student_no) and not membership.is_staff:
        membership.is_identity_locked = True
    return membership


def may_readmit(membership: Membership, actor: User) -> bool:
    """Removed students come back by any staff member, removed staff only by the teachers."""
    circle = membership.circle
    return circle.can_change_roles(actor) if membership.is_staff else circle.can_manage_members(actor)


def readmit_member(membership: Membership, actor: User, *, via: str = "readmitted", display_name: str | None = None,
                   real_name: str | None = None, student_no: str | None = None) -> None:
    """Let a removed member back in, with the role they had; audited as member_readmitted.

    Only the staff can: a removed staff member only by the teachers (as for removing them).
    Raises CircleError if the person is not removed or `actor` may not readmit them; IdentityError
    if their name or number has been taken meanwhile.
    """
    if not membership.is_barred:
        raise CircleError(_l("%(name)s is not removed from this circle.", name=membership.display_name))
    if not may_readmit(membership, actor):
        if membership.is_staff:
            raise CircleError(_l("Only the circle's teachers can readmit staff."))
        raise CircleError(_l("Only the circle's staff can readmit members."))
    previous = membership.status
    _activate(membership.circle, membership.user, membership.role, via=via, display_name=display_name,
              real_name=real_name, student_no=student_no, readmitted_by=actor)
    if actor.id != membership.user_id and (real_name or student_no) and not membership.is_staff:
        membership.is_identity_locked = True
    record_event(AuditAction.member_readmitted, actor, target=membership,
                 details={"role": membership.role.value, "from": previous.value, "via": via})


# -- invites and course codes ----------------------------------------------------------------

def create_invite(circle: Circle, actor: User, *, role: Role, max_uses: int | None,
                  expires_at: datetime | None) -> Invite:
    """A new invite link. Only owners and teachers may invite staff; nobody invites an owner."""
    if role == Role.owner:
        raise CircleError(_l("An invite cannot make someone the owner."))
    if role in STAFF_ROLES and not circle.can_change_roles(actor):
        raise CircleError(_l("Only the circle's teachers can invite staff."))
    invite = Invite(circle=circle, circle_id=circle.id, token=secrets.token_urlsafe(16), role=role,
                    max_uses=max_uses, expires_at=expires_at, created_by_id=actor.id)
    db.session.add(invite)
    db.session.flush()
    return invite


def revoke_invite(invite: Invite) -> None:
    """Turn an invite link off for good."""
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()


def generate_course_codes(circle: Circle, count: int, *, batch: str, expires_at: datetime | None) -> list[CourseCode]:
    """Create `count` single-use course codes in one batch. Raises CircleError for a batch name that is
    not single-line text."""
    try:
        batch = clean_line(batch, max_length=40)
    except TextRejected as error:
        raise CircleError(str(error)) from None
    codes = []
    taken: set[str] = set()
    while len(codes) < count:
        value = random_code(COURSE_CODE_LENGTH)
        if value in taken:
            continue
        taken.add(value)
        codes.append(CourseCode(circle_id=circle.id, code=value, batch=batch.strip()[:40], expires_at=expires_at))
    db.session.add_all(codes)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a clash with an existing code: astronomically rare, try once more
        return generate_course_codes(circle, count, batch=batch, expires_at=expires_at)
    return codes


# -- the roster ------------------------------------------------------------------------------

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


def change_role(membership: Membership, role: Role, actor: User) -> None:
    """Give a member another role. The owner's role changes only by handing the circle over."""
    if role == Role.owner or membership.role == Role.owner:
        raise CircleError(_l("Use “Transfer ownership” to change the owner."))
    if membership.user_id == actor.id:
        raise CircleError(_l("You cannot change your own role."))
    if membership.role != role:
        record_event(AuditAction.member_role_changed, actor, target=membership,
                     details={"from": membership.role.value, "to": Role(role).value})
    membership.role = role


def transfer_ownership(circle: Circle, new_owner: Membership, actor: User) -> None:
    """Make another active member the owner; the old owner stays as a teacher."""
    if new_owner.status != MembershipStatus.active:
        raise CircleError(_l("Only an active member can become the owner."))
    if new_owner.role == Role.owner:
        return
    previous = []
    for old in db.session.scalars(db.select(Membership).where(Membership.circle_id == circle.id,
                                                              Membership.role == Role.owner)):
        old.role = Role.teacher
        previous.append(old.user_id)
    record_event(AuditAction.owner_changed, actor, target=new_owner,
                 details={"from": new_owner.role.value, "to": Role.owner.value, "previous_owner_ids": previous})
    new_owner.role = Role.owner


def remove_member(membership: Membership, actor: User) -> None:
    """Take someone out of the circle. Their work stays; they lose access at once."""
    circle = membership.circle
    if membership.role == Role.owner:
        raise CircleError(_l("The owner cannot be removed. Transfer ownership first."))
    if membership.user_id == actor.id:
        raise CircleError(_l("To leave the circle yourself, use “Leave circle”."))
    if membership.role in STAFF_ROLES and not circle.can_change_roles(actor):
        raise CircleError(_l("Only the circle's teachers can remove staff."))
    record_event(AuditAction.member_removed, actor, target=membership,
                 details={"role": membership.role.value, "from": membership.status.value})
    _deactivate(membership, MembershipStatus.removed)


def leave_circle(membership: Membership) -> None:
    """The member leaves. Owners must hand the circle over first."""
    if membership.role == Role.owner:
        raise CircleError(_l("You own this circle. Transfer ownership to someone else before leaving."))
    _deactivate(membership, MembershipStatus.left)


def _deactivate(membership: Membership, status: MembershipStatus) -> None:
    if membership.status == MembershipStatus.active:
        membership.circle.member_count = Circle.member_count - 1
    membership.status = status
    if status in RELEASED_STATUSES:  # someone who left frees their name; a removed member keeps it
        membership.display_key = None
    db.session.flush()
    db.session.refresh(membership.circle, ["member_count"])
