"""The secret address of a person's iCalendar feed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class CalendarToken(db.Model):
    """The secret in one person's calendar feed URL (one per person, made on first need). A phone's
    calendar app fetches the feed without a session, so the URL is the only key: the token is random
    (256 bits) and kept as it is, so the person's page can show the address again to copy (as Google
    Calendar's "secret address" does); "reset" replaces it, after which the old address answers 404.
    It reads only what its owner may see now, never changes anything."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: secrets.token_urlsafe(32): 43 characters
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<CalendarToken {self.id} user={self.user_id}>"
