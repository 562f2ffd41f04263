"""Moderation by the hosts: mute and unmute a member, close the chat for all, slow mode, remove from the lesson
and readmit. Hosts themselves are never muted or removed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Membership, MembershipStatus
from lms.core.types import utcnow
from lms.extensions import db
from lms.live.models import LiveLesson, LiveSanction
from lms.live.notifications import room_name
from lms.live.room import (MUTE, OPEN_STATES, REMOVE, Participant, Push, RoomError, emit, hosts_room, people, person_room,
                           require_host)
from lms.live.room.hands import hand_queue, raised_hand
from lms.live.room.presence import close_rows_of, push_viewers


#: slow mode: the longest interval a host may set
SLOW_MODE_MAX = 300

def settings(lesson: LiveLesson) -> dict:
    return {"slow_mode_seconds": lesson.slow_mode_seconds, "all_muted": lesson.all_muted}


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
    require_host(p)
    membership = _target(p, user_id)
    current = _sanction(p.lesson, membership.user_id, kind)
    if on and current is None:
        db.session.add(LiveSanction(lesson_id=p.lesson.id, user_id=membership.user_id, kind=kind, by_id=p.user.id,
                                    created_at=now or utcnow()))
    elif not on and current is not None:
        current.lifted_at = now or utcnow()
    db.session.flush()
    emit(Push.sanctions, sanction_lists(p.lesson), hosts_room(p.lesson.id))
    return membership


def mute(p: Participant, user_id, now: datetime | None = None) -> None:
    """A host mutes a member in this lesson: they may watch, raise a hand and vote, not write."""
    membership = _set_sanction(p, user_id, MUTE, True, now)
    emit(Push.muted, {"muted": True}, person_room(p.lesson.id, membership.user_id))


def unmute(p: Participant, user_id, now: datetime | None = None) -> None:
    membership = _set_sanction(p, user_id, MUTE, False, now)
    emit(Push.muted, {"muted": False}, person_room(p.lesson.id, membership.user_id))


def mute_all(p: Participant, on: bool = True) -> None:
    """A host closes (or reopens) the chat for everyone but the hosts; questions stay open."""
    require_host(p)
    p.lesson.all_muted = bool(on)
    db.session.flush()
    emit(Push.settings, settings(p.lesson), room_name(p.lesson.id))


def set_slow_mode(p: Participant, seconds) -> None:
    """A host lets each member send a chat message at most every `seconds` (0 turns slow mode off)."""
    require_host(p)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= SLOW_MODE_MAX:
        raise RoomError(_("Slow mode takes 0 to %(max)d seconds.", max=SLOW_MODE_MAX))
    p.lesson.slow_mode_seconds = seconds
    db.session.flush()
    emit(Push.settings, settings(p.lesson), room_name(p.lesson.id))


def remove(p: Participant, user_id, now: datetime | None = None) -> int:
    """A host removes a member from the lesson: their attendance rows close, their hand comes down, their
    pages are told and disconnected from the room (lms.live.events), and they cannot join again until a
    host readmits them (they still see the lesson's page). Returns the removed user's id."""
    now = now or utcnow()
    membership = _set_sanction(p, user_id, REMOVE, True, now)
    close_rows_of(p.lesson, membership.user_id, now)
    hand = raised_hand(p.lesson, membership.user_id)
    if hand is not None:
        hand.lowered_at, hand.lowered_by_id = now, p.user.id
        db.session.flush()
        emit(Push.hands, {"queue": hand_queue(p.lesson)}, hosts_room(p.lesson.id))
    # the page says why in its own reader's language (static/js/live/room.js)
    emit(Push.removed, {"lesson_id": p.lesson.id}, person_room(p.lesson.id, membership.user_id))
    push_viewers(p.lesson.id)
    return membership.user_id


def readmit(p: Participant, user_id, now: datetime | None = None) -> None:
    """A host lets a removed member join the lesson again; their open pages (waiting in the person's room,
    lms.live.events on_join) rejoin without a reload."""
    membership = _set_sanction(p, user_id, REMOVE, False, now)
    emit(Push.readmitted, {"lesson_id": p.lesson.id}, person_room(p.lesson.id, membership.user_id))


def cut_off(connections: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of these (lesson_id, user_id) pairs, those whose person may no longer be in the room: removed from the
    lesson, no longer able to see it (left or removed from the circle), or the lesson is over. A fixed number of
    queries, plus a check of each person without an active membership (an overseer, or someone who left); the
    namespace's sweep drops those connections."""
    if not connections:
        return set()
    lesson_ids = {lesson_id for lesson_id, _user in connections}
    removed = set(db.session.execute(sa.select(LiveSanction.lesson_id, LiveSanction.user_id).where(
        LiveSanction.lesson_id.in_(lesson_ids), LiveSanction.kind == REMOVE, LiveSanction.lifted_at.is_(None))))
    lessons = {lesson.id: lesson for lesson in db.session.scalars(sa.select(LiveLesson).where(
        LiveLesson.id.in_(lesson_ids)))}
    members = set(db.session.execute(
        sa.select(LiveLesson.id, Membership.user_id)
        .join(Membership, Membership.circle_id == LiveLesson.circle_id)
        .where(LiveLesson.id.in_(lesson_ids), Membership.status == MembershipStatus.active,
               Membership.user_id.in_({user_id for _lesson, user_id in connections}))))
    gone = set()
    for lesson_id, user_id in connections:
        lesson = lessons.get(lesson_id)
        if lesson is None or lesson.state not in OPEN_STATES or (lesson_id, user_id) in removed:
            gone.add((lesson_id, user_id))
        elif (lesson_id, user_id) not in members and not lesson.can_view(db.session.get(User, user_id)):
            gone.add((lesson_id, user_id))
    return gone
