"""Quick polls: a host asks with 2–10 answers, one poll open at a time; each person's one vote may change while
it is open; results are counted in SQL and pushed live, coalesced; a host closes it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.core.inputs import TextRejected, clean_line
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.live.models import LiveLesson, LivePoll, LivePollVote
from lms.live.notifications import NAMESPACE, room_name
from lms.live.room import Participant, Push, RoomError, coalesce, emit, require_host


POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_OPTIONS_MIN, POLL_OPTIONS_MAX = 2, 10

def _push_poll_results(lesson_id: int, poll_id: int) -> None:
    def send():
        poll = db.session.get(LivePoll, poll_id)
        if poll is not None:
            socketio.emit(Push.poll_results, {"poll_id": poll.id, **poll_results(poll)}, to=room_name(lesson_id),
                          namespace=NAMESPACE)

    coalesce(("poll", lesson_id, poll_id), send)


def current_poll(lesson: LiveLesson) -> LivePoll | None:
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
    require_host(p)
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
    if current_poll(p.lesson) is not None:
        raise RoomError(_("Close the open poll first."))
    poll = LivePoll(lesson_id=p.lesson.id, question=question, options=labels, created_by_id=p.user.id,
                    opened_at=now or utcnow())
    db.session.add(poll)
    db.session.flush()
    emit(Push.poll, {"poll": poll_dict(poll)}, room_name(p.lesson.id))
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
    require_host(p)
    poll = _poll_or_error(p.lesson, poll_id)
    if poll.closed_at is None:
        poll.closed_at = now or utcnow()
        db.session.flush()
        emit(Push.poll, {"poll": poll_dict(poll)}, room_name(p.lesson.id))
    return poll
