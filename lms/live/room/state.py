"""What a page receives when it joins a lesson's room."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from lms.extensions import db
from lms.live.models import LiveMessage
from lms.live.room import CHAT, QUESTION, Participant, people
from lms.live.room.hands import hand_queue, raised_hand
from lms.live.room.messages import message_dict
from lms.live.room.moderation import sanction_lists, settings
from lms.live.room.polls import current_poll, poll_dict
from lms.live.room.presence import viewer_count
from lms.live.stage.operations import stage_state


#: how many of the latest chat messages and questions a joining page receives
RECENT_CHAT = 50
RECENT_QUESTIONS = 100

def room_state(p: Participant, now: datetime | None = None) -> dict:
    """Everything a page shows when it joins: recent chat, questions, the pinned message, the open poll
    with its results and the person's vote, settings, counts; for hosts the hands queue and sanctions."""
    lesson = p.lesson
    visible = sa.and_(LiveMessage.lesson_id == lesson.id, LiveMessage.deleted_at.is_(None))
    chat = list(db.session.scalars(sa.select(LiveMessage).where(visible, LiveMessage.kind == CHAT)
                                   .order_by(LiveMessage.created_at.desc(), LiveMessage.id.desc()).limit(RECENT_CHAT)))
    questions = list(db.session.scalars(
        sa.select(LiveMessage).where(visible, LiveMessage.kind == QUESTION)
        .order_by(LiveMessage.created_at.desc(), LiveMessage.id.desc()).limit(RECENT_QUESTIONS)))
    pinned = db.session.scalar(sa.select(LiveMessage).where(visible, LiveMessage.pinned_at.is_not(None))
                               .order_by(LiveMessage.pinned_at.desc()).limit(1))
    messages = chat + questions + ([pinned] if pinned is not None else [])
    shown = people(lesson, [m.user_id for m in messages] + [p.user.id])
    poll = current_poll(lesson)
    hand = raised_hand(lesson, p.user.id)
    state = {
        "me": {**shown.get(p.user.id, {"id": p.user.id}), "host": p.host, "muted": p.muted,
               "hand": hand is not None},
        "state": str(lesson.state),
        "settings": settings(lesson),
        "chat": [message_dict(m, shown) for m in reversed(chat)],
        "questions": [message_dict(m, shown) for m in reversed(questions)],
        "pinned": message_dict(pinned, shown) if pinned is not None else None,
        "poll": poll_dict(poll, p.user.id) if poll is not None else None,
        "viewers": viewer_count(lesson.id, now),
        "likes": lesson.likes,
        "stage": stage_state(lesson, now),
    }
    if p.host:
        state["hands"] = hand_queue(lesson)
        state["sanctions"] = sanction_lists(lesson)
    return state
