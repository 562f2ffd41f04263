"""Notices (staff's Markdown posts: scheduled, pinned, must-read), their revisions, attachments and read receipts."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, TEACHING_ROLES, Circle, Role
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.uploads.models import Media


#: whom a notice's receipts, reminders, escalations, confirm-by deadlines and must-read "stays on top" are
#: for: the circle's learners, never its staff (owner, teachers, assistants), as Canvas leaves staff out of
#: read statistics. lms.feed.notices.queries.audience_filter is the one SQL form of this rule.
AUDIENCE_ROLES = frozenset({Role.student, Role.member})


class ReceiptLevel(enum.StrEnum):
    """What counts as "read" for a notice's receipts (the author chooses)."""

    opened = "opened"  #: the member opened the notice
    confirmed = "confirmed"  #: the member pressed "I have read this"


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (
        sa.Index("ix_notices_circle_publish", "circle_id", "publish_at"),
        # the periodic task looks for notices whose time passed and that were not announced yet
        sa.Index("ix_notices_announce", "announced_at", "publish_at"),
        sa.Index("ix_notices_confirm_by", "confirm_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body_md: Mapped[str] = mapped_column(sa.Text, default="")
    #: when members see it; None: a draft nobody but the staff sees
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the members were told (notice_published); None until then, so it happens once
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    #: stays at the top for each member until that member confirms it
    is_must_read: Mapped[bool] = mapped_column(default=False)
    receipt_level: Mapped[ReceiptLevel] = mapped_column(enum_column(ReceiptLevel, name="notice_receipt_level"),
                                                        default=ReceiptLevel.opened)
    #: a must-read notice's deadline to confirm (None: none)
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: hours before `confirm_by` when those who have not confirmed get an in-app reminder
    remind_hours: Mapped[int | None] = mapped_column()
    #: hours after that reminder when those still not confirmed get a mail (None: no escalation)
    escalate_hours: Mapped[int | None] = mapped_column()
    deadline_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the last edit after the first save (None: never edited)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    circle: Mapped[Circle] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(lazy="joined")
    attachments: Mapped[list[NoticeAttachment]] = relationship(
        back_populates="notice", order_by="NoticeAttachment.position", cascade="all, delete-orphan")

    # -- state --------------------------------------------------------------------------------
    def is_published(self, now: datetime | None = None) -> bool:
        return self.publish_at is not None and self.publish_at <= (now or utcnow())

    def is_scheduled(self, now: datetime | None = None) -> bool:
        return self.publish_at is not None and self.publish_at > (now or utcnow())

    @property
    def is_draft(self) -> bool:
        return self.publish_at is None

    @property
    def asks_confirmation(self) -> bool:
        """Members get the "I have read this" button."""
        return self.is_must_read or self.receipt_level == ReceiptLevel.confirmed

    @property
    def remind_at(self) -> datetime | None:
        """When the automatic in-app reminder before the deadline goes out."""
        if self.confirm_by is None or self.remind_hours is None:
            return None
        return self.confirm_by - timedelta(hours=self.remind_hours)

    @property
    def escalate_at(self) -> datetime | None:
        """When those who still have not confirmed get the mail: the set hours after the reminder went out
        (or is due to go out), so they always get those hours to react in the app first."""
        start = self.deadline_reminded_at or self.remind_at
        if start is None or self.escalate_hours is None:
            return None
        return start + timedelta(hours=self.escalate_hours)

    # -- predicates ---------------------------------------------------------------------------
    def is_staff(self, user: User | None) -> bool:
        return self.circle.active_role(user) in STAFF_ROLES or self.circle._is_overseer(user)

    def can_view(self, user: User | None) -> bool:
        """Staff see drafts and scheduled notices; members see published ones; everyone else gets 404."""
        if self.is_staff(user):
            return True
        return self.is_published() and self.circle.can_view(user)

    def can_edit(self, user: User | None) -> bool:
        """Write, edit, pin, publish, delete: the circle's owner and teachers (and overseers)."""
        return can_post_notices(self.circle, user)

    def can_see_receipts(self, user: User | None) -> bool:
        """Who has read it, reminders, exports: the staff (owner, teachers, assistants, overseers)."""
        return self.is_staff(user)

    def is_audience(self, user: User | None) -> bool:
        """Whether `user` is one of those the notice is for (AUDIENCE_ROLES): an active learner of its circle
        but its author; staff and overseers keep no receipts and have nothing to confirm."""
        return (user is not None and self.circle.active_role(user) in AUDIENCE_ROLES
                and user.id != self.author_id)

    def can_confirm(self, user: User | None) -> bool:
        """One of its audience (a learner, not staff) confirms a published notice that asks for it."""
        return self.asks_confirmation and self.is_published() and self.is_audience(user)

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.title!r}>"


def can_post_notices(circle: Circle, user: User | None) -> bool:
    """Owners and teachers write notices (as they edit the circle), and overseers."""
    return not circle.is_archived and (circle.active_role(user) in TEACHING_ROLES or circle._is_overseer(user))


def can_see_drafts(circle: Circle, user: User | None) -> bool:
    """The staff see notices that are not published yet."""
    return circle.active_role(user) in STAFF_ROLES or circle._is_overseer(user)


class NoticeRevision(db.Model):
    """The title and text of a notice as one save left them (the first save is revision 1)."""

    __tablename__ = "notice_revisions"
    __table_args__ = (sa.UniqueConstraint("notice_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    body_md: Mapped[str] = mapped_column(sa.Text, default="")
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    edited_by: Mapped[User | None] = relationship(lazy="joined")


class NoticeAttachment(db.Model):
    """A file attached to a notice (a media item of kind `file`); images among them may be shown inline."""

    __tablename__ = "notice_attachments"
    __table_args__ = (sa.UniqueConstraint("notice_id", "media_id"), sa.Index("ix_notice_attachments_media", "media_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    media_id: Mapped[int] = mapped_column(sa.ForeignKey("media.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    notice: Mapped[Notice] = relationship(back_populates="attachments")
    media: Mapped[Media] = relationship(lazy="joined")


class NoticeRead(db.Model):
    """One member's receipt of one notice: when they first opened it, and when they confirmed it."""

    __tablename__ = "notice_reads"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "user_id"),
        sa.Index("ix_notice_reads_user", "user_id", "notice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
