"""The room's functions called directly (no sockets), with the clock passed in: who takes part, the rate limit
and slow mode in time, presence counting, attendance rows over a silent gap, poll aggregation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.core.types import utcnow
from lms.extensions import db
from lms.live.models import LessonState, LiveAttendance, LiveSanction
from lms.live.room import RoomError, take_part
from lms.live.room import messages, polls, presence
from tests.fixtures.queries import QueryCounter
from tests.live.room_support import make_lesson


@pytest.fixture
def lesson(klass):
    return make_lesson(klass.circle, klass.teacher)


@pytest.mark.parametrize("who, host", [("owner", True), ("teacher", True), ("assistant", True), ("admin", True),
                                       ("student", False)])
def test_who_takes_part_as_what(klass, lesson, who, host):
    assert take_part(lesson, getattr(klass, who)).host is host


def test_strangers_and_removed_people_do_not_take_part(klass, lesson):
    with pytest.raises(RoomError, match="not found"):
        take_part(lesson, klass.stranger)
    db.session.add(LiveSanction(lesson_id=lesson.id, user_id=klass.student.id, kind="remove"))
    db.session.flush()
    with pytest.raises(RoomError, match="removed"):
        take_part(lesson, klass.student)
    assert take_part(lesson, klass.classmate).muted is False


def test_rate_limit_and_slow_mode_in_time(klass, lesson):
    """Five messages in 10 s, then refused until the first is 10 s old; with a 30 s slow mode, one chat
    message per 30 s (a question is not slowed)."""
    p = take_part(lesson, klass.student)
    start = utcnow()
    for n in range(5):
        messages.post_message(p, "chat", f"m{n}", now=start + timedelta(seconds=n))
    with pytest.raises(RoomError, match="too fast"):
        messages.post_message(p, "chat", "m5", now=start + timedelta(seconds=9))
    messages.post_message(p, "chat", "m5", now=start + timedelta(seconds=10.5))
    lesson.slow_mode_seconds = 30
    later = start + timedelta(seconds=60)
    messages.post_message(p, "chat", "slow 1", now=later)
    with pytest.raises(RoomError, match="wait 10 more seconds"):
        messages.post_message(p, "chat", "slow 2", now=later + timedelta(seconds=20))
    messages.post_message(p, "question", "not slowed", now=later + timedelta(seconds=21))
    messages.post_message(p, "chat", "slow 2", now=later + timedelta(seconds=31))
    db.session.rollback()


def test_viewers_count_people_with_a_fresh_open_connection(klass, lesson):
    now = utcnow()
    rows = [
        (klass.student, now - timedelta(seconds=10), None),  # watching
        (klass.student, now - timedelta(seconds=5), None),  # the same person's second tab
        (klass.classmate, now - timedelta(seconds=200), None),  # silent for over 90 s: gone
        (klass.teacher, now - timedelta(seconds=1), now),  # left
        (klass.assistant, now - timedelta(seconds=80), None),  # a host: not counted among those watching
        (klass.classmate, now - timedelta(seconds=80), None),  # a background tab, heard 80 s ago
    ]
    for user, seen, left in rows:
        db.session.add(LiveAttendance(lesson_id=lesson.id, user_id=user.id, joined_at=seen, last_seen_at=seen,
                                      left_at=left))
    db.session.flush()
    assert presence.viewer_count(lesson.id, now) == 2
    db.session.rollback()


def test_closing_a_stale_row_ends_it_at_its_last_heartbeat(klass, lesson):
    p = take_part(lesson, klass.student)
    start = utcnow() - timedelta(minutes=10)
    row = presence.open_attendance(p, now=start)
    presence.refresh_attendance(lesson, klass.student, row.id, now=start + timedelta(seconds=30))
    presence.close_attendance(row.id, now=start + timedelta(minutes=5))
    assert row.left_at == start + timedelta(seconds=30)
    db.session.rollback()


def test_poll_results_are_aggregated(klass, lesson, make):
    host = take_part(lesson, klass.teacher)
    poll = polls.open_poll(host, "Best colour?", ["Red", "Green", "Blue"])
    voters = [klass.student, klass.classmate] + [make.member(klass.circle).user for _ in range(3)]
    for voter, option in zip(voters, [0, 2, 2, 2, 1]):
        polls.vote(take_part(lesson, voter), poll.id, option)
    polls.vote(take_part(lesson, klass.student), poll.id, 2)  # changed
    assert polls.poll_results(poll) == {"counts": [0, 1, 4], "total": 5}
    db.session.rollback()


def test_ended_lessons_refuse_everyone(klass, lesson):
    lesson.state = LessonState.ended
    for who in ("teacher", "student"):
        with pytest.raises(RoomError, match="ended"):
            take_part(lesson, getattr(klass, who))
    db.session.rollback()


def test_joining_and_chatting_cost_a_fixed_number_of_queries(app, klass, lesson, make):
    """Does a join's state (recent chat and questions with their authors, hands, poll, sanctions) and a chat
    message cost the same number of queries with 2 authors as with 30?"""
    from lms.live.room import hands
    from lms.live.room.state import room_state

    def costs():
        host = take_part(lesson, klass.teacher)
        with QueryCounter() as join:
            room_state(host)
        p = take_part(lesson, klass.student)
        with QueryCounter() as chat:
            messages.post_message(p, "chat", "one more")
        db.session.rollback()
        return join.count, chat.count

    now = utcnow() - timedelta(minutes=5)
    for n, user in enumerate([klass.student, klass.classmate]):
        messages.post_message(take_part(lesson, user), "question", f"q{n}", now=now)
    hands.raise_hand(take_part(lesson, klass.classmate))
    db.session.commit()
    few = costs()
    people = [make.member(klass.circle).user for _ in range(28)]
    for n, user in enumerate(people):
        p = take_part(lesson, user)
        messages.post_message(p, "chat", f"hello {n}", now=now)
        messages.post_message(p, "question", f"why {n}?", now=now)
        hands.raise_hand(p)
    db.session.commit()
    assert costs() == few == (10, 2)  # a member's chat message: their recent messages (rate limit), the INSERT


def test_an_event_costs_a_fixed_number_of_queries(app, klass, lesson, client_as):
    """A chat message over Socket.IO, checked in full as every event is (one query for the sign-in session and its
    user, the lesson, its circle, the sender's membership and live sanctions), written by one INSERT, its author
    taken from the membership just read: 2 statements for a teacher, 3 for a student (their recent messages: rate
    limit)."""
    from tests.live.room_support import Page

    pages = {who: Page(app, client_as(getattr(klass, who))) for who in ("teacher", "student")}
    try:
        for page in pages.values():
            assert page.join(lesson)["ok"] is True
        for who, expected in (("teacher", 2), ("student", 3)):
            pages[who].emit("chat", {"body": "warm"})
            with QueryCounter() as chat:
                assert pages[who].emit("chat", {"body": f"from the {who}"})["ok"] is True
            assert chat.count == expected, who
    finally:
        for page in pages.values():
            page.close()


def test_a_count_push_that_fails_is_tried_again(app, monkeypatch, caplog):
    """A coalesced push (viewers, likes, poll results) whose sending fails once (the database busy a moment):
    is it sent again an interval later, so the last change of a count still reaches the room?"""
    import time
    import uuid

    import sqlalchemy as sa

    from lms.extensions import socketio
    from lms.live.room import coalesce

    monkeypatch.setitem(app.config, "LIVE_PUSH_SECONDS", 0.05)
    calls = []

    def send():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise sa.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    db.session.execute(sa.text("SELECT 1"))
    coalesce(("test", uuid.uuid4().hex), send)
    db.session.commit()
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        socketio.sleep(0.02)
    assert len(calls) == 2, calls
    assert calls[1] - calls[0] >= 0.05
    assert "attempt 1 of 3" in caplog.text
