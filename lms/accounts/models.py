"""User accounts."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  #: stored lower-cased
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(100))
    locale: Mapped[str | None] = mapped_column(sa.String(10))  #: None: follow the browser
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    avatar_key: Mapped[str | None] = mapped_column(sa.String(200))  #: storage key, random
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    #: bumped when the password changes or the account is disabled: signs out every other session
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    def can_administer_site(self) -> bool:
        return self.is_admin and not self.is_disabled

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
