"""Reads of the calendar: a person's feed token, the owner of a feed address, the circles a personal
calendar covers."""
from __future__ import annotations

from lms.accounts.models import User
from lms.calendar.models import CalendarToken
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.extensions import db


def calendar_token_of(user: User) -> CalendarToken | None:
    return db.session.scalar(db.select(CalendarToken).where(CalendarToken.user_id == user.id))


def feed_owner(token: str) -> User | None:
    """Whose feed `token` opens: a person whose account is not disabled; None for an unknown, replaced
    or malformed token (one query)."""
    if not token or len(token) > 64:
        return None
    row = db.session.scalar(db.select(CalendarToken).where(CalendarToken.token == token))
    if row is None or row.user.is_disabled:
        return None
    return row.user


def my_calendar_circles(user: User) -> list[Circle]:
    """The circles a person's own calendar and feed cover: those they are an active member of, by name
    (one query). Circles they only oversee (an organization's admin) stay out of it."""
    return list(db.session.scalars(
        db.select(Circle).join(Membership, Membership.circle_id == Circle.id)
        .where(Membership.user_id == user.id, Membership.status == MembershipStatus.active)
        .order_by(Circle.sort_key, Circle.name, Circle.id)))
