"""What the circles domain tells people through the notification service: a join request waiting for the
staff who manage members."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.circles.models import STAFF_ROLES, Membership, MembershipStatus
from lms.core.urls import path_for
from lms.extensions import db
from lms.notifications import Kind, notify, register_kind, register_staff_check

JOIN_REQUESTED = register_kind(Kind(
    "join_requested", _l("Someone asks to join a circle I manage"),
    _l("%(name)s asks to join %(circle)s."), staff_only=True))

MEMBER_MUTED = register_kind(Kind(
    "member_muted", _l("The staff mute me in a circle, or lift it"),
    _l("You are muted in %(circle)s until %(until_at)s: you can read but not write. Reason: %(reason)s"),
    variants=(("lifted", _l("You can write in %(circle)s again.")),)))

MEMBER_REMOVED = register_kind(Kind(
    "member_removed", _l("The staff remove me from a circle"),
    _l("You were removed from %(circle)s by the staff."),
    variants=(("reason", _l("You were removed from %(circle)s by the staff. Reason: %(reason)s")),)))


def _is_staff_somewhere(user) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(
        Membership.user_id == user.id, Membership.status == MembershipStatus.active,
        Membership.role.in_(STAFF_ROLES)))) or False


register_staff_check("circles", _is_staff_somewhere)


def join_requested(membership: Membership) -> None:
    """Tell the circle's active staff (who may approve) that `membership` asks to join; leaves after the
    commit. One query for the staff, whatever the circle's size."""
    circle = membership.circle
    staff = list(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.role.in_(STAFF_ROLES))))
    notify(JOIN_REQUESTED, staff, url=path_for("circles.members", circle_id=circle.id, status="pending"),
           params={"name": membership.display_name, "circle": circle.name}, circle_id=circle.id,
           subject=("join_request", membership.id), actor_id=membership.user_id)


def member_muted(membership: Membership, actor_id: int, reason: str) -> None:
    """Tell `membership`'s person that the staff muted them (until its muted_until) or lifted the mute,
    with the staff's reason; leaves after the commit."""
    circle = membership.circle
    params = {"circle": circle.name, "reason": reason}
    if membership.muted_until is None:
        params["variant"] = "lifted"
    else:
        params["until_at"] = membership.muted_until.isoformat()
    notify(MEMBER_MUTED, [membership.user_id], url=path_for("circles.home", circle_id=circle.id), params=params,
           circle_id=circle.id, subject=("membership", membership.id), actor_id=actor_id)


def member_removed(membership: Membership, actor_id: int, reason: str = "") -> None:
    """Tell `membership`'s person that the staff removed them from the circle, with the staff's reason when they
    gave one (the bell, and every open page of theirs through REMOVED_PUSH, lms.circles.operations.membership);
    leaves after the commit. The link goes to My circles: the circle's own pages are closed to them now."""
    circle = membership.circle
    params = {"circle": circle.name}
    if reason:
        params.update(variant="reason", reason=reason)
    notify(MEMBER_REMOVED, [membership.user_id], url=path_for("circles.index"), params=params,
           circle_id=circle.id, subject=("membership", membership.id), actor_id=actor_id)
