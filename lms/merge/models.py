"""What the merge stores of its own: pairs an admin said are not one person (hidden from the duplicates list)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class MergeDismissal(db.Model):
    """"Not a duplicate": the pair (user_a_id < user_b_id) no longer shows among likely duplicates."""

    __tablename__ = "merge_dismissals"
    __table_args__ = (sa.UniqueConstraint("user_a_id", "user_b_id", name="uq_merge_dismissals_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_a_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    user_b_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dismissed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
