"""Personal access tokens: scoped, expiring, revocable; only the SHA-256 of the secret is stored."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

#: what every token starts with, so secret scanners (and people) recognise a leaked one
TOKEN_PREFIX = "circles_pat_"


class Scope(enum.StrEnum):
    """Read-only scopes; write scopes come with write endpoints."""

    circles_read = "circles:read"
    roster_read = "roster:read"
    assignments_read = "assignments:read"
    submissions_read = "submissions:read"
    grades_read = "grades:read"

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {
    Scope.circles_read: _l("Your circles (name, kind, your role)"),
    Scope.roster_read: _l("Rosters of the circles you teach (names, real names, student numbers, roles)"),
    Scope.assignments_read: _l("Assignments"),
    Scope.submissions_read: _l("Submission details (no videos or files)"),
    Scope.grades_read: _l("Grades"),
}


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  #: hex SHA-256 of the whole token
    scopes: Mapped[list] = mapped_column(sa.JSON, default=list)  #: Scope values
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  #: required: no token lives for ever
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: refreshed at most once a minute (lms.api.operations.TOUCH_SECONDS)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def audit_label(self) -> str:
        return f"{self.name} ({self.user.email})"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or utcnow())

    def is_live(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now)

    def has_scope(self, scope: Scope) -> bool:
        return str(scope) in (self.scopes or [])

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id} {self.name!r}>"
