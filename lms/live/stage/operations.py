"""The stage of a lesson: its delivery mode, Janus room, tokens, invitations, who is on stage, mutes and
"take turns". Plain functions over a lesson's room participant (lms.live.room.Participant), like the room's
other parts: they flush and never commit; pushes and Janus clean-ups go after the commit. The contract with
the browser: /work/notes/stage_contract.md.

Janus is told before the commit what a browser needs at once (a room to exist, a publisher's room token on
the allowed list); what takes rights away (tokens off the allowed list, kicks, destroying a room) goes after
the commit, so a rolled-back event never leaves someone without a stage they still hold in the database.
A room created for a transaction that rolls back is destroyed.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.accounts.models import User
from lms.circles.models import Membership, MembershipStatus, Role
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.jobs import after_commit, after_rollback
from lms.live.models import LiveLesson, LiveSanction, LiveStageSeat
from lms.live.notifications import room_name
from lms.live.room import (OPEN_STATES, REMOVE, Participant, RoomError, emit, iso, people, person_room,
                           require_host)
from lms.live.stage.janus import Janus, JanusError
from lms.live.stage.tokens import PUBLISHER, SUBSCRIBER, make_tokens

logger = logging.getLogger(__name__)

HLS, REALTIME = "hls", "realtime"
MODES = (HLS, REALTIME)
#: a seat's states; HOST: a host's publisher seat (never counted, never taken down)
INVITED, ON, OFF, HOST = "invited", "on", "off", "host"
#: who may be invited on stage
STAGE_ROLES = (Role.student, Role.member)
#: "take turns": the shortest and longest turn, seconds
TURN_MIN, TURN_MAX = 15, 1800
#: feed generations: a publisher's ids change at each new publisher token (a renewal's new session can
#: publish while the old one still holds its ids)
GENERATIONS = 4


class Push:
    stage = "stage"  #: the stage's state, to the lesson's room
    you = "stage_you"  #: one person's own place on stage, to their pages


class StageError(RoomError):
    """Refused; `code` says what the page should do: "hls" (use HLS), "over", "removed", "" (show the error)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


# -- Janus ------------------------------------------------------------------------------------------

def client() -> Janus | None:
    """This app's Janus client, or None when it has none configured."""
    app = current_app._get_current_object()
    key = "circles_janus"
    if key not in app.extensions:
        app.extensions[key] = Janus.from_config(app.config)
    return app.extensions[key]


def realtime_possible() -> bool:
    janus = client()
    return janus is not None and janus.available()


def feeds(user_id: int, generation: int = 0) -> dict[str, int]:
    """A person's Janus publisher ids: user_id * 10 + an odd digit (camera), + the next even one (screen)."""
    camera = int(user_id) * 10 + 2 * (generation % GENERATIONS) + 1
    return {"camera": camera, "screen": camera + 1}


def feed_owner(feed: int) -> int:
    return int(feed) // 10


def _seat_feeds(seat: LiveStageSeat) -> dict[str, int]:
    return feeds(seat.user_id, seat.tokens[-1].get("g", 0) if seat.tokens else 0)


def _seconds(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


# -- reading ----------------------------------------------------------------------------------------

def seats(lesson: LiveLesson, states) -> list[LiveStageSeat]:
    return list(db.session.scalars(sa.select(LiveStageSeat).where(
        LiveStageSeat.lesson_id == lesson.id, LiveStageSeat.state.in_(list(states)))
        .order_by(LiveStageSeat.started_at, LiveStageSeat.invited_at, LiveStageSeat.id)))


def seat_of(lesson: LiveLesson, user_id: int, states) -> LiveStageSeat | None:
    return db.session.scalar(sa.select(LiveStageSeat).where(
        LiveStageSeat.lesson_id == lesson.id, LiveStageSeat.user_id == user_id,
        LiveStageSeat.state.in_(list(states))).order_by(LiveStageSeat.id.desc()).limit(1))


def stage_state(lesson: LiveLesson, now: datetime | None = None) -> dict:
    """What every page shows of the stage (the `stage` push and the join answer's "stage")."""
    now = now or utcnow()
    rows = seats(lesson, (HOST, ON, INVITED)) if lesson.janus_room is not None else []
    shown = people(lesson, [s.user_id for s in rows])
    turns = lesson.stage_turns
    return {
        "mode": lesson.delivery or HLS,
        "realtime": (lesson.delivery == REALTIME and lesson.janus_room is not None),
        "room": lesson.janus_room,
        "max": _seconds("STAGE_MAX", 16),
        "hosts": [{"user": shown.get(s.user_id, {"id": s.user_id}), "feeds": _seat_feeds(s)}
                  for s in rows if s.state == HOST],
        "on_stage": [{"user": shown.get(s.user_id, {"id": s.user_id}), "feeds": _seat_feeds(s), "muted": s.muted,
                      "since": iso(s.started_at), "turn_ends_at": iso(s.turn_ends_at)}
                     for s in rows if s.state == ON],
        "invited": [{"user": shown.get(s.user_id, {"id": s.user_id}), "expires_at": iso(s.expires_at)}
                    for s in rows if s.state == INVITED and (s.expires_at is None or s.expires_at > now)],
        "turns": dict(turns) if turns else None,
    }


# -- pushes -----------------------------------------------------------------------------------------

def push_state(lesson: LiveLesson) -> None:
    emit(Push.stage, stage_state(lesson), room_name(lesson.id))


def _tell(lesson: LiveLesson, seat: LiveStageSeat, reason: str = "", turn_seconds: int | None = None) -> None:
    emit(Push.you, {"state": seat.state if seat.state != HOST else ON, "muted": seat.muted, "reason": reason,
                    "expires_at": iso(seat.expires_at) if seat.state == INVITED else None,
                    "turn_seconds": turn_seconds, "lesson_id": lesson.id},
         person_room(lesson.id, seat.user_id))


def _schedule(lesson: LiveLesson, at: datetime | None) -> None:
    """Run tick() for the lesson at `at` (an invitation lapsing, a turn ending), in a background task of
    this process once the transaction commits; tick() does nothing when nothing is due (it is idempotent)."""
    if at is None:
        return
    app = current_app._get_current_object()
    lesson_id = lesson.id

    def run():
        wait = (at - utcnow()).total_seconds() + 0.05
        if wait > 0:
            socketio.sleep(wait)
        with app.app_context():
            try:
                row = db.session.get(LiveLesson, lesson_id)
                if row is not None:
                    tick(row)
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("stage tick of lesson %s failed", lesson_id)
            finally:
                db.session.remove()

    after_commit(lambda: socketio.start_background_task(run))


# -- the room in Janus ------------------------------------------------------------------------------

def _janus_or_refuse() -> Janus:
    janus = client()
    if janus is None:
        raise StageError(_("Real-time video is not available on this server; the lesson plays over HLS."), "hls")
    return janus


def open_room(lesson: LiveLesson) -> int:
    """The lesson's Janus room, created now when it has none (or Janus lost it: restarted)."""
    janus = _janus_or_refuse()
    try:
        if lesson.janus_room is not None:
            if janus.exists(lesson.janus_room):
                return lesson.janus_room
            room = lesson.janus_room
        else:
            room = secrets.randbelow(2**52 - 1) + 1
        janus.create_room(room, f"lesson {lesson.id}", publishers=_seconds("STAGE_MAX", 16) * 2 + 8)
        if lesson.janus_room is None:
            after_rollback(lambda: _quietly(janus.destroy_room, room))
        else:  # Janus came back without it: the publishers' tokens still valid go back on its list
            live = [t["t"] for s in seats(lesson, (HOST, ON)) for t in s.tokens if t.get("exp", 0) > utcnow().timestamp()]
            janus.allow(room, live)
    except JanusError as error:
        logger.warning("Janus room for lesson %s: %s", lesson.id, error)
        raise StageError(_("Real-time video is not available on this server; the lesson plays over HLS."),
                         "hls") from None
    lesson.janus_room = room
    return room


def sweep_rooms() -> int:
    """Destroy the Janus rooms this app made for lessons that are over or gone (a destroy after a lesson's
    end that failed: Janus unreachable or slow then), so no one on a stage keeps publishing to viewers still in
    the room. A room is this app's when its description is "lesson <id>" and its secret is this app's (a
    destroy with another's secret is refused and left alone). Returns how many were destroyed; run by
    lms.live.tasks.sweep_live."""
    janus = client()
    if janus is None:
        return 0
    try:
        listed = janus.rooms()
    except JanusError as error:
        logger.warning("Janus rooms could not be listed: %s", error)
        return 0
    by_lesson: dict[int, int] = {}
    for row in listed:
        kind, _, lesson_id = str(row.get("description", "")).partition(" ")
        if kind == "lesson" and lesson_id.isdigit() and isinstance(row.get("room"), int):
            by_lesson[row["room"]] = int(lesson_id)
    if not by_lesson:
        return 0
    open_ids = set(db.session.scalars(sa.select(LiveLesson.id).where(
        LiveLesson.id.in_(set(by_lesson.values())), LiveLesson.state.in_(OPEN_STATES))))
    destroyed = 0
    for room, lesson_id in by_lesson.items():
        if lesson_id in open_ids:
            continue
        try:
            destroyed += janus.destroy_room(room)
        except JanusError as error:
            logger.warning("Janus room %s of lesson %s left: %s", room, lesson_id, error)
    return destroyed


def _quietly(call, *args) -> None:
    try:
        call(*args)
    except JanusError as error:
        logger.warning("Janus clean-up failed: %s", error)


def _revoke_after_commit(lesson: LiveLesson, seat: LiveStageSeat) -> None:
    """Once the seat's end commits: its tokens off the allowed list, its feeds kicked out of the room."""
    janus, room, user_id = client(), lesson.janus_room, seat.user_id
    tokens = [t["t"] for t in seat.tokens]
    if janus is None or room is None:
        return

    def revoke():
        _quietly(janus.allow, room, tokens, False)
        try:
            for p in janus.participants(room):
                feed = p.get("id")
                if isinstance(feed, int) and feed_owner(feed) == user_id:
                    janus.kick(room, feed)
        except JanusError as error:
            logger.warning("Janus kick in room %s failed: %s", room, error)

    after_commit(revoke)


def end_stage(lesson: LiveLesson, reason: str = "ended", now: datetime | None = None) -> None:
    """Everyone off the stage and the Janus room destroyed (the lesson ended, or went back to HLS)."""
    now = now or utcnow()
    for seat in seats(lesson, (INVITED, ON, HOST)):
        _end_seat(lesson, seat, reason, now, advance=False, revoke=False)
    lesson.stage_turns = None
    room, janus = lesson.janus_room, client()
    lesson.janus_room = None
    db.session.flush()
    if room is not None and janus is not None:
        after_commit(lambda: _quietly(janus.destroy_room, room))
    push_state(lesson)


# -- tokens -----------------------------------------------------------------------------------------

def issue(lesson: LiveLesson, user: User, host: bool, want: str | None = None, now: datetime | None = None) -> dict:
    """The Janus connection of `user` for their role now (the token answer of the contract, §2): publisher
    for a host or someone on stage (unless `want` is "subscriber"), else subscriber."""
    now = now or utcnow()
    if lesson.state not in OPEN_STATES:
        raise StageError(_("This lesson has ended."), "over")
    if lesson.delivery != REALTIME:
        raise StageError(_("Real-time video is not available for this lesson; it plays over HLS."), "hls")
    janus = _janus_or_refuse()
    room = open_room(lesson)
    seat = None
    if want != SUBSCRIBER:
        if host:
            seat = seat_of(lesson, user.id, (HOST,))
            if seat is None:
                seat = LiveStageSeat(lesson_id=lesson.id, user_id=user.id, state=HOST, invited_at=now,
                                     started_at=now, tokens=[])
                db.session.add(seat)
        else:
            seat = seat_of(lesson, user.id, (ON,))
    role = PUBLISHER if seat is not None else SUBSCRIBER
    config = current_app.config
    seconds = _seconds("JANUS_TOKEN_SECONDS", 1800)
    token, room_token, expires = make_tokens(config["JANUS_TOKEN_SECRET"], room, user.id, role, seconds,
                                             now=now.timestamp())
    answer = {
        "ok": True, "role": role, "token": token, "room_token": room_token,
        "expires_at": iso(datetime.fromtimestamp(expires, now.tzinfo)),
        "renew_after": iso(datetime.fromtimestamp(expires, now.tzinfo) - timedelta(seconds=min(300, seconds // 5))),
        "janus": {"ws_url": config.get("JANUS_PUBLIC_WS_URL"), "http_url": config.get("JANUS_PUBLIC_HTTP_URL"),
                  "room": room, "plugin": "janus.plugin.videoroom",
                  "ice_servers": list(config.get("JANUS_ICE_SERVERS") or [])},
    }
    if seat is not None:
        try:
            janus.allow(room, [room_token])
        except JanusError as error:
            logger.warning("Janus allowed list of room %s: %s", room, error)
            raise StageError(_("Real-time video is not available for this lesson; it plays over HLS."), "hls") from None
        generation = ((seat.tokens[-1].get("g", 0) + 1) % GENERATIONS) if seat.tokens else 0
        kept = [t for t in seat.tokens if t.get("exp", 0) > now.timestamp()]
        seat.tokens = [*kept, {"t": room_token, "exp": expires, "g": generation}]
        db.session.flush()
        answer["feeds"] = feeds(user.id, generation)
        answer["display"] = people(lesson, [user.id]).get(user.id, {}).get("name", "")
        push_state(lesson)  # the person's feed ids changed
    return answer


# -- the host's events ------------------------------------------------------------------------------

def set_mode(p: Participant, mode, now: datetime | None = None) -> dict:
    require_host(p)
    if mode not in MODES:
        raise RoomError(_("This request was not understood."))
    lesson = p.lesson
    if mode == REALTIME:
        lesson.delivery = REALTIME
        open_room(lesson)
        db.session.flush()
        push_state(lesson)
    elif lesson.delivery != HLS or lesson.janus_room is not None:
        lesson.delivery = HLS
        end_stage(lesson, "mode", now)
    return {"stage": stage_state(lesson, now)}


def _target(p: Participant, user_id) -> int:
    try:
        return int(user_id)
    except (TypeError, ValueError):
        raise RoomError(_("This person was not found.")) from None


def _check_invitable(lesson: LiveLesson, user_id: int) -> None:
    role = db.session.scalar(sa.select(Membership.role).where(
        Membership.circle_id == lesson.circle_id, Membership.user_id == user_id,
        Membership.status == MembershipStatus.active))
    if role is None:
        raise RoomError(_("This person was not found."))
    if Role(role) not in STAGE_ROLES:
        raise RoomError(_("Teachers are on stage already."))
    removed = db.session.scalar(sa.select(LiveSanction.id).where(
        LiveSanction.lesson_id == lesson.id, LiveSanction.user_id == user_id, LiveSanction.kind == REMOVE,
        LiveSanction.lifted_at.is_(None)).limit(1))
    if removed is not None:
        raise RoomError(_("This person was removed from the lesson."))


def _require_realtime(lesson: LiveLesson) -> None:
    """A real-time lesson, its Janus room open (created now if it has none yet)."""
    if lesson.delivery != REALTIME:
        raise RoomError(_("Switch the lesson to real-time video first."))
    open_room(lesson)


def _invite(lesson: LiveLesson, by_id: int | None, user_id: int, now: datetime, turn_seconds: int | None = None) -> LiveStageSeat:
    _check_invitable(lesson, user_id)
    if seat_of(lesson, user_id, (INVITED, ON)) is not None:
        raise RoomError(_("This person is on stage or invited already."))
    taken = db.session.scalar(sa.select(sa.func.count(LiveStageSeat.id)).where(
        LiveStageSeat.lesson_id == lesson.id, LiveStageSeat.state.in_([INVITED, ON])))
    limit = _seconds("STAGE_MAX", 16)
    if taken >= limit:
        raise RoomError(ngettext("The stage is full (%(num)d person).", "The stage is full (%(num)d people).", limit))
    expires = now + timedelta(seconds=_seconds("STAGE_INVITE_SECONDS", 30))
    seat = LiveStageSeat(lesson_id=lesson.id, user_id=user_id, state=INVITED, invited_by_id=by_id, invited_at=now,
                         expires_at=expires, tokens=[])
    db.session.add(seat)
    db.session.flush()
    from lms.live.models import LiveHand
    from lms.live.room.hands import push_hands

    lowered = False
    for hand in db.session.scalars(sa.select(LiveHand).where(LiveHand.lesson_id == lesson.id,
                                                             LiveHand.user_id == user_id,
                                                             LiveHand.lowered_at.is_(None))):
        hand.lowered_at, hand.lowered_by_id = now, by_id
        lowered = True
    db.session.flush()
    if lowered:  # invited: their hand is down, on the hosts' queue and on their own button
        push_hands(lesson, user_id, False)
    _tell(lesson, seat, turn_seconds=turn_seconds)
    _schedule(lesson, expires)
    return seat


def invite(p: Participant, user_id, now: datetime | None = None) -> dict:
    require_host(p)
    now = now or utcnow()
    lesson = p.lesson
    _require_realtime(lesson)
    tick(lesson, now, push=False)
    _invite(lesson, p.user.id, _target(p, user_id), now)
    push_state(lesson)
    return {}


def take_down(p: Participant, user_id, now: datetime | None = None) -> dict:
    require_host(p)
    now = now or utcnow()
    target = _target(p, user_id)
    seat = seat_of(p.lesson, target, (INVITED, ON))
    if seat is None:
        raise RoomError(_("This person is not on stage."))
    _end_seat(p.lesson, seat, "taken_down", now)
    push_state(p.lesson)
    return {}


def drop(lesson: LiveLesson, user_id: int, reason: str, now: datetime | None = None) -> None:
    """Someone leaves the stage because of something else (removed from the lesson): invitation or seat ended."""
    seat = seat_of(lesson, user_id, (INVITED, ON))
    if seat is not None:
        _end_seat(lesson, seat, reason, now or utcnow())
        push_state(lesson)


def watch_departure(lesson_id: int, user_id: int) -> None:
    """A page of someone on stage closed: if after STAGE_GONE_SECONDS (default 20) they have no open
    connection to the lesson left (another tab, a reload that came back), they are off the stage
    ("disconnected"), so their time on stage stops. Called by the namespace's disconnect."""
    on = db.session.scalar(sa.select(LiveStageSeat.id).where(
        LiveStageSeat.lesson_id == lesson_id, LiveStageSeat.user_id == user_id, LiveStageSeat.state.in_([ON, INVITED]))
        .limit(1))
    if on is None:
        return
    app = current_app._get_current_object()
    wait = float(app.config.get("STAGE_GONE_SECONDS", 20))

    def run():
        socketio.sleep(wait)
        with app.app_context():
            try:
                from lms.live.models import STALE_AFTER, LiveAttendance

                now = utcnow()
                still = db.session.scalar(sa.select(LiveAttendance.id).where(
                    LiveAttendance.lesson_id == lesson_id, LiveAttendance.user_id == user_id,
                    LiveAttendance.left_at.is_(None), LiveAttendance.last_seen_at > now - STALE_AFTER).limit(1))
                lesson = db.session.get(LiveLesson, lesson_id)
                if still is None and lesson is not None:
                    drop(lesson, user_id, "disconnected", now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("stage departure check of lesson %s failed", lesson_id)
            finally:
                db.session.remove()

    socketio.start_background_task(run)


def mute(p: Participant, user_id, muted, now: datetime | None = None) -> dict:
    require_host(p)
    seat = seat_of(p.lesson, _target(p, user_id), (ON,))
    if seat is None:
        raise RoomError(_("This person is not on stage."))
    seat.muted = bool(muted)
    db.session.flush()
    janus, room = client(), p.lesson.janus_room
    if janus is not None and room is not None:
        for key in ("camera", "screen"):
            feed = _seat_feeds(seat)[key]
            try:
                janus.mute_audio(room, feed, seat.muted)
            except JanusError as error:  # the page mutes itself too; the state says muted
                logger.warning("Janus mute of feed %s in room %s: %s", feed, room, error)
    _tell(p.lesson, seat)
    push_state(p.lesson)
    return {}


# -- the invited person's events ------------------------------------------------------------------------

def accept(p: Participant, now: datetime | None = None) -> dict:
    """The invited person accepts (their page checked the devices): on stage, with a publisher token."""
    now = now or utcnow()
    lesson = p.lesson
    seat = seat_of(lesson, p.user.id, (INVITED,))
    if seat is None:
        raise RoomError(_("You are not invited on stage."))
    if seat.expires_at is not None and seat.expires_at <= now:
        tick(lesson, now)
        raise RoomError(_("This invitation has expired."))
    seat.state, seat.started_at, seat.expires_at = ON, now, None
    turns = lesson.stage_turns
    if turns and turns.get("current") == p.user.id:
        seat.turn_ends_at = now + timedelta(seconds=int(turns["seconds"]))
        lesson.stage_turns = {**turns, "ends_at": iso(seat.turn_ends_at)}
        _schedule(lesson, seat.turn_ends_at)
    db.session.flush()
    answer = issue(lesson, p.user, False, now=now)
    _tell(lesson, seat)
    push_state(lesson)
    return {"janus": answer}


def decline(p: Participant, now: datetime | None = None) -> dict:
    seat = seat_of(p.lesson, p.user.id, (INVITED,))
    if seat is None:
        raise RoomError(_("You are not invited on stage."))
    _end_seat(p.lesson, seat, "declined", now or utcnow())
    push_state(p.lesson)
    return {}


def leave(p: Participant, now: datetime | None = None) -> dict:
    seat = seat_of(p.lesson, p.user.id, (INVITED, ON))
    if seat is None:
        return {}
    _end_seat(p.lesson, seat, "left", now or utcnow())
    push_state(p.lesson)
    return {}


# -- ending a seat, turns, time ---------------------------------------------------------------------

def _end_seat(lesson: LiveLesson, seat: LiveStageSeat, reason: str, now: datetime, advance: bool = True,
              revoke: bool = True) -> None:
    was_on = seat.state in (ON, HOST)
    seat.state, seat.ended_at, seat.end_reason = OFF, now, reason
    if not was_on:
        seat.started_at = None
    seat.expires_at = None
    db.session.flush()
    if revoke and was_on:
        _revoke_after_commit(lesson, seat)
    _tell(lesson, seat, reason)
    turns = lesson.stage_turns
    if advance and turns and turns.get("current") == seat.user_id:
        _next_turn(lesson, now)


def _next_turn(lesson: LiveLesson, now: datetime) -> None:
    """Invite the next person of the queue (skipping anyone who cannot come); turns end with the queue."""
    turns = dict(lesson.stage_turns or {})
    queue = list(turns.get("queue") or [])
    while queue:
        user_id = queue.pop(0)
        try:
            _invite(lesson, turns.get("by"), int(user_id), now, turn_seconds=int(turns["seconds"]))
        except RoomError:
            continue
        lesson.stage_turns = {**turns, "queue": queue, "current": int(user_id), "ends_at": None}
        db.session.flush()
        return
    lesson.stage_turns = None
    db.session.flush()


def start_turns(p: Participant, seconds, user_ids=None, now: datetime | None = None) -> dict:
    require_host(p)
    now = now or utcnow()
    lesson = p.lesson
    _require_realtime(lesson)
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise RoomError(_("This request was not understood.")) from None
    if not TURN_MIN <= seconds <= TURN_MAX:
        raise RoomError(_("A turn lasts from %(low)d to %(high)d seconds.", low=TURN_MIN, high=TURN_MAX))
    if user_ids is None:
        from lms.live.models import LiveHand

        queue = list(db.session.scalars(sa.select(LiveHand.user_id).where(
            LiveHand.lesson_id == lesson.id, LiveHand.lowered_at.is_(None)).order_by(LiveHand.raised_at, LiveHand.id)))
    else:
        if not isinstance(user_ids, list):
            raise RoomError(_("This request was not understood."))
        queue = [_target(p, u) for u in user_ids]
    queue = list(dict.fromkeys(queue))
    if not queue:
        raise RoomError(_("Nobody to take turns: pick students or wait for raised hands."))
    for seat in seats(lesson, (INVITED, ON)):
        _end_seat(lesson, seat, "turn_over", now, advance=False)
    lesson.stage_turns = {"seconds": seconds, "queue": queue, "current": None, "ends_at": None, "by": p.user.id}
    _next_turn(lesson, now)
    push_state(lesson)
    return {"stage": stage_state(lesson, now)}


def stop_turns(p: Participant, now: datetime | None = None) -> dict:
    require_host(p)
    lesson = p.lesson
    lesson.stage_turns = None
    for seat in seats(lesson, (ON,)):
        seat.turn_ends_at = None
    db.session.flush()
    push_state(lesson)
    return {"stage": stage_state(lesson, now)}


def tick(lesson: LiveLesson, now: datetime | None = None, push: bool = True) -> bool:
    """Lapse invitations past their time and end turns that are over (advancing to the next); True when
    something changed (then the state is pushed)."""
    now = now or utcnow()
    changed = False
    for seat in seats(lesson, (INVITED, ON)):
        if seat.state == INVITED and seat.expires_at is not None and seat.expires_at <= now:
            _end_seat(lesson, seat, "expired", now)
            changed = True
        elif seat.state == ON and seat.turn_ends_at is not None and seat.turn_ends_at <= now:
            _end_seat(lesson, seat, "turn_over", now)
            changed = True
    if changed and push:
        push_state(lesson)
    return changed


def stage_seconds(rows, now: datetime, window: tuple[datetime, datetime] | None = None) -> tuple[float, int]:
    """Seconds on stage (the union of (started_at, ended_at or now) intervals, clipped to `window`) and how
    many times someone went on stage, from seat rows."""
    from lms.live.attendance import clip, merge, seconds_of

    intervals = [(s, e or now) for s, e in rows if s is not None]
    merged = merge(intervals)
    if window is not None:
        merged = clip(merged, *window)
    return seconds_of(merged), len(intervals)
