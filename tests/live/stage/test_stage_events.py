"""The stage's events on /live (Socket.IO test clients as separate pages) against a real Janus: who may send
each, what the pages receive, invitations lapsing, "take turns", mutes, the lesson's end, and the time on
stage in the attendance."""
from __future__ import annotations

import csv as csv_module
import io
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.core.types import utcnow
from lms.extensions import db
from lms.live import attendance as att
from lms.live import operations as live_ops
from lms.live.models import LiveHand, LiveLesson, LiveStageSeat
from lms.live.stage import operations as stage
from lms.live.tasks import sweep_live
from tests.live.room_support import make_lesson

HOST_ONLY = "Only the lesson's teachers and assistants can do that."


@pytest.fixture
def lesson(klass, janus_app):
    return make_lesson(klass.circle, klass.teacher)


@pytest.fixture
def joined(page, lesson):
    def _joined(user):
        p = page(user)
        answer = p.join(lesson)
        assert answer["ok"] is True, answer
        return p
    return _joined


def _seat(lesson, user):
    return db.session.scalar(sa.select(LiveStageSeat).where(LiveStageSeat.lesson_id == lesson.id,
                                                            LiveStageSeat.user_id == user.id)
                             .order_by(LiveStageSeat.id.desc()).limit(1))


def _realtime(teacher_page):
    answer = teacher_page.emit("stage_mode", {"mode": "realtime"})
    assert answer["ok"], answer
    return answer["stage"]


def test_the_join_answer_has_the_stage_and_the_mode_switch_is_for_hosts(klass, joined, lesson):
    teacher, student = joined(klass.teacher), joined(klass.student)
    first = student.join(lesson)["stage"]
    assert first["mode"] == "hls" and first["realtime"] is False and first["on_stage"] == []
    assert student.emit("stage_mode", {"mode": "realtime"}) == {"ok": False, "error": HOST_ONLY}
    assert teacher.emit("stage_mode", {"mode": "loud"})["ok"] is False
    state = _realtime(teacher)
    assert state["mode"] == "realtime" and state["realtime"] is True and state["room"]
    assert stage.client().exists(state["room"])
    pushed = student.wait_for("stage", lambda d: d["realtime"])
    assert pushed["room"] == state["room"] and pushed["max"] == 16
    assert student.join(lesson)["stage"]["room"] == state["room"]
    # back to HLS: the room goes, everyone is off
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    back = teacher.emit("stage_mode", {"mode": "hls"})
    assert back["ok"] and back["stage"]["mode"] == "hls" and back["stage"]["room"] is None
    assert student.wait_for("stage_you", lambda d: d["state"] == "off")["reason"] == "mode"
    assert not stage.client().exists(state["room"])


def test_realtime_is_refused_without_janus(klass, joined, lesson, app):
    teacher = joined(klass.teacher)
    saved = app.config["JANUS_API_URL"]
    app.config["JANUS_API_URL"] = None
    app.extensions.pop("circles_janus", None)
    try:
        refused = teacher.emit("stage_mode", {"mode": "realtime"})
        assert refused["ok"] is False and "HLS" in refused["error"]
        assert db.session.get(LiveLesson, lesson.id).delivery == "hls"
    finally:
        app.config["JANUS_API_URL"] = saved
        app.extensions.pop("circles_janus", None)


def test_invite_accept_leave_and_who_may(klass, joined, lesson):
    teacher, student, classmate = joined(klass.teacher), joined(klass.student), joined(klass.classmate)
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"] is False  # not real-time yet
    _realtime(teacher)
    assert student.emit("raise_hand")["ok"]
    for event, data in (("stage_invite", {"user_id": klass.classmate.id}), ("stage_down", {"user_id": klass.student.id}),
                        ("stage_mute", {"user_id": klass.student.id}), ("stage_turns", {"seconds": 30}),
                        ("stage_turns_stop", {})):
        assert classmate.emit(event, data) == {"ok": False, "error": HOST_ONLY}, event
    assert classmate.emit("stage_accept")["ok"] is False  # not invited
    # hosts, strangers and unknown people cannot be invited
    assert teacher.emit("stage_invite", {"user_id": klass.assistant.id})["error"] == "Teachers are on stage already."
    assert teacher.emit("stage_invite", {"user_id": klass.stranger.id})["error"] == "This person was not found."
    assert teacher.emit("stage_invite", {"user_id": "x"})["ok"] is False
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"] is False  # already
    invited = student.wait_for("stage_you", lambda d: d["state"] == "invited")
    assert invited["expires_at"]
    # their hand went down with the invitation: in the queue, for the hosts, and on their own button
    assert db.session.scalar(sa.select(LiveHand.lowered_at).where(LiveHand.user_id == klass.student.id)) is not None
    assert student.wait_for("hand", lambda d: d["raised"] is False) == {"raised": False}
    assert teacher.wait_for("hands", lambda d: d["queue"] == [])
    state = classmate.wait_for("stage", lambda d: d["invited"])
    assert [i["user"]["id"] for i in state["invited"]] == [klass.student.id]
    # someone else cannot accept it
    assert classmate.emit("stage_accept")["error"] == "You are not invited on stage."
    accepted = student.emit("stage_accept")
    assert accepted["ok"] and accepted["janus"]["role"] == "publisher"
    on = classmate.wait_for("stage", lambda d: d["on_stage"])
    assert on["on_stage"][0]["user"]["id"] == klass.student.id
    assert on["on_stage"][0]["feeds"] == accepted["janus"]["feeds"] and on["on_stage"][0]["muted"] is False
    assert _seat(lesson, klass.student).state == "on"
    assert student.emit("stage_leave")["ok"]
    assert student.wait_for("stage_you", lambda d: d["state"] == "off")["reason"] == "left"
    seat = _seat(lesson, klass.student)
    assert seat.state == "off" and seat.end_reason == "left" and seat.ended_at >= seat.started_at
    assert classmate.wait_for("stage", lambda d: not d["on_stage"] and not d["invited"])


def test_decline_take_down_mute_and_a_full_stage(klass, joined, lesson, app):
    teacher, student, classmate = joined(klass.teacher), joined(klass.student), joined(klass.classmate)
    _realtime(teacher)
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    assert student.emit("stage_decline")["ok"]
    assert _seat(lesson, klass.student).end_reason == "declined" and _seat(lesson, klass.student).started_at is None
    app.config["STAGE_MAX"] = 1
    try:
        assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
        full = teacher.emit("stage_invite", {"user_id": klass.classmate.id})
        assert full == {"ok": False, "error": "The stage is full (1 person)."}
    finally:
        app.config["STAGE_MAX"] = 16
    assert student.emit("stage_accept")["ok"]
    assert teacher.emit("stage_mute", {"user_id": klass.classmate.id, "muted": True})["ok"] is False  # not on stage
    assert teacher.emit("stage_mute", {"user_id": klass.student.id, "muted": True})["ok"]
    assert student.wait_for("stage_you", lambda d: d["muted"])["state"] == "on"
    assert classmate.wait_for("stage", lambda d: d["on_stage"] and d["on_stage"][0]["muted"])
    assert teacher.emit("stage_mute", {"user_id": klass.student.id, "muted": False})["ok"]
    assert not _seat(lesson, klass.student).muted
    assert teacher.emit("stage_down", {"user_id": klass.student.id})["ok"]
    assert student.wait_for("stage_you", lambda d: d["state"] == "off" and d["reason"] == "taken_down")
    assert teacher.emit("stage_down", {"user_id": klass.student.id})["ok"] is False  # not on stage any more


def test_an_invitation_lapses(klass, joined, lesson):
    teacher, student = joined(klass.teacher), joined(klass.student)
    _realtime(teacher)
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    row = db.session.get(LiveLesson, lesson.id)
    assert stage.tick(row, utcnow() + timedelta(seconds=5)) is False
    assert stage.tick(row, utcnow() + timedelta(seconds=31)) is True
    db.session.commit()
    assert _seat(lesson, klass.student).end_reason == "expired"
    assert student.wait_for("stage_you", lambda d: d["state"] == "off")["reason"] == "expired"
    assert student.emit("stage_accept")["error"] == "You are not invited on stage."


def test_take_turns(klass, joined, lesson):
    teacher, student, classmate = joined(klass.teacher), joined(klass.student), joined(klass.classmate)
    _realtime(teacher)
    assert teacher.emit("stage_turns", {"seconds": 5})["error"] == "A turn lasts from 15 to 1800 seconds."
    assert teacher.emit("stage_turns", {"seconds": 60})["ok"] is False  # no hands raised, nobody picked
    # the raised hands, in order
    assert classmate.emit("raise_hand")["ok"] and student.emit("raise_hand")["ok"]
    started = teacher.emit("stage_turns", {"seconds": 60})
    assert started["ok"], started
    turns = started["stage"]["turns"]
    assert turns["seconds"] == 60 and turns["current"] == klass.classmate.id and turns["queue"] == [klass.student.id]
    assert classmate.wait_for("stage_you", lambda d: d["state"] == "invited")["turn_seconds"] == 60
    assert classmate.emit("stage_accept")["ok"]
    seat = _seat(lesson, klass.classmate)
    assert seat.turn_ends_at is not None and (seat.turn_ends_at - seat.started_at) == timedelta(seconds=60)
    # the turn ends: taken down, the next one invited
    row = db.session.get(LiveLesson, lesson.id)
    assert stage.tick(row, seat.turn_ends_at + timedelta(seconds=1))
    db.session.commit()
    assert _seat(lesson, klass.classmate).end_reason == "turn_over"
    assert classmate.wait_for("stage_you", lambda d: d["state"] == "off")["reason"] == "turn_over"
    assert student.wait_for("stage_you", lambda d: d["state"] == "invited")
    assert db.session.get(LiveLesson, lesson.id).stage_turns["current"] == klass.student.id
    # declining passes the turn; with nobody left, turns end
    assert student.emit("stage_decline")["ok"]
    assert db.session.get(LiveLesson, lesson.id).stage_turns is None
    # picked people, then stopped by the host
    started = teacher.emit("stage_turns", {"seconds": 30, "user_ids": [klass.student.id, klass.classmate.id]})
    assert started["stage"]["turns"]["current"] == klass.student.id
    stopped = teacher.emit("stage_turns_stop")
    assert stopped["ok"] and stopped["stage"]["turns"] is None


def test_the_lesson_ending_closes_the_stage(klass, joined, lesson):
    teacher, student = joined(klass.teacher), joined(klass.student)
    room = _realtime(teacher)["room"]
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    assert student.emit("stage_accept")["ok"]
    live_ops.end_lesson(db.session.get(LiveLesson, lesson.id), by=klass.teacher)
    db.session.commit()
    assert _seat(lesson, klass.student).end_reason == "ended"
    # destroyed once the end commits; a destroy that failed then (Janus slow or away) is the sweep's
    if stage.client().exists(room):
        sweep_live()
    assert not stage.client().exists(room)


def test_the_sweep_destroys_the_rooms_of_lessons_that_are_over(klass, joined, page, lesson, monkeypatch, caplog):
    """Janus unreachable when the lesson ended: the room stays (the end is not refused); the live sweep
    destroys it, and leaves an open lesson's room alone."""
    from lms.live.stage.janus import Janus, JanusError

    teacher = joined(klass.teacher)
    room = _realtime(teacher)["room"]
    other = make_lesson(klass.circle, klass.teacher, title="Still on")
    other_teacher = page(klass.teacher)
    assert other_teacher.join(other)["ok"]
    other_room = _realtime(other_teacher)["room"]
    assert other_room != room

    def unreachable(self, room):
        raise JanusError("Janus is unreachable: timed out")

    with monkeypatch.context() as patch:
        patch.setattr(Janus, "destroy_room", unreachable)
        live_ops.end_lesson(db.session.get(LiveLesson, lesson.id), by=klass.teacher)
        db.session.commit()
    assert db.session.get(LiveLesson, lesson.id).janus_room is None
    assert stage.client().exists(room) and "Janus clean-up failed" in caplog.text

    sweep_live()
    assert not stage.client().exists(room)
    assert stage.client().exists(other_room)
    assert stage.sweep_rooms() == 0  # nothing more to do


def test_time_on_stage_is_in_the_attendance(klass, joined, lesson, client_as):
    teacher, student = joined(klass.teacher), joined(klass.student)
    _realtime(teacher)
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    assert student.emit("stage_accept")["ok"]
    assert student.emit("stage_leave")["ok"]
    # two times on stage, 3 and 2 minutes (set directly: the events ran within a second)
    row = db.session.get(LiveLesson, lesson.id)
    start = row.went_live_at
    first = _seat(lesson, klass.student)
    first.started_at, first.ended_at = start + timedelta(minutes=1), start + timedelta(minutes=4)
    db.session.add(LiveStageSeat(lesson_id=lesson.id, user_id=klass.student.id, state="off", invited_at=start,
                                 started_at=start + timedelta(minutes=10), ended_at=start + timedelta(minutes=12),
                                 end_reason="taken_down", tokens=[]))
    # an invitation declined counts nothing
    db.session.add(LiveStageSeat(lesson_id=lesson.id, user_id=klass.classmate.id, state="off", invited_at=start,
                                 end_reason="declined", tokens=[]))
    row.ended_at, row.state = start + timedelta(minutes=20), "ended"
    db.session.commit()
    records = {r.user_id: r for r in att.lesson_attendance(row)}
    assert records[klass.student.id].stage_seconds == 300 and records[klass.student.id].stage_times == 2
    assert records[klass.student.id].stage_minutes == 5
    assert records[klass.classmate.id].stage_seconds == 0 and records[klass.classmate.id].stage_times == 0
    assert att.own_record(row, klass.student.id).stage_times == 2
    csv = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/{lesson.id}/attendance.csv")
    rows = list(csv_module.reader(io.StringIO(csv.data.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Minutes on stage", "Times on stage"]
    assert next(r for r in rows if r[0] == "Student In Class")[-2:] == ["5", "2"]
    assert next(r for r in rows if r[0] == "Classmate In Class")[-2:] == ["0", "0"]
    # the attendance page shows them too (it had only the CSV)
    page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/{lesson.id}/attendance").get_data(as_text=True)
    assert "<th>Minutes on stage</th><th>Times on stage</th>" in page
    assert 'data-stage-minutes>5</td>' in page and 'data-stage-times>2</td>' in page


def test_someone_removed_from_the_lesson_leaves_the_stage(klass, joined, lesson):
    teacher, student = joined(klass.teacher), joined(klass.student)
    _realtime(teacher)
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    assert student.emit("stage_accept")["ok"]
    assert teacher.emit("remove", {"user_id": klass.student.id})["ok"]
    seat = _seat(lesson, klass.student)
    assert seat.state == "off" and seat.end_reason == "removed"
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["error"] == "This person was removed from the lesson."


def test_someone_whose_pages_all_close_leaves_the_stage(klass, joined, page, lesson, app):
    teacher, student = joined(klass.teacher), joined(klass.student)
    _realtime(teacher)
    assert teacher.emit("stage_invite", {"user_id": klass.student.id})["ok"]
    assert student.emit("stage_accept")["ok"]
    app.config["STAGE_GONE_SECONDS"] = 0.2
    try:
        # a reload: the old page closes, a new one comes back in time: still on stage
        again = joined(klass.student)
        student.close()
        time.sleep(0.6)
        db.session.expire_all()
        assert _seat(lesson, klass.student).state == "on"
        # the last page closes: off the stage after the grace
        again.close()
        deadline = time.monotonic() + 10
        while _seat(lesson, klass.student).state != "off" and time.monotonic() < deadline:
            time.sleep(0.05)
            db.session.expire_all()
        assert _seat(lesson, klass.student).end_reason == "disconnected"
    finally:
        app.config.pop("STAGE_GONE_SECONDS", None)
