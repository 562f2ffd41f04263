"""User accounts."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lms.core.collation import KEY_LENGTH, sort_key
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  #: stored lower-cased
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(100))
    #: how the name sorts (lms.core.collation.sort_key: Chinese by pinyin), kept by its setter
    sort_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), default="", server_default="")
    locale: Mapped[str | None] = mapped_column(sa.String(10))  #: None: follow the browser
    #: the shipped locale that best matches the browser's languages, as last seen (sign-in and requests);
    #: mail and notifications use it when `locale` is None ("same as my browser")
    browser_locale: Mapped[str | None] = mapped_column(sa.String(16))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    avatar_key: Mapped[str | None] = mapped_column(sa.String(200))  #: storage key, random
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    #: the account this one was merged into (lms/merge); set together with is_disabled
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: the raw token of the session this object was loaded or signed in through (never stored);
    #: set by accounts.operations.start_session and the session loader
    session_token = None
    #: the UserSession row of that token
    current_session = None
    #: facts other domains asked to read with the session (lms.accounts.hooks.register_session_fact):
    #: name → value; None when the user was not loaded through a session
    session_facts = None

    @validates("name")
    def _keep_sort_key(self, _key, value):
        self.sort_key = sort_key(value)
        return value

    def get_id(self) -> str:
        """Flask-Login's id is the session token (its "alternative token"), not the user id: the
        session and remember cookies carry only it, and ending the row voids every copy of them."""
        if not self.session_token:
            raise RuntimeError("sign in through accounts.operations.start_session")
        return self.session_token

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    def can_administer_site(self) -> bool:
        return self.is_admin and not self.is_disabled

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(db.Model):
    """One sign-in on one device. The cookies carry a random token; only its SHA-256 is stored, so
    a copied row is not a usable cookie. A row with `ended_at`, or past its lifetime, signs nobody in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  #: hex SHA-256 of the token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: refreshed at most once a minute (SESSION_TOUCH_SECONDS), not on every request
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    ip: Mapped[str | None] = mapped_column(sa.String(45))  #: the address last seen
    is_remembered: Mapped[bool] = mapped_column(default=False)  #: "keep me signed in"

    user: Mapped[User] = relationship()

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_live(self, now: datetime, idle: timedelta, longest: timedelta) -> bool:
        """Not ended, used within `idle` (remembered sessions skip this), and younger than `longest`."""
        if self.ended_at is not None or now - self.created_at > longest:
            return False
        return self.is_remembered or now - self.last_seen_at <= idle

    @property
    def browser(self) -> str | None:
        """The browser's product name from the user agent, or None if it is not recognised."""
        return _first_match(self.user_agent, _BROWSERS)

    @property
    def system(self) -> str | None:
        """The operating system's name from the user agent, or None if it is not recognised."""
        return _first_match(self.user_agent, _SYSTEMS)

    def can_end(self, user: User) -> bool:
        return self.user_id == user.id

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class RegistrationRequest(db.Model):
    """A registration waiting for its address to be confirmed: no account exists until the link
    mailed to the address is opened and the password given again. Only the token's SHA-256 is kept."""

    __tablename__ = "registration_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)  #: lower-cased
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    #: where to go once confirmed (an invite link, say); checked by safe_next when used
    next_path: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def is_live(self, now: datetime, max_age: timedelta) -> bool:
        return now - self.created_at <= max_age

#: (marker in the user agent, name), most specific first: Edge and Opera also say "Chrome", and
#: every Chromium browser also says "Safari". Names are products, not translated.
_BROWSERS = (
    ("MicroMessenger", "WeChat"), ("Edg", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser", "Samsung Internet"),
    ("FxiOS", "Firefox"), ("Firefox/", "Firefox"), ("CriOS", "Chrome"), ("Chrome/", "Chrome"),
    ("Chromium", "Chromium"), ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"), ("Windows", "Windows"),
    ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"),
)


def _first_match(user_agent: str | None, table: tuple[tuple[str, str], ...]) -> str | None:
    for marker, name in table:
        if marker in (user_agent or ""):
            return name
    return None
