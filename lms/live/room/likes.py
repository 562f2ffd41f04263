"""Likes: counted on the lesson, throttled per person, the count pushed coalesced."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from limits import parse

from lms.extensions import db, limiter, socketio
from lms.live.models import LiveLesson
from lms.live.notifications import NAMESPACE, room_name
from lms.live.room import Participant, Push, coalesce


#: a person's likes count at most this often (more taps are ignored, not refused)
LIKE_LIMIT = parse("2 per 1 second")

def _push_likes(lesson_id: int) -> None:
    def send():
        count = db.session.scalar(sa.select(LiveLesson.likes).where(LiveLesson.id == lesson_id)) or 0
        socketio.emit(Push.likes, {"count": count}, to=room_name(lesson_id), namespace=NAMESPACE)

    coalesce(("likes", lesson_id), send)


def like(p: Participant) -> bool:
    """`p` likes the lesson: counted unless they liked more than LIKE_LIMIT allows (then ignored, False).
    The count is pushed to the room coalesced (at most once per LIVE_PUSH_SECONDS). The throttle lives in
    the rate limiter's storage (Redis when configured), so it holds across processes."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    if not limiter.limiter.hit(LIKE_LIMIT, prefix, "live-like", str(p.lesson.id), str(p.user.id)):
        return False
    db.session.execute(sa.update(LiveLesson).where(LiveLesson.id == p.lesson.id)
                       .values(likes=LiveLesson.likes + 1).execution_options(synchronize_session=False))
    _push_likes(p.lesson.id)
    return True
