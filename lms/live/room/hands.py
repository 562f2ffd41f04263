"""Raised hands: anyone raises and lowers their own; hosts see the queue, first raised first, and lower anyone's."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.core.types import utcnow
from lms.extensions import db
from lms.live.models import LiveHand, LiveLesson
from lms.live.room import Participant, Push, RoomError, emit, hosts_room, iso, people, person_room, require_host



def raised_hand(lesson: LiveLesson, user_id: int) -> LiveHand | None:
    return db.session.scalar(sa.select(LiveHand).where(LiveHand.lesson_id == lesson.id, LiveHand.user_id == user_id,
                                                       LiveHand.lowered_at.is_(None)).limit(1))


def hand_queue(lesson: LiveLesson) -> list[dict]:
    """The raised hands, first raised first, with who raised them."""
    hands = list(db.session.scalars(sa.select(LiveHand).where(LiveHand.lesson_id == lesson.id,
                                                              LiveHand.lowered_at.is_(None))
                                    .order_by(LiveHand.raised_at, LiveHand.id)))
    shown = people(lesson, [h.user_id for h in hands])
    return [{"user": shown.get(h.user_id, {"id": h.user_id}), "raised_at": iso(h.raised_at)} for h in hands]


def push_hands(lesson: LiveLesson, user_id: int, raised: bool, by_host: bool = False) -> None:
    """Once the change commits: the hosts' queue, and the person's own hand (their button)."""
    emit(Push.hands, {"queue": hand_queue(lesson)}, hosts_room(lesson.id))
    # by_host: a host lowered it (their page tells them so, in its own language)
    emit(Push.hand, {"raised": raised, **({"lowered_by_host": True} if by_host else {})}, person_room(lesson.id, user_id))


def raise_hand(p: Participant, now: datetime | None = None) -> LiveHand:
    """`p` raises their hand (once: raising it again keeps its place in the queue)."""
    hand = raised_hand(p.lesson, p.user.id)
    if hand is None:
        hand = LiveHand(lesson_id=p.lesson.id, user_id=p.user.id, raised_at=now or utcnow())
        db.session.add(hand)
        db.session.flush()
        push_hands(p.lesson, p.user.id, True)
    return hand


def lower_hand(p: Participant, user_id=None, now: datetime | None = None) -> None:
    """`p` lowers their own hand; a host may lower anyone's (`user_id`). Lowering a hand that is down does nothing."""
    try:
        target = p.user.id if user_id in (None, "") else int(user_id)
    except (TypeError, ValueError):
        raise RoomError(_("This person was not found.")) from None
    if target != p.user.id:
        require_host(p)
    hand = raised_hand(p.lesson, target)
    if hand is None:
        return
    hand.lowered_at = now or utcnow()
    hand.lowered_by_id = p.user.id
    db.session.flush()
    push_hands(p.lesson, target, False, by_host=target != p.user.id)
