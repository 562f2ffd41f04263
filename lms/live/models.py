"""Live lessons and everything a lesson's room keeps: sanctions, messages, hands, polls, attendance
rows and replay views (contract: /work/notes/live.md)."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, TEACHING_ROLES, Circle
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.uploads.models import Media


class LessonState(enum.StrEnum):
    scheduled = "scheduled"
    live = "live"
    reconnecting = "reconnecting"  #: the host's stream dropped; they may resume within grace_seconds
    ended = "ended"
    cancelled = "cancelled"


#: states in which the lesson is on air (the room is open, attendance counts)
ON_AIR_STATES = frozenset({LessonState.live, LessonState.reconnecting})


class IngestKind(enum.StrEnum):
    browser = "browser"
    rtmp = "rtmp"


def new_stream_path() -> str:
    """A random url-safe id for storage paths and the RTMP stream name (not a secret: the key is)."""
    return secrets.token_urlsafe(12)


class LiveLesson(db.Model):
    __tablename__ = "live_lessons"
    __table_args__ = (
        sa.Index("ix_live_lessons_circle_starts", "circle_id", "starts_at"),
        # the reminder sweep looks for scheduled lessons not reminded yet
        sa.Index("ix_live_lessons_remind", "state", "reminded_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: sanitized HTML (lms.core.text, like notices)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_minutes: Mapped[int] = mapped_column(default=60)
    state: Mapped[LessonState] = mapped_column(enum_column(LessonState, name="live_lesson_state"),
                                               default=LessonState.scheduled)
    ingest: Mapped[IngestKind | None] = mapped_column(enum_column(IngestKind, name="live_ingest_kind"))
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reconnecting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grace_seconds: Mapped[int] = mapped_column(default=180)
    #: sha256 hex of the RTMP stream key (the key itself is never stored)
    stream_key_hash: Mapped[str | None] = mapped_column(sa.String(64))
    stream_key_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: random url-safe id used in storage paths and as the RTMP stream name (never the key)
    stream_path: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_stream_path)
    #: where its live segments are when the site has several hosts: the ingest host's LIVE_ORIGIN (host:port,
    #: lms.live.origin); None: this site's one LIVE_DIR
    origin: Mapped[str | None] = mapped_column(sa.String(255))
    reminder_minutes: Mapped[int] = mapped_column(default=15)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    announced_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_after_minutes: Mapped[int] = mapped_column(default=10)
    #: attended at least this % of the lesson's live time counts present
    present_min_percent: Mapped[int] = mapped_column(default=50)
    slow_mode_seconds: Mapped[int] = mapped_column(default=0)
    all_muted: Mapped[bool] = mapped_column(default=False)
    likes: Mapped[int] = mapped_column(default=0)
    #: how the video reaches viewers: "hls" or "realtime" (WebRTC through Janus, HLS as fallback; lms.live.stage)
    delivery: Mapped[str] = mapped_column(sa.String(10), default="hls", server_default="hls")
    #: the Janus VideoRoom room of a real-time lesson while it exists (lms.live.stage)
    janus_room: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: "take turns" on stage: {"seconds", "queue": [user ids], "current", "ends_at"}; None: off
    stage_turns: Mapped[dict | None] = mapped_column(sa.JSON)
    replay_media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"))
    #: processing / ready / failed; None: no replay (yet)
    replay_state: Mapped[str | None] = mapped_column(sa.String(20))
    #: the gradebook item the attendance was turned into (lms.live.attendance; None: not yet)
    gradebook_assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    circle: Mapped[Circle] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    replay_media: Mapped[Media | None] = relationship(foreign_keys=[replay_media_id])

    # -- state --------------------------------------------------------------------------------
    @property
    def is_on_air(self) -> bool:
        return self.state in ON_AIR_STATES

    @property
    def expected_end(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.expected_minutes)

    @property
    def grace_ends_at(self) -> datetime | None:
        if self.reconnecting_since is None:
            return None
        return self.reconnecting_since + timedelta(seconds=self.grace_seconds)

    def live_seconds(self, now: datetime | None = None) -> float:
        """Seconds the lesson has been (or was) on air: went_live_at to ended_at (or now)."""
        if self.went_live_at is None:
            return 0.0
        end = self.ended_at or (now or utcnow())
        return max(0.0, (end - self.went_live_at).total_seconds())

    # -- predicates ---------------------------------------------------------------------------
    def is_staff(self, user: User | None) -> bool:
        return self.circle.active_role(user) in STAFF_ROLES or self.circle._is_overseer(user)

    def can_view(self, user: User | None) -> bool:
        """Members (and overseers) see the lesson page; a member removed from the lesson still sees
        the page but cannot join the room (room.py checks LiveSanction)."""
        return self.circle.can_view(user)

    def can_host(self, user: User | None) -> bool:
        """Owner, teachers, assistants (and overseers): go live, moderate."""
        return self.is_staff(user)

    def can_edit(self, user: User | None) -> bool:
        """Schedule, edit, cancel, stream key, attendance export: owner and teachers (and overseers)."""
        return can_schedule(self.circle, user)

    def __repr__(self) -> str:
        return f"<LiveLesson {self.id} {self.title!r} {self.state}>"


def can_schedule(circle: Circle, user: User | None) -> bool:
    """Owners and teachers (and overseers) schedule live lessons in a circle that is not archived."""
    return not circle.is_archived and (circle.active_role(user) in TEACHING_ROLES or circle._is_overseer(user))


class LiveSanction(db.Model):
    """A mute or removal of one member in one lesson; one unlifted per (lesson, user, kind), checked in code."""

    __tablename__ = "live_sanctions"
    __table_args__ = (sa.Index("ix_live_sanctions_lesson_user", "lesson_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("live_lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))  #: "mute" | "remove"
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LiveMessage(db.Model):
    """A chat message or a question (plain text, at most 500 characters)."""

    __tablename__ = "live_messages"
    __table_args__ = (sa.Index("ix_live_messages_lesson_created", "lesson_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("live_lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="chat")  #: "chat" | "question"
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: seconds since went_live_at (the replay scrolls the chat in step)
    offset_seconds: Mapped[float | None] = mapped_column(sa.Float)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class LiveHand(db.Model):
    __tablename__ = "live_hands"
    __table_args__ = (sa.Index("ix_live_hands_lesson", "lesson_id", "lowered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("live_lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lowered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lowered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class LivePoll(db.Model):
    __tablename__ = "live_polls"
    __table_args__ = (sa.Index("ix_live_polls_lesson", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("live_lessons.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(sa.String(300))
    #: 2–10 option labels
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LivePollVote(db.Model):
    __tablename__ = "live_poll_votes"
    __table_args__ = (sa.UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("live_polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    option: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: a connection not heard from for this long counts as ended at its last_seen_at
STALE_AFTER = timedelta(seconds=90)
#: live-room refreshes last_seen_at this often
HEARTBEAT = timedelta(seconds=30)


class LiveAttendance(db.Model):
    """One connection of one member to a lesson's room (live-room writes it: opens it on join,
    refreshes last_seen_at every 30 s, closes it on leave/disconnect)."""

    __tablename__ = "live_attendance"
    __table_args__ = (sa.Index("ix_live_attendance_lesson_user", "lesson_id", "user_id"),
                      sa.Index("ix_live_attendance_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("live_lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReplayView(db.Model):
    """How much of a lesson's replay one member watched (live-video records it from the player)."""

    __tablename__ = "live_replay_views"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("live_lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: merged [start, end] second ranges of the replay watched
    watched: Mapped[list] = mapped_column(sa.JSON, default=list)
    seconds_watched: Mapped[float] = mapped_column(sa.Float, default=0.0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LiveStageSeat(db.Model):
    """One person's invitation to a lesson's stage and their time on it (lms.live.stage): invited, then on
    stage from `started_at` (accepted) until `ended_at`; a new invitation is a new row. Attendance reads the
    rows with a `started_at` as time on stage."""

    __tablename__ = "live_stage_seats"
    __table_args__ = (sa.Index("ix_live_stage_seats_lesson_state", "lesson_id", "state"),
                      sa.Index("ix_live_stage_seats_lesson_user", "lesson_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("live_lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(sa.String(10), default="invited")  #: "invited" | "on" | "off"
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: an invitation not accepted by then lapses
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: left / taken_down / declined / expired / turn_over / mode / ended
    end_reason: Mapped[str | None] = mapped_column(sa.String(20))
    muted: Mapped[bool] = mapped_column(default=False)
    #: in "take turns": when this person's turn ends
    turn_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the publisher room tokens put on the Janus room's allowed list for this seat (taken off when it ends)
    tokens: Mapped[list] = mapped_column(sa.JSON, default=list)
