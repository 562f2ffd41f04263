"""Roster sync: which local object each OneRoster sourcedId of an organization stands for, and the
record of every import."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.orgs.models import Organization


class RosterLinkKind(enum.StrEnum):
    org = "org"  #: an orgs.csv row → the organization (local_id: organizations.id)
    klass = "class"  #: classes.csv → circles.id
    user = "user"  #: users.csv → users.id
    enrollment = "enrollment"  #: enrollments.csv → memberships.id


class RosterLink(db.Model):
    """A sourcedId of the school's system, within one organization, and the local row it maps to."""

    __tablename__ = "roster_links"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "kind", "sourced_id"),
        sa.Index("ix_roster_links_org_kind_local", "org_id", "kind", "local_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[RosterLinkKind] = mapped_column(enum_column(RosterLinkKind, name="roster_link_kind"))
    sourced_id: Mapped[str] = mapped_column(sa.String(255))
    #: the id of the circle, user, membership or organization (no foreign key: it depends on `kind`)
    local_id: Mapped[int] = mapped_column()
    #: (users only) the roster made this account, so the file's name and email keep it up to date; an account
    #: that existed before and was linked by email keeps its own name and email (false)
    managed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RosterImportState(enum.StrEnum):
    previewed = "previewed"  #: checked and shown; nothing applied yet
    applying = "applying"  #: the apply job is queued or running
    applied = "applied"
    failed = "failed"  #: the apply job found a row it could not apply; nothing changed (`problems` say why)


class RosterImport(db.Model):
    """One uploaded OneRoster zip: who sent it, when, what the preview counted and what was applied."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(sa.String(255))  #: as uploaded; only displayed
    #: the zip in storage (random key) while the preview waits to be applied; None once applied
    file_key: Mapped[str | None] = mapped_column(sa.String(200))
    file_bytes: Mapped[int] = mapped_column(default=0)
    #: "bulk", "delta" or "mixed": the manifest's modes of the files read
    mode: Mapped[str] = mapped_column(sa.String(10))
    state: Mapped[RosterImportState] = mapped_column(enum_column(RosterImportState, name="roster_import_state"),
                                                     default=RosterImportState.previewed)
    #: what the preview (then the apply) counted: {"classes_created": 2, ...}
    counts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: the changes line by line, [{"file", "line", "kind", "action", "msg", "params"}], at most MAX_LINES; the
    #: words are a message id and its parameters (lms/roster_sync/messages.py), rendered in the reader's language
    lines: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    #: why the apply job changed nothing: [{"file", "line", "column", "message"}] (state failed)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def changes(self) -> int:
        return sum(v for k, v in (self.counts or {}).items() if k not in ("unchanged", "skipped"))

    def can_view(self, user: User) -> bool:
        """The organization's admins and site admins read the imports (who, when, what changed)."""
        return self.org.can_manage(user)
