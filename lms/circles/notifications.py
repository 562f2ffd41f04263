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
