"""People letting themselves in: invite links, course codes, the join code, open circles, join requests
and their approval."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.circles import notifications
from lms.circles.models import Circle, CourseCode, Invite, JoinPolicy, Membership, MembershipStatus, Role
from lms.circles.operations.errors import AlreadyMember, CircleError, MemberBarred
from lms.circles.operations.identity import _check_identity, _clean_identity, _free_display_name
from lms.circles.operations.membership import _activate, default_role
from lms.core.types import utcnow
from lms.extensions import db


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
    notifications.join_requested(membership)
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
