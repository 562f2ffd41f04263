"""Helpers of live-core's tests (schedule, attendance, pages): lessons through the real operations,
attendance rows as live-room writes them, the notifications people got."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from lms.core.types import utcnow
from lms.extensions import db
from lms.live import operations as ops
from lms.live.models import IngestKind, LiveAttendance, LiveLesson
from lms.notifications.models import Notification

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=utcnow().tzinfo)


def schedule(circle, author, *, starts_in=timedelta(days=1), **fields) -> LiveLesson:
    fields.setdefault("title", "Algebra live")
    lesson = ops.create_lesson(circle, author, starts_at=utcnow() + starts_in, **fields)
    db.session.commit()
    return lesson


def held(circle, author, *, went_live_at=T0, minutes=60, ended=True, **fields) -> LiveLesson:
    """A lesson that was live from `went_live_at` for `minutes` (set directly: the times are the test's)."""
    lesson = schedule(circle, author, **fields)
    lesson.state = "ended" if ended else "live"
    lesson.ingest = IngestKind.browser
    lesson.went_live_at = went_live_at
    lesson.starts_at = went_live_at
    lesson.ended_at = went_live_at + timedelta(minutes=minutes) if ended else None
    db.session.commit()
    return lesson


def connection(lesson, user, start_min: float, end_min: float | None, *, last_seen_min: float | None = None,
               base: datetime | None = None) -> LiveAttendance:
    """A connection row from minute `start_min` to `end_min` of the lesson (None: still open, last seen at
    `last_seen_min`)."""
    base = base or lesson.went_live_at
    at = lambda m: base + timedelta(minutes=m)  # noqa: E731
    row = LiveAttendance(lesson_id=lesson.id, user_id=user.id, joined_at=at(start_min),
                         last_seen_at=at(last_seen_min if last_seen_min is not None else (end_min or start_min)),
                         left_at=at(end_min) if end_min is not None else None)
    db.session.add(row)
    db.session.commit()
    return row


def notifications(kind: str | None = None, user=None) -> list[Notification]:
    query = sa.select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(db.session.scalars(query))
