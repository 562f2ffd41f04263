"""How the accounts' audit events read on the log (lms/audit/registry.py), and where the log finds the
current names of people."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.registry import describe_details, register_actors, register_names
from lms.extensions import db


def user_names(ids: set[int]) -> dict[int, str]:
    """The current name of each account, in one query."""
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())


def users_matching(like: str) -> sa.Select:
    """The ids of the accounts whose current name or email matches the (lower-case, escaped) LIKE pattern."""
    return sa.select(User.id).where(sa.or_(sa.func.lower(User.name).like(like, escape="\\"),
                                           User.email.like(like, escape="\\")))


def register(app: Flask) -> None:
    """Tell the audit log of `app` how the accounts' events read (called when the blueprint is registered)."""
    describe_details(app, labels={"new_account": _l("New account")})
    register_names(app, "users", user_names)
    register_actors(app, users_matching)
