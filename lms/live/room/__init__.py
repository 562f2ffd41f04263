"""A live lesson's room: chat, questions, raised hands, likes, polls, moderation, presence and attendance rows.

Plain functions over a lesson and the acting user, so tests, the CLI and the Socket.IO namespace
(lms/live/events.py, which only parses, loads, calls one function and commits) share them. They flush
and never commit; what they push to browsers goes out after the commit (lms.jobs.after_commit). The
room knows nothing of how the video travels (HLS today, WebRTC later).

This module holds what the parts share: who takes part (`take_part`, which checks on every event that
the user may see the lesson, was not removed from it and that the lesson is not over; host-only
functions check `Participant.host` again themselves), how people appear, the pushes. The parts:
presence (attendance rows, viewers), messages (chat, questions), hands, likes, polls, moderation, and
state (what a joining page receives).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, lazyload

from lms.accounts.models import User, UserSession
from lms.circles.archived import CircleArchived
from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus, Role
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.jobs import after_commit
from lms.live.models import LessonState, LiveLesson, LiveSanction
from lms.live.notifications import NAMESPACE, room_name

logger = logging.getLogger(__name__)

#: states in which the room is open: before the lesson (a waiting room) and on air
OPEN_STATES = frozenset({LessonState.scheduled, LessonState.live, LessonState.reconnecting})
#: how often the coalesced counts (viewers, likes, poll results) may be pushed, seconds (config LIVE_PUSH_SECONDS)
PUSH_SECONDS = 1.0
#: the kinds of LiveSanction and LiveMessage
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
    readmitted = "readmitted"  #: to the person let back in {lesson_id}
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


class Removed(RoomError):
    """A host removed this person from the lesson (until readmitted)."""


@dataclass
class Participant:
    """Someone taking part in a lesson's room, as checked for the current event."""

    lesson: LiveLesson
    user: User
    host: bool
    muted: bool


# -- who may take part --------------------------------------------------------------------------

def _live_sanctions(lesson: LiveLesson, user_id: int) -> set[str]:
    known = lesson.__dict__.get("_live_sanctions")  # read with the lesson by enter(), for this event
    if known is not None and user_id in known:
        return known[user_id]
    return set(db.session.scalars(sa.select(LiveSanction.kind).where(
        LiveSanction.lesson_id == lesson.id, LiveSanction.user_id == user_id, LiveSanction.lifted_at.is_(None))))


def check_open(lesson: LiveLesson) -> None:
    """Raises RoomError when the lesson's room is closed (ended or cancelled, or its circle archived: read-only,
    as lms.circles.archived makes its pages)."""
    if lesson.state == LessonState.cancelled:
        raise RoomError(_("This lesson was cancelled."))
    if lesson.state not in OPEN_STATES:
        raise RoomError(_("This lesson has ended."))
    if lesson.circle.is_archived:
        raise RoomError(str(CircleArchived.description))


def take_part(lesson: LiveLesson, user: User) -> Participant:
    """The user as a participant of the lesson's room, checked now: may see the lesson (a member or an
    overseer), not removed from it, the room open. Raises RoomError otherwise."""
    if not lesson.can_view(user):
        raise RoomError(_("This lesson was not found."))
    check_open(lesson)
    host = lesson.can_host(user)
    sanctions = set() if host else _live_sanctions(lesson, user.id)
    if REMOVE in sanctions:
        raise Removed(_("You were removed from this lesson."))
    return Participant(lesson, user, host, MUTE in sanctions)


def require_host(p: Participant) -> None:
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
    return {row[0]: _shown(*row) for row in rows}


def _shown(uid, name, avatar_key, is_admin, display, role, status) -> dict:
    member = display is not None
    return {
        "id": uid,
        "name": display if member else name,
        "letter": ((display if member else name) or "?")[:1].upper(),
        "avatar": url_for("accounts.avatar", user_id=uid) if avatar_key else None,
        "host": (role in STAFF_ROLES and status == MembershipStatus.active) if member else bool(is_admin),
        # their circle identity's badge: teacher (owner or teacher) or assistant; None for others (an overseer: "Host")
        "role": (("assistant" if role == Role.assistant else "teacher")
                 if member and role in STAFF_ROLES and status == MembershipStatus.active else None),
    }


def person(p: Participant) -> dict:
    """The participant as people() shows them, from their membership already read by the checks (no query)."""
    m = p.lesson.circle.membership_of(p.user)
    user = p.user
    return _shown(user.id, user.name, user.avatar_key, user.is_admin, m.display_name if m is not None else None,
                  m.role if m is not None else None, m.status if m is not None else None)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- pushes -------------------------------------------------------------------------------------

def emit(event: str, data: dict, to: str) -> None:
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
        key = (id(app), *key)  # the coalescer is the process's; a process may hold several apps (the tests do)
        interval = float(app.config.get("LIVE_PUSH_SECONDS", PUSH_SECONDS))

        def _start():
            with self._lock:
                if key in self._pending:
                    return
                self._pending.add(key)
                wait = max(0.0, self._last.get(key, 0.0) + interval - time.monotonic())
            socketio.start_background_task(self._run, app, key, wait, send)

        after_commit(_start)

    #: a push that failed (the database busy a moment) is tried again this many times, an interval apart:
    #: the last change of a count has no later push to correct it
    ATTEMPTS = 3

    def _run(self, app, key: tuple, wait: float, send, attempt: int = 1) -> None:
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
        except Exception:  # a failed count push must not kill the worker: tried again, then left to the next
            logger.exception("live room push %s failed (attempt %d of %d)", key, attempt, self.ATTEMPTS)
            if attempt >= self.ATTEMPTS:
                return
            with self._lock:
                if key in self._pending:  # a newer change has its push on the way
                    return
                self._pending.add(key)
            interval = float(app.config.get("LIVE_PUSH_SECONDS", PUSH_SECONDS))
            socketio.start_background_task(self._run, app, key, interval, send, attempt + 1)


_coalescer = _Coalescer()


def coalesce(key: tuple, send) -> None:
    """Push a count that changes often through the one coalescer of this process (see _Coalescer)."""
    _coalescer.request(key, send)


# -- the event path -------------------------------------------------------------------------------

def _enter_statement() -> sa.Select:
    """enter()'s query by bound parameters, built once (building it costs more than running it)."""
    global _ENTER
    if _ENTER is None:
        def sanction(kind: str):
            return sa.exists().where(LiveSanction.lesson_id == LiveLesson.id,
                                     LiveSanction.user_id == sa.bindparam("user_id"), LiveSanction.kind == kind,
                                     LiveSanction.lifted_at.is_(None))
        _ENTER = (
            sa.select(LiveLesson, Membership, sanction(REMOVE).label("removed"), sanction(MUTE).label("muted"))
            .join(LiveLesson.circle)
            .outerjoin(Membership, sa.and_(Membership.circle_id == Circle.id,
                                           Membership.user_id == sa.bindparam("user_id")))
            .where(LiveLesson.id == sa.bindparam("lesson_id"), LiveLesson.circle_id == sa.bindparam("circle_id"))
            # the lesson's circle from this join; the membership's user is the sender, already in the session
            .options(contains_eager(LiveLesson.circle), lazyload(Membership.user)))
    return _ENTER


_ENTER: sa.Select | None = None


def _enter_by_session_statement() -> sa.Select:
    """enter_by_session()'s query: the sign-in session by its token's hash with its user, and enter()'s lesson,
    circle, membership and sanctions of that user, in one statement; built once."""
    global _ENTER_BY_SESSION
    if _ENTER_BY_SESSION is None:
        def sanction(kind: str):
            return sa.exists().where(LiveSanction.lesson_id == LiveLesson.id,
                                     LiveSanction.user_id == UserSession.user_id, LiveSanction.kind == kind,
                                     LiveSanction.lifted_at.is_(None))
        _ENTER_BY_SESSION = (
            sa.select(UserSession, LiveLesson, Membership, sanction(REMOVE).label("removed"),
                      sanction(MUTE).label("muted"))
            .join(UserSession.user)
            .join(LiveLesson, LiveLesson.id == sa.bindparam("lesson_id"))
            .join(LiveLesson.circle)
            .outerjoin(Membership, sa.and_(Membership.circle_id == Circle.id,
                                           Membership.user_id == UserSession.user_id))
            .where(UserSession.token_hash == sa.bindparam("token_hash"),
                   LiveLesson.circle_id == sa.bindparam("circle_id"))
            .options(contains_eager(UserSession.user), contains_eager(LiveLesson.circle), lazyload(Membership.user)))
    return _ENTER_BY_SESSION


_ENTER_BY_SESSION: sa.Select | None = None


class SignedOut(RoomError):
    """The page's sign-in session ended (signed out, expired, disabled account) since it joined."""


def enter_by_session(circle_id: int, lesson_id: int, token: str | None, user_id: int) -> Participant:
    """enter() for a room event, with the sign-in check of Flask-Login's loader (lms.accounts.queries.
    load_session_user: the session exists, is live, its user not disabled) in the same statement: the
    event's one query. `user_id` is whom the page joined as: a session now of someone else is refused.
    Raises SignedOut, or RoomError as take_part()."""
    if not token or len(token) > 100:
        raise SignedOut(_("Sign in again to take part."))
    row = db.session.execute(_enter_by_session_statement(), {
        "token_hash": UserSession.hash_token(token), "circle_id": int(circle_id), "lesson_id": int(lesson_id)}).first()
    if row is None:
        # no such session, or no such lesson in that circle: which one, one more query says
        if db.session.scalar(sa.select(UserSession.id).where(UserSession.token_hash == UserSession.hash_token(token))):
            raise RoomError(_("This lesson was not found."))
        raise SignedOut(_("Sign in again to take part."))
    session, lesson, membership, removed, muted = row
    user = session.user
    config = current_app.config
    limits = timedelta(seconds=config["SESSION_IDLE_SECONDS"]), timedelta(seconds=config["SESSION_MAX_SECONDS"])
    if user.id != user_id or user.is_disabled or not session.is_live(utcnow(), *limits):
        raise SignedOut(_("Sign in again to take part."))
    user.session_token, user.current_session = token, session
    lesson.circle.keep_membership_of(user, membership)
    lesson.__dict__.setdefault("_live_sanctions", {})[user.id] = (
        {REMOVE} if removed else set()) | ({MUTE} if muted else set())
    g.circle_timezone = lesson.circle.timezone  # as lms.circles.queries.get_circle_or_404
    return take_part(lesson, user)


def enter(circle_id: int, lesson_id: int, user: User) -> Participant:
    """take_part() for an event of a page in the lesson's room, whose lesson, circle, the user's membership
    (any status) and live sanctions are read now in one query; the checks are take_part's, unchanged (may see
    the lesson, the room open, host or not, not removed, muted). RoomError as take_part's."""
    row = db.session.execute(_enter_statement(), {"circle_id": int(circle_id), "lesson_id": int(lesson_id),
                                                  "user_id": user.id}).first()
    if row is None:
        raise RoomError(_("This lesson was not found."))
    lesson, membership, removed, muted = row
    lesson.circle.keep_membership_of(user, membership)
    lesson.__dict__.setdefault("_live_sanctions", {})[user.id] = (
        {REMOVE} if removed else set()) | ({MUTE} if muted else set())
    g.circle_timezone = lesson.circle.timezone  # as lms.circles.queries.get_circle_or_404
    return take_part(lesson, user)
