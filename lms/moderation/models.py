"""Circle moderation settings, reports and moderation actions.

Low on purpose (lms.moderation.policy reads the settings, and every writing domain imports the policy):
this module imports no content domain. What a report points at is named by (kind, object_id); the
high part of the package (lms/moderation/kinds.py) loads it through its circle.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import Circle
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db


class ReportKind(enum.StrEnum):
    post = "post"
    comment = "comment"
    chat_message = "chat_message"
    video_comment = "video_comment"
    checkin = "checkin"
    checkin_comment = "checkin_comment"
    member = "member"  #: object_id is the Membership's id


class ReportReason(enum.StrEnum):
    spam = "spam"
    abuse = "abuse"
    inappropriate = "inappropriate"
    other = "other"
    # held by lms.moderation.policy.screen (no reporter)
    word_list = "word_list"
    first_post = "first_post"


#: reasons a member picks; the others come from the policy
MEMBER_REASONS = (ReportReason.spam, ReportReason.abuse, ReportReason.inappropriate, ReportReason.other)
HELD_REASONS = frozenset({ReportReason.word_list, ReportReason.first_post})


class ReportState(enum.StrEnum):
    open = "open"
    actioned = "actioned"  #: someone acted on the content or its author
    dismissed = "dismissed"


class ActionKind(enum.StrEnum):
    approve = "approve"  #: a held post, comment or message shown to everyone
    hide = "hide"
    unhide = "unhide"
    delete = "delete"
    warn = "warn"
    mute = "mute"
    remove = "remove"  #: out of the circle (readmission brings them back), content kept
    ban = "ban"  #: out of the circle and everything they wrote in it hidden
    dismiss = "dismiss"
    site_hide = "site_hide"  #: a site admin hides content, whatever the circle
    suspend = "suspend"  #: a site admin disables the account site-wide


class CircleModeration(db.Model):
    """A circle's moderation settings (the owner's). No row: the defaults."""

    __tablename__ = "circle_moderation"

    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    #: when "new members' first posts need approval" was turned on; None: off. Members who joined since
    #: have their posts, comments and messages held until the staff approve one of them.
    first_posts_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: one entry a line; a post, comment or message containing one is held for review
    word_list: Mapped[str] = mapped_column(sa.Text, default="")
    links_allowed: Mapped[bool] = mapped_column(default=True)
    #: per-member limits (None: the site's, lms.moderation.policy.DEFAULT_LIMITS)
    posts_per_hour: Mapped[int | None] = mapped_column()
    comments_per_hour: Mapped[int | None] = mapped_column()
    chat_per_minute: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def first_posts_need_approval(self) -> bool:
        return self.first_posts_since is not None

    @property
    def words(self) -> list[str]:
        return [w.strip() for w in (self.word_list or "").splitlines() if w.strip()]


class ApprovedWriter(db.Model):
    """A member whose held first post the staff approved: nothing more of theirs is held as a first post."""

    __tablename__ = "moderation_approved_writers"

    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(db.Model):
    """One person's report of one thing (a second report by the same person is the same row), or a hold
    the policy placed (no reporter). Open reports of one thing form one item of the review queue."""

    __tablename__ = "moderation_reports"
    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id", "reporter_id", name="uq_moderation_reports_object_reporter"),
        sa.Index("ix_moderation_reports_circle_state_created", "circle_id", "state", "created_at"),
        sa.Index("ix_moderation_reports_state_created", "state", "created_at"),
        sa.Index("ix_moderation_reports_resolved", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind, name="report_kind"))
    object_id: Mapped[int] = mapped_column()
    #: the author of what is reported (the member for a profile), for the queue and notifications
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: None: held by the policy (word list, first post)
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[ReportReason] = mapped_column(enum_column(ReportReason, name="report_reason"))
    #: the reporter's words; for a word-list hold the listed words found, one a line (held_words)
    details: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[ReportState] = mapped_column(enum_column(ReportState, name="report_state"), default=ReportState.open)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the first action on it (or the dismissal)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: seconds from report to first action, kept so the response-time figures are one SQL query
    response_seconds: Mapped[int | None] = mapped_column()
    #: when the admins were reminded that it still waits (once)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderation_actions.id", ondelete="SET NULL"))

    circle: Mapped[Circle] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])

    @property
    def is_held(self) -> bool:
        return self.reason in HELD_REASONS

    @property
    def held_words(self) -> list[str]:
        """The listed words that held it (a word-list hold keeps them in `details`, one a line)."""
        if self.reason != ReportReason.word_list:
            return []
        return [word for word in (self.details or "").splitlines() if word]


class ModerationAction(db.Model):
    """What a moderator did about a thing or a person, with the reason the author was told."""

    __tablename__ = "moderation_actions"
    __table_args__ = (sa.Index("ix_moderation_actions_circle_created", "circle_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for a site-wide suspension
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    kind: Mapped[ReportKind | None] = mapped_column(enum_column(ReportKind, name="report_kind"))
    object_id: Mapped[int | None] = mapped_column()
    target_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[ActionKind] = mapped_column(enum_column(ActionKind, name="moderation_action"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
