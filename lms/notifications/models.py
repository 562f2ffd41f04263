"""Notifications, each person's mail preferences per kind and settings (digest hour, quiet hours), and
the progress of a large fan-out."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.accounts.models import User
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.notifications.kinds import MAX_KIND_LENGTH, Channel


class MailState(enum.StrEnum):
    """Where a notification's mail stands."""

    none = "none"  #: not mailed (the person's setting is off, or the call said in-app only)
    due = "due"  #: to be mailed on its own at `mail_due_at` (now, or when the quiet hours end)
    digest = "digest"  #: waiting for the person's daily digest
    sent = "sent"  #: mailed at `mailed_at` (alone or in a digest)


class Notification(db.Model):
    """One thing one person is told about. The words are not stored: the kind's message is formatted with
    `params` in the reader's language whenever it is shown, pushed or mailed."""

    __tablename__ = "notifications"
    __table_args__ = (
        # a recipient never gets two with one key (periodic reminders); NULL keys repeat freely
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe_key"),
        # the bell's unread count (partial: only the unread rows, read with every signed-in page)
        sa.Index("ix_notifications_user_unread", "user_id", postgresql_where=sa.text("read_at IS NULL"),
                 sqlite_where=sa.text("read_at IS NULL")),
        # the page's list, newest first, keyset on id
        sa.Index("ix_notifications_user_id", "user_id", "id"),
        sa.Index("ix_notifications_user_subject", "user_id", "subject_type", "subject_id"),
        # forget_about: a deleted notice's or post's notifications, whoever has them (no whole-table scan)
        sa.Index("ix_notifications_subject", "subject_type", "subject_id"),
        # the mail sweeps: held mail that is due, digests waiting (partial: most rows are mailed or never are)
        sa.Index("ix_notifications_mail_waiting", "mail_state", "mail_due_at",
                 postgresql_where=sa.text("mail_state IN ('due', 'digest')"),
                 sqlite_where=sa.text("mail_state IN ('due', 'digest')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(MAX_KIND_LENGTH))
    #: the circle it is about (for context and clean-up); a string FK, notifications import no circles
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    #: what it is about ("notice", 12), so opening that clears it (mark_read_about)
    subject_type: Mapped[str | None] = mapped_column(sa.String(30))
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: plain strings for the kind's message (titles, names), escaped wherever shown
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    url: Mapped[str] = mapped_column(sa.String(500))  #: a path on this site
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_state: Mapped[MailState] = mapped_column(enum_column(MailState, name="notification_mail_state"),
                                                  default=MailState.none)
    #: when a `due` mail may leave (after the recipient's quiet hours)
    mail_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def can_view(self, user: User | None) -> bool:
        return user is not None and user.is_authenticated and user.id == self.user_id

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"


class NotificationPreference(db.Model):
    """How one person wants one kind mailed; no row means the kind's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(MAX_KIND_LENGTH))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, name="notification_channel"))


#: the digest's hour when a person chose none (their own time zone)
DEFAULT_DIGEST_HOUR = 18


class NotificationSettings(db.Model):
    """A person's mail settings for every kind: the daily digest's hour and quiet hours, both in their
    time zone (the profile's, else `timezone`, else the site's). No row means the defaults (digest at
    18:00, no quiet hours)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    digest_hour: Mapped[int] = mapped_column(sa.SmallInteger, default=DEFAULT_DIGEST_HOUR)  #: 0-23
    #: no mail leaves from quiet_start:00 to quiet_end:00 (may wrap midnight); both None: no quiet hours
    quiet_start: Mapped[int | None] = mapped_column(sa.SmallInteger)
    quiet_end: Mapped[int | None] = mapped_column(sa.SmallInteger)
    #: the zone of those hours when the profile names none: the browser's when the settings were saved
    #: (a job cannot ask the browser); the profile's zone wins whenever it is set
    timezone: Mapped[str | None] = mapped_column(sa.String(64))


class FanOut(db.Model):
    """The progress of one large `notify` (more recipients than are written inline): a job writes the
    notifications in batches and pushes `done` of `total` to the person who asked."""

    __tablename__ = "notification_fan_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(MAX_KIND_LENGTH))
    #: everything `notify` was given but the recipients: url, params, circle_id, subject, actor_id, mail,
    #: dedupe_key
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    recipients: Mapped[list] = mapped_column(sa.JSON, default=list)  #: user ids, written once
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)  #: recipients handled so far (a dedupe skip counts)
    progress_to: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None
