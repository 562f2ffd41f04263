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
from lms.circles.models import (STAFF_ROLES, Circle, CircleKind, CourseCode, Invite, JoinPolicy, Membership,
                                MembershipStatus, Role)
from lms.core.images import store_image
from lms.core.types import utcnow
from lms.extensions import db
from lms.orgs.models import Organization
from lms.storage import get_storage


class CircleError(ValueError):
    """A refused circle or membership change; the message is for the user."""


# -- circles ---------------------------------------------------------------------------------

def create_circle(owner: User, name: str, *, kind: CircleKind = CircleKind.teaching, description: str = "",
                  join_policy: JoinPolicy = JoinPolicy.code, org: Organization | None = None,
                  require_real_name: bool = False, require_student_no: bool = False,
                  owner_display_name: str | None = None) -> Circle:
    """Create a circle with `owner` as its owner member, and a join code."""
    circle = Circle(name=name.strip(), kind=kind, description=description, join_policy=join_policy, org=org,
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
    default, False (the default) to keep it."""
    if timezone is not False:
        circle.timezone = timezone or None
    circle.name = name.strip()
    circle.description = description
    circle.kind = kind
    circle.join_policy = join_policy
    circle.require_real_name = require_real_name
    circle.require_student_no = require_student_no
    if circle.join_code is None:
        circle.join_code = _unique_code(Circle.join_code, JOIN_CODE_LENGTH)


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
              real_name: str | None = None, student_no: str | None = None) -> Membership:
    """Make `user` an active member (new row, or a returning member's old row)."""
    membership = circle.membership_of(user)
    if membership is None:
        membership = Membership(circle_id=circle.id, user_id=user.id, user=user, role=role)
        db.session.add(membership)
        circle.__dict__.setdefault("_membership_cache", {})[user.id] = membership
    elif membership.status == MembershipStatus.active:
        return membership
    membership.role = role
    membership.status = MembershipStatus.active
    membership.display_name = (display_name or membership.display_name or user.name).strip()
    membership.real_name = (real_name or membership.real_name or None)
    membership.student_no = (student_no or membership.student_no or None)
    membership.joined_at = utcnow()
    membership.joined_via = via
    circle.member_count = Circle.member_count + 1
    db.session.flush()
    db.session.refresh(circle, ["member_count"])
    return membership


def _check_identity(circle: Circle, real_name: str | None, student_no: str | None) -> None:
    if circle.require_real_name and not (real_name or "").strip():
        raise CircleError(_l("This circle asks for your real name."))
    if circle.require_student_no and not (student_no or "").strip():
        raise CircleError(_l("This circle asks for your student number."))


def _check_can_come_in(circle: Circle, user: User, explicit_grant: bool) -> Membership | None:
    """Refuse archived circles, and (unless invited explicitly) people the staff removed."""
    if circle.is_archived:
        raise CircleError(_l("This circle is archived and no longer takes new members."))
    membership = circle.membership_of(user)
    if membership is not None and membership.status == MembershipStatus.active:
        raise AlreadyMember(circle)
    if membership is not None and membership.status == MembershipStatus.removed and not explicit_grant:
        raise CircleError(_l("You were removed from this circle. Ask the teacher for an invite link."))
    return membership


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
    _check_can_come_in(circle, user, explicit_grant=True)
    _check_identity(circle, real_name, student_no)
    # Count the use atomically so two people cannot both take the last place.
    result = db.session.execute(
        db.update(Invite).where(Invite.id == invite.id,
                                db.or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses))
        .values(uses=Invite.uses + 1)
    )
    if result.rowcount != 1:
        raise CircleError(_l("This invite link has been used as many times as allowed. Ask the teacher for a new one."))
    db.session.refresh(invite, ["uses"])
    return _activate(circle, user, invite.role, via="invite", display_name=display_name, real_name=real_name,
                     student_no=student_no)


def join_with_course_code(code: CourseCode, user: User, *, display_name: str | None = None,
                          real_name: str | None = None, student_no: str | None = None) -> Membership:
    """Redeem a single-use course code. Raises CircleError if it is used or expired."""
    if code.redeemed_at is not None and code.redeemed_by_id != user.id:
        raise CircleError(_l("This course code has already been used. Each code works once; ask the teacher for your own."))
    if code.is_expired:
        raise CircleError(_l("This course code has expired. Ask the teacher for a new one."))
    circle = code.circle
    _check_can_come_in(circle, user, explicit_grant=True)
    _check_identity(circle, real_name, student_no)
    result = db.session.execute(
        db.update(CourseCode).where(CourseCode.id == code.id, CourseCode.redeemed_at.is_(None))
        .values(redeemed_at=utcnow(), redeemed_by_id=user.id)
    )
    if result.rowcount != 1:
        raise CircleError(_l("This course code has already been used. Each code works once; ask the teacher for your own."))
    db.session.refresh(code, ["redeemed_at", "redeemed_by_id"])
    return _activate(circle, user, Role.student, via="course_code", display_name=display_name, real_name=real_name,
                     student_no=student_no)


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
    _check_can_come_in(circle, user, explicit_grant=False)
    _check_identity(circle, real_name, student_no)
    return _activate(circle, user, default_role(circle), via="code", display_name=display_name, real_name=real_name,
                     student_no=student_no)


def join_open_circle(circle: Circle, user: User, *, display_name: str | None = None, real_name: str | None = None,
                     student_no: str | None = None) -> Membership:
    """Join a circle whose policy is open."""
    if circle.join_policy != JoinPolicy.open:
        raise CircleError(_l("This circle cannot be joined directly."))
    _check_can_come_in(circle, user, explicit_grant=False)
    _check_identity(circle, real_name, student_no)
    return _activate(circle, user, default_role(circle), via="open", display_name=display_name, real_name=real_name,
                     student_no=student_no)


def request_to_join(circle: Circle, user: User, *, display_name: str | None = None, real_name: str | None = None,
                    student_no: str | None = None, message: str | None = None) -> Membership:
    """Ask to join a circle that needs approval; the staff see the request in the roster."""
    if circle.join_policy != JoinPolicy.approval:
        raise CircleError(_l("This circle does not take join requests."))
    membership = _check_can_come_in(circle, user, explicit_grant=False)
    _check_identity(circle, real_name, student_no)
    if membership is None:
        membership = Membership(circle_id=circle.id, user_id=user.id, user=user, role=default_role(circle))
        db.session.add(membership)
        circle.__dict__.setdefault("_membership_cache", {})[user.id] = membership
    membership.status = MembershipStatus.pending
    membership.display_name = (display_name or user.name).strip()
    membership.real_name = real_name or None
    membership.student_no = student_no or None
    membership.request_message = (message or "").strip()[:500] or None
    membership.joined_at = utcnow()
    membership.joined_via = "request"
    db.session.flush()
    return membership


def approve_request(membership: Membership, actor: User) -> None:
    """Accept a pending join request."""
    if membership.status != MembershipStatus.pending:
        raise CircleError(_l("This request was already handled."))
    membership.status = MembershipStatus.rejected  # _activate re-activates and counts the member
    _activate(membership.circle, membership.user, membership.role, via="request")


def reject_request(membership: Membership, actor: User) -> None:
    """Turn down a pending join request."""
    if membership.status != MembershipStatus.pending:
        raise CircleError(_l("This request was already handled."))
    membership.status = MembershipStatus.rejected


def add_member(circle: Circle, user: User, role: Role, *, via: str = "added", display_name: str | None = None,
               real_name: str | None = None, student_no: str | None = None) -> Membership:
    """Enrol `user` directly (staff adding someone, roster import, demo data)."""
    return _activate(circle, user, role, via=via, display_name=display_name, real_name=real_name,
                     student_no=student_no)


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
    """Create `count` single-use course codes in one batch."""
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

def update_identity(membership: Membership, *, display_name: str, real_name: str | None,
                    student_no: str | None) -> None:
    """Change how a member appears in the circle (the same everywhere in it).

    Raises CircleError if a student or member would blank the real name or student number the
    circle asks for (staff are not asked for them).
    """
    if not membership.is_staff:
        _check_identity(membership.circle, real_name, student_no)
    membership.display_name = display_name.strip()
    membership.real_name = (real_name or "").strip() or None
    membership.student_no = (student_no or "").strip() or None


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
    db.session.flush()
    db.session.refresh(membership.circle, ["member_count"])
