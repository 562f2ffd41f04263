"""Every state change of accounts. Operations flush; the request (or CLI command) commits."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import get_locale, lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lms.accounts.models import RegistrationRequest, User, UserSession
from lms.accounts.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from lms.accounts.queries import get_user_by_email
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.core.i18n import recipient_locale
from lms.core.images import store_image
from lms.core.inputs import TextRejected, clean_line
from lms.core.mail import send_mail
from lms.core.realtime import disconnect_room, session_room
from lms.core.urls import external_url, is_local_path
from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import delete_stored_after_commit, discard_stored_on_rollback


class AccountError(ValueError):
    """A refused account change; the message is for the user."""


class AccountSuspended(AccountError):
    """The right password for an account a site admin disabled."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


#: the length of User.name (and RegistrationRequest.name)
NAME_MAX = 100


def clean_name(name: str | None) -> str:
    """A person's name as it is stored: NFC, stripped, and the single-line rule every form applies
    (lms.core.inputs.clean_line), so that a path without a form (`flask users create-admin`, the demo
    loader, an API) cannot store a blank, invisible (U+200B, U+3164), multi-line or bidi-override name.
    Raises AccountError with the reason."""
    try:
        return clean_line(name, max_length=NAME_MAX)
    except TextRejected as error:
        raise AccountError(_l("Name: %(problem)s", problem=str(error))) from None


def register_user(email: str, password: str, name: str, *, timezone: str | None = None,
                  locale: str | None = None, is_admin: bool = False) -> User:
    """Create an account. Raises AccountError if the email is already registered or the name is not a
    single line of visible text (see `clean_name`)."""
    email = normalize_email(email)
    name = clean_name(name)
    if get_user_by_email(email) is not None:
        raise AccountError(_l("An account with this email already exists. Sign in, or reset your password if you forgot it."))
    user = User(email=email, password_hash=hash_password(password), name=name,
                timezone=timezone or None, locale=locale or None, is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    if is_admin:  # first-run set-up and `flask users create-admin`: no acting user
        record_event(AuditAction.admin_granted, None, target=user, details={"new_account": True})
    return user


class AccountExists(AccountError):
    """The address of a registration being finished got an account meanwhile."""


def request_registration(email: str, password: str, name: str, *, timezone: str | None = None,
                         locale: str | None = None, next_path: str | None = None) -> None:
    """Start a registration without revealing whether the address already has an account.

    A new address gets a RegistrationRequest and a mail with the link that finishes it (valid
    REGISTRATION_MAX_AGE seconds); no account exists before that. A known address gets a mail to
    its owner saying someone tried, with links to sign in and to reset the password. Both paths
    hash the password (the slow step), so they take about as long. Mail is sent after commit.
    Raises AccountError for a name that is not a single line of visible text (see `clean_name`),
    before the address is looked at.
    """
    email = normalize_email(email)
    name = clean_name(name)
    password_hash = hash_password(password)
    user = get_user_by_email(email)
    if user is not None:
        if not user.is_disabled:
            next_value = next_path if is_local_path(next_path) else None
            send_mail(user.email, _l("Someone tried to register with your address"),
                      "accounts/registration_attempt", locale=recipient_locale(user),
                      user=user, login_link=external_url("accounts.login", next=next_value),
                      reset_link=external_url("accounts.forgot_password"))
        return
    max_age = current_app.config["REGISTRATION_MAX_AGE"]
    db.session.execute(db.delete(RegistrationRequest)
                       .where(RegistrationRequest.created_at < utcnow() - timedelta(seconds=max_age)))
    token = secrets.token_urlsafe(32)
    db.session.add(RegistrationRequest(token_hash=UserSession.hash_token(token), email=email, name=name,
                                       password_hash=password_hash, timezone=timezone or None,
                                       locale=locale or None, next_path=(next_path or None) and next_path[:500]))
    db.session.flush()
    send_mail(email, _l("Finish creating your Circles account"), "accounts/confirm_registration",
              locale=locale or str(get_locale()), name=name,
              link=external_url("accounts.confirm_registration", token=token), hours=max_age // 3600)


def confirm_registration(pending: RegistrationRequest, password: str) -> User:
    """Create the account a registration request describes, once its link is opened and the
    password chosen at registration is given again (so someone who registered another person's
    address cannot have that person open an account whose password they know).
    Raises AccountError for a wrong password, AccountExists if the address has an account by now
    (every pending request for the address is then dropped)."""
    if not verify_password(pending.password_hash, password):
        raise AccountError(_l("This is not the password you chose when you registered."))
    email = pending.email
    existing = get_user_by_email(email)
    db.session.execute(db.delete(RegistrationRequest).where(RegistrationRequest.email == email))
    if existing is not None:
        raise AccountExists(_l("This address already has an account. Sign in with it."))
    user = User(email=email, password_hash=pending.password_hash, name=clean_name(pending.name),
                timezone=pending.timezone, locale=pending.locale)
    db.session.add(user)
    db.session.flush()
    return user


def create_first_admin(email: str, password: str, name: str, timezone: str | None = None) -> User:
    """Create the site administrator on first run. Raises AccountError once any account exists."""
    if db.session.scalar(db.select(User.id).limit(1)) is not None:
        raise AccountError(_l("This site is already set up. Sign in instead."))
    return register_user(email, password, name, timezone=timezone, is_admin=True)


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password match, or None. Same work whether or not the email exists.
    Raises AccountSuspended when the password is right but the account is disabled (told only to someone who
    knew the password, so an address alone reveals nothing); a merged account is None, as before."""
    user = get_user_by_email(normalize_email(email))
    if user is None:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if user.is_disabled:
        if user.merged_into_id is None:
            raise AccountSuspended(_l("This account is suspended. Ask the site's administrators if you think "
                                      "this is a mistake."))
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_reset_token(user: User) -> str:
    # The token carries a fragment of the current hash: once the password changes it is void.
    return _reset_serializer().dumps({"u": user.id, "h": user.password_hash[-16:]})


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way (no enumeration)."""
    user = get_user_by_email(normalize_email(email))
    if user is None or user.is_disabled:
        return
    link = external_url("accounts.reset_password", token=password_reset_token(user))
    send_mail(user.email, _l("Reset your Circles password"), "accounts/reset_password",
              locale=recipient_locale(user), user=user, link=link,
              minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)


def user_for_reset_token(token: str) -> User:
    """The user a reset token is for. Raises AccountError if it is expired, used or forged."""
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise AccountError(_l("This reset link has expired. Ask for a new one below.")) from None
    except BadSignature:
        raise AccountError(_l("This reset link is not valid. Ask for a new one below.")) from None
    user = db.session.get(User, data.get("u"))
    if user is None or user.password_hash[-16:] != data.get("h") or user.is_disabled:
        raise AccountError(_l("This reset link was already used. Ask for a new one below."))
    return user


def set_password(user: User, password: str, *, except_session: UserSession | None = None) -> None:
    """Set a new password and end every session of the user but `except_session` (a reset passes
    none: whoever had the old password is signed out everywhere)."""
    user.password_hash = hash_password(password)
    end_sessions(user, except_session=except_session)


def change_password(user: User, current: str, new: str, *, except_session: UserSession | None = None) -> None:
    """Change the password after checking the current one, ending every other session.
    Raises AccountError if the current password is wrong."""
    if not verify_password(user.password_hash, current):
        raise AccountError(_l("Your current password is not right."))
    set_password(user, new, except_session=except_session)


def start_session(user: User, *, user_agent: str | None, ip: str | None, remember: bool = False) -> str:
    """Record a sign-in as a new UserSession and return its token (43 URL-safe characters), the
    only thing the cookies will carry; the row keeps its SHA-256. Sets `user.session_token` and
    `user.current_session` so Flask-Login's login_user(user) stores the token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(user=user, token_hash=UserSession.hash_token(token), created_at=now, last_seen_at=now,
                      user_agent=(user_agent or "")[:300], ip=(ip or None) and ip[:45],
                      is_remembered=remember)
    db.session.add(row)
    user.last_login_at = now
    db.session.flush()
    user.session_token, user.current_session = token, row
    return token


def end_session(row: UserSession) -> None:
    """Sign one session out: its cookies (and every copy of them) stop working at once."""
    if row.ended_at is None:
        row.ended_at = utcnow()
        disconnect_room(session_room(row.id))


#: ended or expired sessions stay listed in the database this long (for an administrator's questions)
ENDED_SESSION_KEEP = timedelta(days=30)


def purge_sessions(now: datetime | None = None) -> tuple[int, int]:
    """Delete session rows ended or expired more than ENDED_SESSION_KEEP ago, and registration
    requests past REGISTRATION_MAX_AGE; returns (sessions, registrations) deleted."""
    now = now or utcnow()
    config = current_app.config
    cutoff = now - ENDED_SESSION_KEEP
    idle, longest = timedelta(seconds=config["SESSION_IDLE_SECONDS"]), timedelta(seconds=config["SESSION_MAX_SECONDS"])
    sessions = db.session.execute(db.delete(UserSession).where(db.or_(
        UserSession.ended_at < cutoff,
        UserSession.created_at < cutoff - longest,
        db.and_(UserSession.is_remembered.is_(False), UserSession.last_seen_at < cutoff - idle),
    ))).rowcount
    registrations = db.session.execute(db.delete(RegistrationRequest).where(
        RegistrationRequest.created_at < now - timedelta(seconds=config["REGISTRATION_MAX_AGE"]))).rowcount
    return sessions, registrations


def end_sessions(user: User, *, except_session: UserSession | None = None) -> int:
    """End every open session of `user` except `except_session`; returns how many were ended."""
    query = db.select(UserSession.id).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if except_session is not None:
        query = query.where(UserSession.id != except_session.id)
    ids = list(db.session.scalars(query))
    if ids:
        db.session.execute(db.update(UserSession).where(UserSession.id.in_(ids)).values(ended_at=utcnow())
                           .execution_options(synchronize_session="fetch"))
    for session_id in ids:
        disconnect_room(session_room(session_id))
    return len(ids)


def update_profile(user: User, *, name: str, locale: str | None, timezone: str | None,
                   avatar=None, remove_avatar: bool = False) -> None:
    """Change name, language, timezone and avatar. Raises AccountError for a name that is not a single
    line of visible text (see `clean_name`), ImageRejected for a bad avatar."""
    user.name = clean_name(name)
    user.locale = locale or None
    user.timezone = timezone or None
    # Files follow the transaction: the old avatar goes once the change commits, a new one if it rolls back.
    if avatar is not None:
        old = user.avatar_key
        user.avatar_key = store_image(avatar, "avatars")
        discard_stored_on_rollback(user.avatar_key)
        if old:
            delete_stored_after_commit(old)
    elif remove_avatar and user.avatar_key:
        delete_stored_after_commit(user.avatar_key)
        user.avatar_key = None


def set_site_admin(user: User, is_admin: bool, actor: User) -> None:
    """Grant or revoke site administration. An admin cannot revoke their own."""
    if user.id == actor.id and not is_admin:
        raise AccountError(_l("You cannot remove your own administrator rights."))
    if user.is_admin != is_admin:
        record_event(AuditAction.admin_granted if is_admin else AuditAction.admin_revoked, actor, target=user)
    user.is_admin = is_admin


def set_disabled(user: User, disabled: bool, actor: User) -> None:
    """Disable (sign out everywhere, refuse sign-in) or re-enable an account."""
    if user.id == actor.id:
        raise AccountError(_l("You cannot disable your own account."))
    if user.is_disabled != disabled:
        record_event(AuditAction.account_disabled if disabled else AuditAction.account_enabled, actor, target=user)
    user.is_disabled = disabled
    if disabled:
        end_sessions(user)
