"""Chat messages and questions: one line of plain text each (shown escaped), rate-limited, slow mode, mutes;
hosts mark questions answered, pin and delete."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _, ngettext

from lms.core.inputs import TextRejected, clean_line
from lms.core.types import utcnow
from lms.extensions import db
from lms.live.models import LiveLesson, LiveMessage
from lms.live.notifications import room_name
from lms.live.room import CHAT, QUESTION, Participant, Push, RoomError, emit, iso, people, person, require_host


#: longest chat message or question, in characters
MESSAGE_MAX = 500
#: messages (chat and questions together) one person may send per RATE_WINDOW
RATE_COUNT = 5
RATE_WINDOW = timedelta(seconds=10)

def message_dict(message: LiveMessage, shown: dict[int, dict]) -> dict:
    return {
        "id": message.id, "kind": message.kind, "body": message.body, "at": iso(message.created_at),
        "offset": message.offset_seconds, "author": shown.get(message.user_id),
        "pinned": message.pinned_at is not None, "answered": message.answered_at is not None,
    }


def message_dicts(lesson: LiveLesson, messages: list[LiveMessage]) -> list[dict]:
    shown = people(lesson, [m.user_id for m in messages])
    return [message_dict(m, shown) for m in messages]


def _offset(lesson: LiveLesson, now: datetime) -> float:
    """Where in the recording a message falls (0 before the lesson went live)."""
    if lesson.went_live_at is None:
        return 0.0
    return max(0.0, (now - lesson.went_live_at).total_seconds())


def _check_pace(p: Participant, kind: str, now: datetime) -> None:
    """RoomError when a member writes faster than RATE_COUNT per RATE_WINDOW (chat and questions together), or
    chats within the slow mode's interval of their last chat message."""
    slow = p.lesson.slow_mode_seconds if kind == CHAT else 0
    since = now - max(RATE_WINDOW, timedelta(seconds=slow))
    recent = list(db.session.execute(
        sa.select(LiveMessage.created_at, LiveMessage.kind).where(
            LiveMessage.lesson_id == p.lesson.id, LiveMessage.user_id == p.user.id, LiveMessage.created_at > since)))
    if sum(1 for at, _kind in recent if at > now - RATE_WINDOW) >= RATE_COUNT:
        raise RoomError(_("You are sending messages too fast. Wait a few seconds."))
    if slow:
        last_chat = max((at for at, k in recent if k == CHAT), default=None)
        if last_chat is not None and last_chat > now - timedelta(seconds=slow):
            wait = int((last_chat + timedelta(seconds=slow) - now).total_seconds() + 0.999)
            raise RoomError(ngettext("Slow mode is on: wait %(num)d more second.",
                                     "Slow mode is on: wait %(num)d more seconds.", wait))


def post_message(p: Participant, kind: str, body, now: datetime | None = None) -> dict:
    """A chat message or a question from `p`: one line of plain text, at most MESSAGE_MAX characters (shown
    escaped). Refused (RoomError) when `p` is muted, when the chat is muted for everyone but the hosts
    (questions may still be asked), faster than RATE_COUNT per RATE_WINDOW, or, for chat, within the
    slow mode's interval of their last message. Hosts are held only to the length.

    Returns the new message as pushed to the room (message_dict: "id", "body", "author"...). The hot path of
    the room: one INSERT ... RETURNING id (no unit of work) and the author from the sender's membership that
    the checks read (no query), the payload built once."""
    now = now or utcnow()
    if kind not in (CHAT, QUESTION):
        raise RoomError(_("This kind of message is not known."))
    try:
        text = clean_line(body if isinstance(body, str) else "", max_length=MESSAGE_MAX)
    except TextRejected as error:
        raise RoomError(str(error)) from None
    lesson = p.lesson
    if p.muted:
        raise RoomError(_("A host has muted you in this lesson."))
    if kind == CHAT and lesson.all_muted and not p.host:
        raise RoomError(_("The chat is closed for now; you can still ask a question."))
    if not p.host:  # hosts teach and moderate: no mute, rate limit or slow mode holds them back
        _check_pace(p, kind, now)
    offset = _offset(lesson, now)
    message_id = db.session.execute(_INSERT, {"lesson_id": lesson.id, "user_id": p.user.id, "kind": kind,
                                              "body": text, "created_at": now, "offset_seconds": offset}).scalar_one()
    shown = {"id": message_id, "kind": kind, "body": text, "at": iso(now), "offset": offset, "author": person(p),
             "pinned": False, "answered": False}  # as message_dict() shows a new message
    emit(Push.message, {"message": shown}, room_name(lesson.id))
    return shown


#: post_message's INSERT, built once
_INSERT = sa.insert(LiveMessage.__table__).returning(LiveMessage.__table__.c.id)


def _message_or_error(lesson: LiveLesson, message_id) -> LiveMessage:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise RoomError(_("This message was not found.")) from None
    message = db.session.scalar(sa.select(LiveMessage).where(LiveMessage.id == message_id,
                                                             LiveMessage.lesson_id == lesson.id))
    if message is None or message.deleted_at is not None:
        raise RoomError(_("This message was not found."))
    return message


def answer_question(p: Participant, message_id, answered: bool = True, now: datetime | None = None) -> LiveMessage:
    """A host marks a question answered (or not answered again)."""
    require_host(p)
    message = _message_or_error(p.lesson, message_id)
    if message.kind != QUESTION:
        raise RoomError(_("Only questions can be marked answered."))
    message.answered_at = (now or utcnow()) if answered else None
    message.answered_by_id = p.user.id if answered else None
    db.session.flush()
    emit(Push.message_changed, {"message": message_dicts(p.lesson, [message])[0]}, room_name(p.lesson.id))
    return message


def pin_message(p: Participant, message_id, pinned: bool = True, now: datetime | None = None) -> LiveMessage:
    """A host pins a chat message or question above the chat (one at a time: the one pinned before is
    unpinned), or unpins it."""
    require_host(p)
    message = _message_or_error(p.lesson, message_id)
    if pinned:
        db.session.execute(sa.update(LiveMessage).where(LiveMessage.lesson_id == p.lesson.id,
                                                        LiveMessage.pinned_at.is_not(None),
                                                        LiveMessage.id != message.id).values(pinned_at=None))
        message.pinned_at = now or utcnow()
    else:
        message.pinned_at = None
    db.session.flush()
    shown = message_dicts(p.lesson, [message])[0]
    emit(Push.pinned, {"message": shown if pinned else None}, room_name(p.lesson.id))
    return message


def delete_message(p: Participant, message_id, now: datetime | None = None) -> LiveMessage:
    """A host deletes a chat message or question: it disappears from every page (and the replay)."""
    require_host(p)
    message = _message_or_error(p.lesson, message_id)
    message.deleted_at = now or utcnow()
    message.deleted_by_id = p.user.id
    was_pinned = message.pinned_at is not None
    message.pinned_at = None
    db.session.flush()
    emit(Push.message_deleted, {"id": message.id}, room_name(p.lesson.id))
    if was_pinned:
        emit(Push.pinned, {"message": None}, room_name(p.lesson.id))
    return message
