"""Circle chat: the circle's chat settings, channels (the circle's main channel, extra channels for all or
chosen members, direct messages), messages (with replies, an attachment, edits, deletions, holds and
hides) and each reader's place in each channel."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import Circle, CircleKind, Membership
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.uploads.models import Media

#: longest chat message, in characters
MESSAGE_MAX = 2000
#: how long after sending its author may edit or delete a message (staff delete any message at any time)
EDIT_WINDOW = timedelta(minutes=15)
#: slow mode: the longest interval staff may set
SLOW_MODE_MAX = 600
#: messages in one page of history
PAGE_SIZE = 50
#: the longest voice or video clip a message takes, in seconds (the composer's uploader and recorder)
CLIP_MAX_SECONDS = 120


class ChannelKind(enum.StrEnum):
    main = "main"  #: the circle's chat, every member in it
    channel = "channel"  #: an extra channel staff opened
    direct = "direct"  #: two people: a member and a staff member (or two students where the owner allows)


class ChannelVisibility(enum.StrEnum):
    all = "all"  #: every member of the circle
    chosen = "chosen"  #: the staff and the members listed in chat_channel_members


class ChatSettings(db.Model):
    """A circle's chat switches; no row: the defaults (chat on for teaching circles, off for others)."""

    __tablename__ = "chat_settings"

    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: students (and members) may open direct messages with each other, not only with the staff
    members_may_message_members: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def chat_enabled(circle: Circle, settings: ChatSettings | None) -> bool:
    if settings is None:
        return circle.kind == CircleKind.teaching
    return settings.is_enabled


class ChatChannel(db.Model):
    __tablename__ = "chat_channels"
    __table_args__ = (
        sa.Index("ix_chat_channels_circle_kind", "circle_id", "kind"),
        #: one direct channel per pair of people in a circle ("<low user id>:<high user id>")
        sa.UniqueConstraint("circle_id", "direct_key", name="uq_chat_channels_circle_direct_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    kind: Mapped[ChannelKind] = mapped_column(enum_column(ChannelKind, name="chat_channel_kind"))
    #: empty for the main channel and direct messages (their names are made for each reader)
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    visibility: Mapped[ChannelVisibility] = mapped_column(enum_column(ChannelVisibility, name="chat_visibility"),
                                                          default=ChannelVisibility.all)
    direct_key: Mapped[str | None] = mapped_column(sa.String(40))
    #: only the staff write ("mute all", e.g. during a lesson)
    is_all_muted: Mapped[bool] = mapped_column(default=False)
    #: a member may send one message every this many seconds (0: off); staff are never held back
    slow_mode_seconds: Mapped[int] = mapped_column(default=0)
    #: the one pinned message, shown above the channel (no foreign key: a message row points to its channel)
    pinned_message_id: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    circle: Mapped[Circle] = relationship(lazy="joined")

    @property
    def is_direct(self) -> bool:
        return self.kind == ChannelKind.direct

    def direct_user_ids(self) -> tuple[int, int]:
        low, high = (self.direct_key or "0:0").split(":")
        return int(low), int(high)

    # -- who may -----------------------------------------------------------------------------------
    def can_read(self, user: User | None, membership: Membership | None, chosen: bool = False) -> bool:
        """`user` (whose active membership of the circle is `membership`; None for an overseer) sees this
        channel. `chosen`: they are listed in the channel's members (direct and chosen channels)."""
        if user is None or not self.circle.can_view(user) or self.archived_at is not None:
            return False
        if self.kind == ChannelKind.direct:
            return user.id in self.direct_user_ids()
        if self.visibility == ChannelVisibility.all:
            return True
        return chosen or is_staff(self.circle, user, membership)

    def can_write(self, user: User, membership: Membership | None) -> bool:
        """Only active members write (an overseer who is not a member reads)."""
        return membership is not None and membership.is_active

    def can_moderate(self, user: User, membership: Membership | None) -> bool:
        return is_staff(self.circle, user, membership)


def is_staff(circle: Circle, user: User | None, membership: Membership | None) -> bool:
    """The circle's staff (owner, teacher, assistant) or an overseer who manages its members."""
    if membership is not None and membership.is_active and membership.is_staff:
        return True
    return user is not None and circle.can_manage_members(user)


def direct_key(user_a: int, user_b: int) -> str:
    low, high = sorted((user_a, user_b))
    return f"{low}:{high}"


class ChatChannelMember(db.Model):
    """Who is in a chosen-members channel, or a direct conversation."""

    __tablename__ = "chat_channel_members"

    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("chat_channels.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(db.Model):
    __tablename__ = "chat_messages"
    __table_args__ = (
        # history, unread counts and "first unread" all walk a channel by id (keyset)
        sa.Index("ix_chat_messages_channel_id", "channel_id", "id"),
        sa.Index("ix_chat_messages_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("chat_channels.id", ondelete="CASCADE"))
    #: kept for reading the channel's circle without a join (moderation's lookups)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Markdown-lite as typed (shown through lms.chat.text.render_chat, sanitized by nh3)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chat_messages.id", ondelete="SET NULL"))
    #: an image, a file or a short voice or video clip through the upload path (lms.uploads)
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"))
    #: the members the message @mentions (user ids, checked when sent; notified once)
    mention_ids: Mapped[list | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: deleted (by its author within EDIT_WINDOW, or by the staff): shown as "deleted", its text gone
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: hidden by moderation: gone from every member's screen; the staff still see it, marked hidden
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: held for review by lms.moderation.policy.screen: seen by its author and the staff until approved
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_reason: Mapped[str | None] = mapped_column(sa.String(20))

    channel: Mapped[ChatChannel] = relationship()
    media: Mapped[Media | None] = relationship()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_held(self) -> bool:
        return self.held_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def is_shown_to(self, user_id: int, staff: bool) -> bool:
        """Seen in the channel by this reader: a hidden one by the staff only (marked, so they can review it and
        show it again; gone from every member's page, its author's too, who is told why); a held one by its
        author and the staff; the rest by everyone who reads the channel."""
        if staff:
            return True
        return self.hidden_at is None and (self.held_at is None or self.author_id == user_id)

    def can_edit(self, user: User, now: datetime | None = None) -> bool:
        return (self.author_id == user.id and self.deleted_at is None and self.hidden_at is None
                and (now or utcnow()) - self.created_at <= EDIT_WINDOW)

    def can_delete(self, user: User, staff: bool, now: datetime | None = None) -> bool:
        if self.deleted_at is not None:
            return False
        return staff or self.can_edit(user, now)


class ChatRead(db.Model):
    """How far one person has read one channel: the newest message id they have seen."""

    __tablename__ = "chat_reads"

    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("chat_channels.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_read_id: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
