"""Reads of accounts."""
from __future__ import annotations

from lms.accounts.models import User
from lms.extensions import db


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so old sessions stop working."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or user.is_disabled:
        return None
    return user


def site_is_set_up() -> bool:
    return db.session.scalar(db.select(User.id).limit(1)) is not None


def list_users(search: str | None, page: int, per_page: int = 50):
    query = db.select(User).order_by(User.id)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(db.or_(User.email.like(like), db.func.lower(User.name).like(like)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
