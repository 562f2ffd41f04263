"""Reads of accounts."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, g, has_request_context, request
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.hooks import avatar_rules, session_facts
from lms.accounts.models import RegistrationRequest, User, UserSession
from lms.core.i18n import browser_locale
from lms.core.types import utcnow
from lms.extensions import db


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def _session_limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return timedelta(seconds=config["SESSION_IDLE_SECONDS"]), timedelta(seconds=config["SESSION_MAX_SECONDS"])


def _session_query(app) -> sa.Select:
    """One indexed lookup (token_hash is unique) with its user and the facts other domains registered
    (lms.accounts.hooks.register_session_fact); built once per app, as it runs on every request."""
    built = app.extensions.get("lms.accounts.session_query")
    if built is None:
        facts = session_facts(app)
        # the session and its user as two entities of one row: cheaper to load than a joined eager load
        built = (db.select(UserSession, User, *(fact(UserSession.user_id).label(name) for name, fact in facts.items()))
                 .join(User, User.id == UserSession.user_id)
                 .where(UserSession.token_hash == db.bindparam("token_hash")))
        app.extensions["lms.accounts.session_query"] = built
    return built


def load_session_user(token: str) -> User | None:
    """Flask-Login's loader, for the session cookie, the remember cookie and Socket.IO alike: the
    user of a live UserSession with this token, or None (unknown, ended, expired, disabled).
    A token of a session that was ended or expired sets ``g.ended_session`` (for explaining it once);
    an unknown token sets nothing.

    last_seen_at (and the address) is refreshed at most every SESSION_TOUCH_SECONDS, in a short
    transaction of its own, so a page that changes nothing still writes nothing most of the time.
    """
    if not token or len(token) > 100:
        return None
    found = db.session.execute(_session_query(current_app), {"token_hash": UserSession.hash_token(token)}).first()
    now = utcnow()
    if found is None:
        return None
    row, user = found[0], found[1]
    set_committed_value(row, "user", user)  # as a joined load would have: row.user costs no query
    if not row.is_live(now, *_session_limits()):
        if has_request_context():
            g.ended_session = True
        return None
    if user.is_disabled:
        return None
    if (now - row.last_seen_at).total_seconds() >= current_app.config["SESSION_TOUCH_SECONDS"]:
        _touch(row, now)
    user.session_token, user.current_session = token, row
    user.session_facts = dict(zip(session_facts(current_app), found[2:]))
    remember_browser_locale(user)
    return user


def remember_browser_locale(user: User) -> None:
    """Keep on the account the shipped locale this request's browser reads (lms.core.i18n.browser_locale),
    so mail and notifications sent while the person is away follow their browser too. Written only
    when it changed, in a short transaction of its own (a page that changes nothing writes nothing)."""
    found = browser_locale()
    if not found or found == user.browser_locale:
        return
    _write_after_request(
        sa.update(User.__table__).where(User.__table__.c.id == user.id).values(browser_locale=found),
        f"could not record the browser language of user {user.id}")
    set_committed_value(user, "browser_locale", found)


def _touch(row: UserSession, now) -> None:
    ip = request.remote_addr[:45] if has_request_context() and request.remote_addr else row.ip
    session_id = row.id
    _write_after_request(
        sa.update(UserSession.__table__).where(UserSession.__table__.c.id == session_id).values(last_seen_at=now, ip=ip),
        f"could not record that session {session_id} was seen")
    set_committed_value(row, "last_seen_at", now)
    set_committed_value(row, "ip", ip)


def _write_after_request(statement: sa.Update, failure: str) -> None:
    """Run `statement` at once in a short transaction of its own, after the request's session has given
    its connection back. Taking a second pooled connection while the session still holds one deadlocks
    under load: with as many requests as the pool has connections, every thread holds one and waits
    for another (seen in the 500-student upload rush: 397 hand-ins lost). When the person is loaded
    the session has only read (the session lookup), so ending that read transaction loses nothing;
    its objects stay loaded (no expiry), so the page costs no extra query."""
    session = db.session()
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except sa.exc.OperationalError:  # a busy SQLite writer: the next request tries again
        current_app.logger.warning(failure)


def list_live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still sign someone in, most recently seen first."""
    now = utcnow()
    rows = db.session.scalars(db.select(UserSession)
                              .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                              .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [row for row in rows if row.is_live(now, *_session_limits())]


def get_session_or_404(user: User, session_id: int) -> UserSession:
    """One of `user`'s own sessions; another person's (or an unknown id) is 404."""
    row = db.session.get(UserSession, session_id)
    if row is None or not row.can_end(user):
        abort(404)
    return row


def get_registration_request(token: str) -> RegistrationRequest | None:
    """The pending registration a mailed link is for, or None if unknown, finished or expired."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(db.select(RegistrationRequest)
                            .where(RegistrationRequest.token_hash == UserSession.hash_token(token)))
    max_age = timedelta(seconds=current_app.config["REGISTRATION_MAX_AGE"])
    return row if row is not None and row.is_live(utcnow(), max_age) else None


def site_is_set_up() -> bool:
    return db.session.scalar(db.select(User.id).limit(1)) is not None


def list_users(search: str | None, page: int, per_page: int = 50):
    query = db.select(User).order_by(User.id)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(db.or_(User.email.like(like), db.func.lower(User.name).like(like)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def visible_avatar_key(viewer: User, user_id: int) -> str | None:
    """The storage key of `user_id`'s avatar if `viewer` may see it, in one query; None otherwise.

    Who may: the person, site admins, and whoever a registered rule names (lms/accounts/hooks.py):
    members of a circle they share (lms/circles), people of an organization they share and the admins
    of an organization with a circle they belong to (lms/orgs). Everyone else is told nothing (the
    caller answers 404).
    """
    query = db.select(User.avatar_key).where(User.id == user_id, User.avatar_key.is_not(None))
    if not (viewer.is_admin or viewer.id == user_id):
        rules = [rule(viewer, user_id) for rule in avatar_rules()]
        query = query.where(sa.or_(*rules) if rules else sa.false())
    return db.session.scalar(query)
