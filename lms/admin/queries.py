"""Reads for the site administrator's area."""
from __future__ import annotations

from flask import abort

from lms.accounts.models import User
from lms.circles.models import Circle
from lms.extensions import db
from lms.orgs.models import Organization


def site_counts() -> dict[str, int]:
    """How many accounts (and how many are disabled or admins), organizations and circles exist."""
    users, disabled, admins = db.session.execute(
        db.select(db.func.count(User.id),
                  db.func.count(User.id).filter(User.is_disabled.is_(True)),
                  db.func.count(User.id).filter(User.is_admin.is_(True)))
    ).one()
    return {
        "users": users,
        "disabled": disabled,
        "admins": admins,
        "orgs": db.session.scalar(db.select(db.func.count(Organization.id))) or 0,
        "circles": db.session.scalar(db.select(db.func.count(Circle.id))) or 0,
    }


def get_user_or_404(user_id: int) -> User:
    """Any account by id, for the site admin's user actions; 404 if there is none."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user
