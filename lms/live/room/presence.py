"""Presence in a lesson's room: one attendance row per connection (opened on join, kept by heartbeats, closed on
leave, disconnect or removal), the viewer count, and closing the room when the lesson ends."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Membership, MembershipStatus
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.live.models import STALE_AFTER, LiveAttendance, LiveHand, LiveLesson, LivePoll
from lms.live.notifications import NAMESPACE, room_name
from lms.live.room import Participant, Push, coalesce



def push_viewers(lesson_id: int) -> None:
    def send():
        socketio.emit(Push.viewers, {"count": viewer_count(lesson_id)}, to=room_name(lesson_id), namespace=NAMESPACE)

    coalesce(("viewers", lesson_id), send)


def viewer_count(lesson_id: int, now: datetime | None = None) -> int:
    """How many people watch ("N watching"): distinct active members of the circle who are not its hosts (owner,
    teachers, assistants; overseers are no members) with a connection open and heard from within STALE_AFTER
    (counted in the database, so every process agrees)."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(LiveAttendance.user_id)))
        .join(LiveLesson, LiveLesson.id == LiveAttendance.lesson_id)
        .join(Membership, sa.and_(Membership.user_id == LiveAttendance.user_id,
                                  Membership.circle_id == LiveLesson.circle_id))
        .where(LiveAttendance.lesson_id == lesson_id, LiveAttendance.left_at.is_(None),
               LiveAttendance.last_seen_at >= now - STALE_AFTER, Membership.status == MembershipStatus.active,
               Membership.role.notin_(STAFF_ROLES))) or 0


def open_attendance(p: Participant, now: datetime | None = None) -> LiveAttendance:
    """Open an attendance row for one connection of `p` (a page that joined the room); pushes the viewer count."""
    now = now or utcnow()
    row = LiveAttendance(lesson_id=p.lesson.id, user_id=p.user.id, joined_at=now, last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    push_viewers(p.lesson.id)
    return row


def refresh_attendance(lesson: LiveLesson, user: User, attendance_id: int,
                       now: datetime | None = None) -> LiveAttendance | None:
    """A heartbeat (every HEARTBEAT; a background tab keeps sending them): the connection's row is seen now.

    A row not heard from for STALE_AFTER already counts as ended at its last_seen_at (the page slept
    or the network was gone), so it is closed there and a new row opened now: the gap is not counted.
    A closed row (the lesson ended, or the person was removed) gets nothing; returns the row that is
    open afterwards, or None."""
    now = now or utcnow()
    row = db.session.get(LiveAttendance, attendance_id)
    if row is None or row.lesson_id != lesson.id or row.user_id != user.id or row.left_at is not None:
        return None
    if now - row.last_seen_at > STALE_AFTER:
        row.left_at = row.last_seen_at
        row = LiveAttendance(lesson_id=lesson.id, user_id=user.id, joined_at=now, last_seen_at=now)
        db.session.add(row)
        push_viewers(lesson.id)
    else:
        row.last_seen_at = now
    db.session.flush()
    return row


def close_attendance(attendance_id: int, now: datetime | None = None) -> None:
    """The connection left (leave, disconnect): its row ends now, or at its last_seen_at if that is stale."""
    now = now or utcnow()
    row = db.session.get(LiveAttendance, attendance_id)
    if row is None or row.left_at is not None:
        return
    row.left_at = row.last_seen_at if now - row.last_seen_at > STALE_AFTER else now
    db.session.flush()
    push_viewers(row.lesson_id)


def close_rows_of(lesson: LiveLesson, user_id: int | None, now: datetime) -> None:
    query = sa.update(LiveAttendance).where(LiveAttendance.lesson_id == lesson.id, LiveAttendance.left_at.is_(None))
    if user_id is not None:
        query = query.where(LiveAttendance.user_id == user_id)
    db.session.execute(query.values(left_at=sa.case(
        (LiveAttendance.last_seen_at < now - STALE_AFTER, LiveAttendance.last_seen_at), else_=now)))


def close_room(lesson: LiveLesson, now: datetime | None = None) -> None:
    """When a lesson ends (live-core's end_lesson may call this): every open attendance row closes now,
    the open poll closes, raised hands are lowered. The pages hear `stream_state` from live-core."""
    now = now or utcnow()
    close_rows_of(lesson, None, now)
    db.session.execute(sa.update(LivePoll).where(LivePoll.lesson_id == lesson.id, LivePoll.closed_at.is_(None))
                       .values(closed_at=now))
    db.session.execute(sa.update(LiveHand).where(LiveHand.lesson_id == lesson.id, LiveHand.lowered_at.is_(None))
                       .values(lowered_at=now))
    db.session.flush()
