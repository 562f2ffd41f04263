"""A live lesson's room: chat, questions, raised hands, likes, polls, moderation, presence and attendance rows.

Plain functions over a lesson and the acting user, so tests, the CLI and the Socket.IO namespace
(lms/live/events.py, which only parses, loads, calls one function and commits) share them. They flush
and never commit; what they push to browsers goes out after the commit (lms.jobs.after_commit). The
room knows nothing of how the video travels (HLS today, WebRTC later).

Every function taking a `Participant` was given one by `take_part`, which checks, on every event,
that the user may see the lesson, was not removed from it and that the lesson is not over; host-only
functions check `Participant.host` again themselves.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _, ngettext
from limits import parse

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Membership, MembershipStatus
from lms.core.inputs import TextRejected, clean_line
from lms.core.types import utcnow
from lms.extensions import db, limiter, socketio
from lms.jobs import after_commit
from lms.live.models import (HEARTBEAT, STALE_AFTER, LessonState, LiveAttendance, LiveHand, LiveLesson,
                             LiveMessage, LivePoll, LivePollVote, LiveSanction)
from lms.live.notifications import NAMESPACE, room_name

logger = logging.getLogger(__name__)

# -- limits (one place each) ----------------------------------------------------------------------
#: longest chat message or question, in characters
MESSAGE_MAX = 500
#: messages (chat and questions together) one person may send per RATE_WINDOW
RATE_COUNT = 5
RATE_WINDOW = timedelta(seconds=10)
#: slow mode: the longest interval a host may set
SLOW_MODE_MAX = 300
#: how many of the latest chat messages and questions a joining page receives
RECENT_CHAT = 50
RECENT_QUESTIONS = 100
#: a person's likes count at most this often (more taps are ignored, not refused)
LIKE_LIMIT = parse("2 per 1 second")
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_OPTIONS_MIN, POLL_OPTIONS_MAX = 2, 10
#: how often the coalesced counts (viewers, likes, poll results) may be pushed, seconds (config LIVE_PUSH_SECONDS)
PUSH_SECONDS = 1.0
#: states in which the room is open: before the lesson (a waiting room) and on air
OPEN_STATES = frozenset({LessonState.scheduled, LessonState.live, LessonState.reconnecting})

MUTE, REMOVE = "mute", "remove"
CHAT, QUESTION = "chat", "question"


class Push:
    """The events the server sends on namespace /live (the client's are the namespace's `on_*` methods)."""

    message = "chat_message"  #: a new chat message or question {message}
    message_changed = "message_changed"  #: answered or pinned changed {message}
    message_deleted = "message_deleted"  #: {id}
    pinned = "pinned"  #: {message | None}
    hands = "hands"  #: the queue, to hosts only {queue}
    hand = "hand"  #: one person's own hand {raised}
    likes = "likes"  #: {count}
    poll = "poll"  #: opened or closed {poll}
    poll_results = "poll_results"  #: {poll_id, counts, total}
    viewers = "viewers"  #: {count}
    settings = "room_settings"  #: {slow_mode_seconds, all_muted}
    muted = "muted"  #: to the person concerned {muted}
    removed = "removed"  #: to the person removed {lesson_id}
    sanctions = "sanctions"  #: to hosts {muted: [person], removed: [person]}


def hosts_room(lesson_id: int) -> str:
    """Where the hosts' pages of a lesson listen (the hands queue, the sanctions list)."""
    return f"{room_name(lesson_id)}-hosts"


def person_room(lesson_id: int, user_id: int) -> str:
    """Every page one person has open in one lesson (their hand, their mute, their removal)."""
    return f"{room_name(lesson_id)}-user-{user_id}"


class RoomError(Exception):
    """An event the room refuses; the message is translated, for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Participant:
    """Someone taking part in a lesson's room, as checked for the current event."""

    lesson: LiveLesson
    user: User
    host: bool
    muted: bool


# -- who may take part --------------------------------------------------------------------------

def _live_sanctions(lesson: LiveLesson, user_id: int) -> set[str]:
    return set(db.session.scalars(sa.select(LiveSanction.kind).where(
        LiveSanction.lesson_id == lesson.id, LiveSanction.user_id == user_id, LiveSanction.lifted_at.is_(None))))


def check_open(lesson: LiveLesson) -> None:
    """Raises RoomError when the lesson's room is closed (ended or cancelled)."""
    if lesson.state == LessonState.cancelled:
        raise RoomError(_("This lesson was cancelled."))
    if lesson.state not in OPEN_STATES:
        raise RoomError(_("This lesson has ended."))


def take_part(lesson: LiveLesson, user: User) -> Participant:
    """The user as a participant of the lesson's room, checked now: may see the lesson (a member or an
    overseer), not removed from it, the room open. Raises RoomError otherwise."""
    if not lesson.can_view(user):
        raise RoomError(_("This lesson was not found."))
    check_open(lesson)
    host = lesson.can_host(user)
    sanctions = set() if host else _live_sanctions(lesson, user.id)
    if REMOVE in sanctions:
        raise RoomError(_("You were removed from this lesson."))
    return Participant(lesson, user, host, MUTE in sanctions)


def _require_host(p: Participant) -> None:
    if not p.host:
        raise RoomError(_("Only the lesson's teachers and assistants can do that."))


# -- how people appear ------------------------------------------------------------------------------

def people(lesson: LiveLesson, user_ids) -> dict[int, dict]:
    """Each user as everyone in the circle sees them (their circle identity: display name and avatar, as
    lms.circles.display.member_name shows it), with `host` for the staff; one query. Someone with no
    membership (an overseer) shows their account name."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.name, User.avatar_key, User.is_admin, Membership.display_name, Membership.role,
                  Membership.status)
        .outerjoin(Membership, sa.and_(Membership.user_id == User.id, Membership.circle_id == lesson.circle_id))
        .where(User.id.in_(ids)))
    shown = {}
    for uid, name, avatar_key, is_admin, display, role, status in rows:
        member = display is not None
        shown[uid] = {
            "id": uid,
            "name": display if member else name,
            "letter": ((display if member else name) or "?")[:1].upper(),
            "avatar": url_for("accounts.avatar", user_id=uid) if avatar_key else None,
            "host": (role in STAFF_ROLES and status == MembershipStatus.active) if member else bool(is_admin),
        }
    return shown


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _message_dict(message: LiveMessage, shown: dict[int, dict]) -> dict:
    return {
        "id": message.id, "kind": message.kind, "body": message.body, "at": _iso(message.created_at),
        "offset": message.offset_seconds, "author": shown.get(message.user_id),
        "pinned": message.pinned_at is not None, "answered": message.answered_at is not None,
    }


def message_dicts(lesson: LiveLesson, messages: list[LiveMessage]) -> list[dict]:
    shown = people(lesson, [m.user_id for m in messages])
    return [_message_dict(m, shown) for m in messages]


# -- pushes -------------------------------------------------------------------------------------

def _emit(event: str, data: dict, to: str) -> None:
    """Send once the transaction commits."""
    after_commit(lambda: socketio.emit(event, data, to=to, namespace=NAMESPACE))


class _Coalescer:
    """Counts that change often (viewers, likes, poll results) are pushed at most once per interval per
    lesson: the first change goes at once, changes within the interval fold into one push at its end,
    whose value is read from the database when it is sent (so each process's push is right whatever
    the other processes did)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last: dict[tuple, float] = {}
        self._pending: set[tuple] = set()

    def request(self, key: tuple, send) -> None:
        """Call `send()` (in an app context, in a background task) soon; at once if none was sent lately."""
        app = current_app._get_current_object()
        interval = float(app.config.get("LIVE_PUSH_SECONDS", PUSH_SECONDS))

        def _start():
            with self._lock:
                if key in self._pending:
                    return
                self._pending.add(key)
                wait = max(0.0, self._last.get(key, 0.0) + interval - time.monotonic())
            socketio.start_background_task(self._run, app, key, wait, send)

        after_commit(_start)

    def _run(self, app, key: tuple, wait: float, send) -> None:
        if wait:
            socketio.sleep(wait)
        with self._lock:
            self._pending.discard(key)
            now = time.monotonic()
            self._last[key] = now
            # forget lessons not pushed to for a minute (the dictionary stays small)
            for old in [k for k, at in self._last.items() if at < now - 60]:
                del self._last[old]
        try:
            with app.app_context():
                try:
                    send()
                finally:
                    db.session.remove()
        except Exception:  # a lost count push must not kill the worker; the next one corrects it
            logger.exception("live room push %s failed", key)


_coalescer = _Coalescer()


def _push_viewers(lesson_id: int) -> None:
    def send():
        socketio.emit(Push.viewers, {"count": viewer_count(lesson_id)}, to=room_name(lesson_id), namespace=NAMESPACE)

    _coalescer.request(("viewers", lesson_id), send)


def _push_likes(lesson_id: int) -> None:
    def send():
        count = db.session.scalar(sa.select(LiveLesson.likes).where(LiveLesson.id == lesson_id)) or 0
        socketio.emit(Push.likes, {"count": count}, to=room_name(lesson_id), namespace=NAMESPACE)

    _coalescer.request(("likes", lesson_id), send)


def _push_poll_results(lesson_id: int, poll_id: int) -> None:
    def send():
        poll = db.session.get(LivePoll, poll_id)
        if poll is not None:
            socketio.emit(Push.poll_results, {"poll_id": poll.id, **poll_results(poll)}, to=room_name(lesson_id),
                          namespace=NAMESPACE)

    _coalescer.request(("poll", lesson_id, poll_id), send)


# -- presence and attendance --------------------------------------------------------------------

def viewer_count(lesson_id: int, now: datetime | None = None) -> int:
    """How many people have the lesson open: distinct users with a connection open and heard from within
    STALE_AFTER (counted in the database, so every process agrees)."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(LiveAttendance.user_id))).where(
            LiveAttendance.lesson_id == lesson_id, LiveAttendance.left_at.is_(None),
            LiveAttendance.last_seen_at >= now - STALE_AFTER)) or 0


def open_attendance(p: Participant, now: datetime | None = None) -> LiveAttendance:
    """Open an attendance row for one connection of `p` (a page that joined the room); pushes the viewer count."""
    now = now or utcnow()
    row = LiveAttendance(lesson_id=p.lesson.id, user_id=p.user.id, joined_at=now, last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    _push_viewers(p.lesson.id)
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
        _push_viewers(lesson.id)
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
    _push_viewers(row.lesson_id)


def _close_rows_of(lesson: LiveLesson, user_id: int | None, now: datetime) -> None:
    query = sa.update(LiveAttendance).where(LiveAttendance.lesson_id == lesson.id, LiveAttendance.left_at.is_(None))
    if user_id is not None:
        query = query.where(LiveAttendance.user_id == user_id)
    db.session.execute(query.values(left_at=sa.case(
        (LiveAttendance.last_seen_at < now - STALE_AFTER, LiveAttendance.last_seen_at), else_=now)))


def close_room(lesson: LiveLesson, now: datetime | None = None) -> None:
    """When a lesson ends (live-core's end_lesson may call this): every open attendance row closes now,
    the open poll closes, raised hands are lowered. The pages hear `stream_state` from live-core."""
    now = now or utcnow()
    _close_rows_of(lesson, None, now)
    db.session.execute(sa.update(LivePoll).where(LivePoll.lesson_id == lesson.id, LivePoll.closed_at.is_(None))
                       .values(closed_at=now))
    db.session.execute(sa.update(LiveHand).where(LiveHand.lesson_id == lesson.id, LiveHand.lowered_at.is_(None))
                       .values(lowered_at=now))
    db.session.flush()


# -- the state a joining page receives ------------------------------------------------------------

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
    poll = _open_poll(lesson)
    hand = _raised_hand(lesson, p.user.id)
    state = {
        "me": {**shown.get(p.user.id, {"id": p.user.id}), "host": p.host, "muted": p.muted,
               "hand": hand is not None},
        "state": str(lesson.state),
        "settings": settings(lesson),
        "chat": [_message_dict(m, shown) for m in reversed(chat)],
        "questions": [_message_dict(m, shown) for m in reversed(questions)],
        "pinned": _message_dict(pinned, shown) if pinned is not None else None,
        "poll": poll_dict(poll, p.user.id) if poll is not None else None,
        "viewers": viewer_count(lesson.id, now),
        "likes": lesson.likes,
    }
    if p.host:
        state["hands"] = hand_queue(lesson)
        state["sanctions"] = sanction_lists(lesson)
    return state


def settings(lesson: LiveLesson) -> dict:
    return {"slow_mode_seconds": lesson.slow_mode_seconds, "all_muted": lesson.all_muted}


# -- chat and questions ---------------------------------------------------------------------------

def _offset(lesson: LiveLesson, now: datetime) -> float:
    """Where in the recording a message falls (0 before the lesson went live)."""
    if lesson.went_live_at is None:
        return 0.0
    return max(0.0, (now - lesson.went_live_at).total_seconds())


def post_message(p: Participant, kind: str, body, now: datetime | None = None) -> LiveMessage:
    """A chat message or a question from `p`: one line of plain text, at most MESSAGE_MAX characters (shown
    escaped). Refused (RoomError) when `p` is muted, when the chat is muted for everyone but the hosts
    (questions may still be asked), faster than RATE_COUNT per RATE_WINDOW, or, for chat, within the
    slow mode's interval of their last message (hosts are exempt from both mutes and the slow mode)."""
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
    slow = 0 if p.host or kind != CHAT else lesson.slow_mode_seconds
    since = now - max(RATE_WINDOW, timedelta(seconds=slow))
    recent = list(db.session.execute(
        sa.select(LiveMessage.created_at, LiveMessage.kind).where(
            LiveMessage.lesson_id == lesson.id, LiveMessage.user_id == p.user.id, LiveMessage.created_at > since)))
    if sum(1 for at, _kind in recent if at > now - RATE_WINDOW) >= RATE_COUNT:
        raise RoomError(_("You are sending messages too fast. Wait a few seconds."))
    if slow:
        last_chat = max((at for at, k in recent if k == CHAT), default=None)
        if last_chat is not None and last_chat > now - timedelta(seconds=slow):
            wait = int((last_chat + timedelta(seconds=slow) - now).total_seconds() + 0.999)
            raise RoomError(ngettext("Slow mode is on: wait %(num)d more second.",
                                     "Slow mode is on: wait %(num)d more seconds.", wait))
    message = LiveMessage(lesson_id=lesson.id, user_id=p.user.id, kind=kind, body=text, created_at=now,
                          offset_seconds=_offset(lesson, now))
    db.session.add(message)
    db.session.flush()
    _emit(Push.message, {"message": message_dicts(lesson, [message])[0]}, room_name(lesson.id))
    return message


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
    _require_host(p)
    message = _message_or_error(p.lesson, message_id)
    if message.kind != QUESTION:
        raise RoomError(_("Only questions can be marked answered."))
    message.answered_at = (now or utcnow()) if answered else None
    message.answered_by_id = p.user.id if answered else None
    db.session.flush()
    _emit(Push.message_changed, {"message": message_dicts(p.lesson, [message])[0]}, room_name(p.lesson.id))
    return message


def pin_message(p: Participant, message_id, pinned: bool = True, now: datetime | None = None) -> LiveMessage:
    """A host pins a chat message or question above the chat (one at a time: the one pinned before is
    unpinned), or unpins it."""
    _require_host(p)
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
    _emit(Push.pinned, {"message": shown if pinned else None}, room_name(p.lesson.id))
    return message


def delete_message(p: Participant, message_id, now: datetime | None = None) -> LiveMessage:
    """A host deletes a chat message or question: it disappears from every page (and the replay)."""
    _require_host(p)
    message = _message_or_error(p.lesson, message_id)
    message.deleted_at = now or utcnow()
    message.deleted_by_id = p.user.id
    was_pinned = message.pinned_at is not None
    message.pinned_at = None
    db.session.flush()
    _emit(Push.message_deleted, {"id": message.id}, room_name(p.lesson.id))
    if was_pinned:
        _emit(Push.pinned, {"message": None}, room_name(p.lesson.id))
    return message


# -- hands --------------------------------------------------------------------------------------

def _raised_hand(lesson: LiveLesson, user_id: int) -> LiveHand | None:
    return db.session.scalar(sa.select(LiveHand).where(LiveHand.lesson_id == lesson.id, LiveHand.user_id == user_id,
                                                       LiveHand.lowered_at.is_(None)).limit(1))


def hand_queue(lesson: LiveLesson) -> list[dict]:
    """The raised hands, first raised first, with who raised them."""
    hands = list(db.session.scalars(sa.select(LiveHand).where(LiveHand.lesson_id == lesson.id,
                                                              LiveHand.lowered_at.is_(None))
                                    .order_by(LiveHand.raised_at, LiveHand.id)))
    shown = people(lesson, [h.user_id for h in hands])
    return [{"user": shown.get(h.user_id, {"id": h.user_id}), "raised_at": _iso(h.raised_at)} for h in hands]


def _push_hands(lesson: LiveLesson, user_id: int, raised: bool) -> None:
    _emit(Push.hands, {"queue": hand_queue(lesson)}, hosts_room(lesson.id))
    _emit(Push.hand, {"raised": raised}, person_room(lesson.id, user_id))


def raise_hand(p: Participant, now: datetime | None = None) -> LiveHand:
    """`p` raises their hand (once: raising it again keeps its place in the queue)."""
    hand = _raised_hand(p.lesson, p.user.id)
    if hand is None:
        hand = LiveHand(lesson_id=p.lesson.id, user_id=p.user.id, raised_at=now or utcnow())
        db.session.add(hand)
        db.session.flush()
        _push_hands(p.lesson, p.user.id, True)
    return hand


def lower_hand(p: Participant, user_id=None, now: datetime | None = None) -> None:
    """`p` lowers their own hand; a host may lower anyone's (`user_id`). Lowering a hand that is down does nothing."""
    try:
        target = p.user.id if user_id in (None, "") else int(user_id)
    except (TypeError, ValueError):
        raise RoomError(_("This person was not found.")) from None
    if target != p.user.id:
        _require_host(p)
    hand = _raised_hand(p.lesson, target)
    if hand is None:
        return
    hand.lowered_at = now or utcnow()
    hand.lowered_by_id = p.user.id
    db.session.flush()
    _push_hands(p.lesson, target, False)


# -- likes --------------------------------------------------------------------------------------

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


# -- polls --------------------------------------------------------------------------------------

def _open_poll(lesson: LiveLesson) -> LivePoll | None:
    return db.session.scalar(sa.select(LivePoll).where(LivePoll.lesson_id == lesson.id, LivePoll.closed_at.is_(None))
                             .order_by(LivePoll.opened_at.desc(), LivePoll.id.desc()).limit(1))


def poll_results(poll: LivePoll) -> dict:
    """{counts: votes per option, total}, counted in SQL."""
    counts = [0] * len(poll.options)
    for option, count in db.session.execute(sa.select(LivePollVote.option, sa.func.count())
                                            .where(LivePollVote.poll_id == poll.id).group_by(LivePollVote.option)):
        if 0 <= option < len(counts):
            counts[option] = count
    return {"counts": counts, "total": sum(counts)}


def poll_dict(poll: LivePoll, user_id: int | None = None) -> dict:
    data = {"id": poll.id, "question": poll.question, "options": list(poll.options), "closed": poll.closed_at is not None,
            **poll_results(poll)}
    if user_id is not None:
        data["my_vote"] = db.session.scalar(sa.select(LivePollVote.option).where(LivePollVote.poll_id == poll.id,
                                                                                 LivePollVote.user_id == user_id))
    return data


def open_poll(p: Participant, question, options, now: datetime | None = None) -> LivePoll:
    """A host asks a quick question with 2–10 answers; one poll is open at a time."""
    _require_host(p)
    try:
        question = clean_line(question if isinstance(question, str) else "", max_length=POLL_QUESTION_MAX)
        if not isinstance(options, list):
            raise TextRejected(_("Give between %(min)d and %(max)d answers.", min=POLL_OPTIONS_MIN,
                                 max=POLL_OPTIONS_MAX))
        labels = [clean_line(o if isinstance(o, str) else "", required=False, max_length=POLL_OPTION_MAX)
                  for o in options]
    except TextRejected as error:
        raise RoomError(str(error)) from None
    labels = [label for label in labels if label]
    if not POLL_OPTIONS_MIN <= len(labels) <= POLL_OPTIONS_MAX:
        raise RoomError(_("Give between %(min)d and %(max)d answers.", min=POLL_OPTIONS_MIN, max=POLL_OPTIONS_MAX))
    if _open_poll(p.lesson) is not None:
        raise RoomError(_("Close the open poll first."))
    poll = LivePoll(lesson_id=p.lesson.id, question=question, options=labels, created_by_id=p.user.id,
                    opened_at=now or utcnow())
    db.session.add(poll)
    db.session.flush()
    _emit(Push.poll, {"poll": poll_dict(poll)}, room_name(p.lesson.id))
    return poll


def _poll_or_error(lesson: LiveLesson, poll_id) -> LivePoll:
    try:
        poll_id = int(poll_id)
    except (TypeError, ValueError):
        raise RoomError(_("This poll was not found.")) from None
    poll = db.session.scalar(sa.select(LivePoll).where(LivePoll.id == poll_id, LivePoll.lesson_id == lesson.id))
    if poll is None:
        raise RoomError(_("This poll was not found."))
    return poll


def vote(p: Participant, poll_id, option, now: datetime | None = None) -> LivePollVote:
    """`p` answers the open poll; answering again changes their answer while it is open. The results
    are pushed to the room aggregated and coalesced."""
    poll = _poll_or_error(p.lesson, poll_id)
    if poll.closed_at is not None:
        raise RoomError(_("This poll is closed."))
    if isinstance(option, bool) or not isinstance(option, int) or not 0 <= option < len(poll.options):
        raise RoomError(_("Choose one of the answers."))
    ballot = db.session.scalar(sa.select(LivePollVote).where(LivePollVote.poll_id == poll.id,
                                                             LivePollVote.user_id == p.user.id))
    if ballot is None:
        ballot = LivePollVote(poll_id=poll.id, user_id=p.user.id, option=option, created_at=now or utcnow())
        db.session.add(ballot)
    else:
        ballot.option = option
    db.session.flush()
    _push_poll_results(p.lesson.id, poll.id)
    return ballot


def close_poll(p: Participant, poll_id, now: datetime | None = None) -> LivePoll:
    """A host closes the poll; everyone sees its final results."""
    _require_host(p)
    poll = _poll_or_error(p.lesson, poll_id)
    if poll.closed_at is None:
        poll.closed_at = now or utcnow()
        db.session.flush()
        _emit(Push.poll, {"poll": poll_dict(poll)}, room_name(p.lesson.id))
    return poll


# -- moderation ---------------------------------------------------------------------------------

def _target(p: Participant, user_id) -> Membership:
    """The member a host acts on: in the circle, not a host, not themselves."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise RoomError(_("This person was not found.")) from None
    membership = db.session.scalar(sa.select(Membership).where(Membership.circle_id == p.lesson.circle_id,
                                                               Membership.user_id == user_id))
    if membership is None or membership.status != MembershipStatus.active:
        raise RoomError(_("This person was not found."))
    if user_id == p.user.id or membership.role in STAFF_ROLES:
        raise RoomError(_("Teachers and assistants cannot be muted or removed."))
    return membership


def _sanction(lesson: LiveLesson, user_id: int, kind: str) -> LiveSanction | None:
    return db.session.scalar(sa.select(LiveSanction).where(
        LiveSanction.lesson_id == lesson.id, LiveSanction.user_id == user_id, LiveSanction.kind == kind,
        LiveSanction.lifted_at.is_(None)).limit(1))


def sanction_lists(lesson: LiveLesson) -> dict:
    """Who is muted and who is removed in the lesson now, for the hosts' pages."""
    rows = list(db.session.execute(sa.select(LiveSanction.user_id, LiveSanction.kind).where(
        LiveSanction.lesson_id == lesson.id, LiveSanction.lifted_at.is_(None)).order_by(LiveSanction.created_at)))
    shown = people(lesson, [uid for uid, _kind in rows])
    return {kind_name: [shown[uid] for uid, kind in rows if kind == kind_value and uid in shown]
            for kind_name, kind_value in (("muted", MUTE), ("removed", REMOVE))}


def _set_sanction(p: Participant, user_id, kind: str, on: bool, now: datetime | None) -> Membership:
    _require_host(p)
    membership = _target(p, user_id)
    current = _sanction(p.lesson, membership.user_id, kind)
    if on and current is None:
        db.session.add(LiveSanction(lesson_id=p.lesson.id, user_id=membership.user_id, kind=kind, by_id=p.user.id,
                                    created_at=now or utcnow()))
    elif not on and current is not None:
        current.lifted_at = now or utcnow()
    db.session.flush()
    _emit(Push.sanctions, sanction_lists(p.lesson), hosts_room(p.lesson.id))
    return membership


def mute(p: Participant, user_id, now: datetime | None = None) -> None:
    """A host mutes a member in this lesson: they may watch, raise a hand and vote, not write."""
    membership = _set_sanction(p, user_id, MUTE, True, now)
    _emit(Push.muted, {"muted": True}, person_room(p.lesson.id, membership.user_id))


def unmute(p: Participant, user_id, now: datetime | None = None) -> None:
    membership = _set_sanction(p, user_id, MUTE, False, now)
    _emit(Push.muted, {"muted": False}, person_room(p.lesson.id, membership.user_id))


def mute_all(p: Participant, on: bool = True) -> None:
    """A host closes (or reopens) the chat for everyone but the hosts; questions stay open."""
    _require_host(p)
    p.lesson.all_muted = bool(on)
    db.session.flush()
    _emit(Push.settings, settings(p.lesson), room_name(p.lesson.id))


def set_slow_mode(p: Participant, seconds) -> None:
    """A host lets each member send a chat message at most every `seconds` (0 turns slow mode off)."""
    _require_host(p)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= SLOW_MODE_MAX:
        raise RoomError(_("Slow mode takes 0 to %(max)d seconds.", max=SLOW_MODE_MAX))
    p.lesson.slow_mode_seconds = seconds
    db.session.flush()
    _emit(Push.settings, settings(p.lesson), room_name(p.lesson.id))


def remove(p: Participant, user_id, now: datetime | None = None) -> int:
    """A host removes a member from the lesson: their attendance rows close, their hand comes down, their
    pages are told and disconnected from the room (lms.live.events), and they cannot join again until a
    host readmits them (they still see the lesson's page). Returns the removed user's id."""
    now = now or utcnow()
    membership = _set_sanction(p, user_id, REMOVE, True, now)
    _close_rows_of(p.lesson, membership.user_id, now)
    hand = _raised_hand(p.lesson, membership.user_id)
    if hand is not None:
        hand.lowered_at, hand.lowered_by_id = now, p.user.id
        db.session.flush()
        _emit(Push.hands, {"queue": hand_queue(p.lesson)}, hosts_room(p.lesson.id))
    # the page says why in its own reader's language (static/js/live/room.js)
    _emit(Push.removed, {"lesson_id": p.lesson.id}, person_room(p.lesson.id, membership.user_id))
    _push_viewers(p.lesson.id)
    return membership.user_id


def readmit(p: Participant, user_id, now: datetime | None = None) -> None:
    """A host lets a removed member join the lesson again."""
    _set_sanction(p, user_id, REMOVE, False, now)

