"""Memberships: the one way in (`_activate`), staff enrolment and readmission, roles, ownership, removal
and leaving."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.departures import membership_ended, staff_role_changed
from lms.circles.models import RELEASED_STATUSES, STAFF_ROLES, Circle, CircleKind, Membership, MembershipStatus, Role
from lms.circles.operations.errors import CircleError, MemberBarred
from lms.circles.operations.identity import _clean_identity, _free_display_name
from lms.core.types import utcnow
from lms.extensions import db


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


def default_role(circle: Circle) -> Role:
    return Role.student if circle.kind == CircleKind.teaching else Role.member


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


def change_role(membership: Membership, role: Role, actor: User) -> None:
    """Give a member another role. The owner's role changes only by handing the circle over."""
    if role == Role.owner or membership.role == Role.owner:
        raise CircleError(_l("Use “Transfer ownership” to change the owner."))
    if membership.user_id == actor.id:
        raise CircleError(_l("You cannot change your own role."))
    if membership.role != role:
        record_event(AuditAction.member_role_changed, actor, target=membership,
                     details={"from": membership.role.value, "to": Role(role).value})
    was_staff = membership.is_staff
    membership.role = role
    if membership.is_staff != was_staff:  # open connections (chat) re-check what the person may hear
        staff_role_changed(membership)


def transfer_ownership(circle: Circle, new_owner: Membership, actor: User) -> None:
    """Make another active member the owner; the old owner stays as a teacher."""
    if new_owner.status != MembershipStatus.active:
        raise CircleError(_l("Only an active member can become the owner."))
    if new_owner.role == Role.owner:
        return
    previous, previous_names = [], []
    for old in db.session.scalars(db.select(Membership).where(Membership.circle_id == circle.id,
                                                              Membership.role == Role.owner)):
        old.role = Role.teacher
        previous.append(old.user_id)
        previous_names.append(old.display_name)
    record_event(AuditAction.owner_changed, actor, target=new_owner,
                 details={"from": new_owner.role.value, "to": Role.owner.value, "previous_owner_ids": previous,
                          "previous_owners": previous_names})
    was_staff = new_owner.is_staff
    new_owner.role = Role.owner
    if not was_staff:  # open connections (chat) re-check what the person may hear
        staff_role_changed(new_owner)


#: what every open page of a removed member hears (default namespace): {"circle_id", "circle" (its name)};
#: static/js/circles/muted.js and static/js/chat.js say it where they would write and stop the writing
REMOVED_PUSH = "member_removed"


#: the longest reason for a removal the removed member reads
REMOVAL_REASON_MAX = 1000


def remove_member(membership: Membership, actor: User, reason: str = "", *, notice: bool = True) -> None:
    """Take someone out of the circle. Their work stays; they lose access at once and are told, with `reason`
    when the staff give one (recorded in the audit log too). `notice` False: the caller tells them in its own
    words (a moderation ban); their open pages still hear it at once. Raises CircleError for the owner, oneself,
    staff removed by someone who cannot change roles, a reason over REMOVAL_REASON_MAX characters."""
    reason = (reason or "").strip()
    if len(reason) > REMOVAL_REASON_MAX:
        raise CircleError(_l("A reason has at most %(num)d characters.", num=REMOVAL_REASON_MAX))
    circle = membership.circle
    if membership.role == Role.owner:
        raise CircleError(_l("The owner cannot be removed. Transfer ownership first."))
    if membership.user_id == actor.id:
        raise CircleError(_l("To leave the circle yourself, use “Leave circle”."))
    if membership.role in STAFF_ROLES and not circle.can_change_roles(actor):
        raise CircleError(_l("Only the circle's teachers can remove staff."))
    record_event(AuditAction.member_removed, actor, target=membership,
                 details={"role": membership.role.value, "from": membership.status.value,
                          **({"reason": reason} if reason else {})})
    was_active = membership.status == MembershipStatus.active
    _deactivate(membership, MembershipStatus.removed)
    if was_active:  # they are told in the bell, and every open page of theirs says it at once (after the commit)
        from lms.circles import notifications
        from lms.core.realtime import emit_to_user

        if notice:
            notifications.member_removed(membership, actor.id, reason)
        emit_to_user(membership.user_id, REMOVED_PUSH, {"circle_id": circle.id, "circle": circle.name})


def leave_circle(membership: Membership) -> None:
    """The member leaves. Owners must hand the circle over first."""
    if membership.role == Role.owner:
        raise CircleError(_l("You own this circle. Transfer ownership to someone else before leaving."))
    _deactivate(membership, MembershipStatus.left)


def _deactivate(membership: Membership, status: MembershipStatus) -> None:
    was_active = membership.status == MembershipStatus.active
    if was_active:
        membership.circle.member_count = Circle.member_count - 1
    membership.status = status
    if status in RELEASED_STATUSES:  # someone who left frees their name; a removed member keeps it
        membership.display_key = None
    db.session.flush()
    db.session.refresh(membership.circle, ["member_count"])
    if was_active:  # their open connections (chat) close at once, once this commits
        membership_ended(membership)
