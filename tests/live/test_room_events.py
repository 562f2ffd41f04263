"""The lesson room over Socket.IO (namespace /live): who may join, every event and who may send it, what
the other pages receive, and the attendance rows a connection leaves behind."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.core.types import utcnow
from lms.extensions import db
from lms.live.room import presence
from lms.live.models import LessonState, LiveAttendance, LiveHand, LiveMessage, LivePoll, LivePollVote, LiveSanction
from tests.live.room_support import Page, make_lesson


@pytest.fixture
def lesson(klass):
    return make_lesson(klass.circle, klass.teacher)


@pytest.fixture
def page(app, client_as):
    """page(user) → a page of `user` that has not joined yet; all are closed at the end."""
    pages = []

    def _page(user):
        pages.append(Page(app, client_as(user)))
        return pages[-1]

    yield _page
    for p in pages:
        p.close()


@pytest.fixture
def joined(page, lesson):
    """joined(user) → a page of `user` in the lesson's room."""
    def _joined(user):
        p = page(user)
        assert p.join(lesson)["ok"] is True
        return p

    return _joined


def _rows(lesson, user=None):
    query = sa.select(LiveAttendance).where(LiveAttendance.lesson_id == lesson.id).order_by(LiveAttendance.id)
    if user is not None:
        query = query.where(LiveAttendance.user_id == user.id)
    return list(db.session.scalars(query))


# -- connecting and joining -------------------------------------------------------------------------

def test_anonymous_connections_are_refused(app, client):
    assert not Page(app, client).connected


def test_a_member_joins_and_receives_the_room_state(klass, joined, lesson):
    """Does a student's page join the room and get the state: who they are (their circle identity),
    settings, chat, questions, poll, counts; and no hands queue (hosts only)?"""
    student = joined(klass.student)
    state = student.join(lesson)
    assert state["ok"] is True
    assert state["me"]["name"] == "Student In Class" and state["me"]["host"] is False
    assert state["settings"] == {"slow_mode_seconds": 0, "all_muted": False}
    assert state["chat"] == [] and state["questions"] == [] and state["poll"] is None
    assert state["viewers"] == 1 and state["state"] == "live" and state["heartbeat_seconds"] == 30
    assert "hands" not in state and "sanctions" not in state
    teacher = joined(klass.teacher).join(lesson)
    # "N watching" counts the members who are not hosts
    assert teacher["me"]["host"] is True and teacher["hands"] == [] and teacher["viewers"] == 1


@pytest.mark.parametrize("who", ["stranger"])
def test_strangers_cannot_join(klass, page, lesson, who):
    """Is someone outside the circle told the lesson does not exist (and not let in)?"""
    p = page(getattr(klass, who))
    ack = p.join(lesson)
    assert ack == {"ok": False, "error": "This lesson was not found."}
    assert _rows(lesson) == []
    assert p.emit("chat", {"body": "hi"}) == {"ok": False, "error": "Join the lesson first."}


def test_a_lesson_id_of_another_circle_is_not_found(klass, make, page, lesson):
    other = make.circle()
    ack = page(klass.student).emit("join", {"lesson_id": lesson.id, "circle_id": other.id})
    assert ack["ok"] is False
    assert page(klass.student).emit("join", {"lesson_id": "nonsense"})["ok"] is False


def test_overseeing_admin_joins_as_host(klass, page, lesson):
    ack = page(klass.admin).join(lesson)
    assert ack["ok"] is True and ack["me"]["host"] is True


@pytest.mark.parametrize("state", [LessonState.ended, LessonState.cancelled])
def test_closed_lessons_cannot_be_joined(klass, page, state):
    lesson = make_lesson(klass.circle, klass.teacher, state=state)
    ack = page(klass.student).join(lesson)
    assert ack["ok"] is False and ack["error"] in ("This lesson has ended.", "This lesson was cancelled.")


def test_a_scheduled_lesson_is_a_waiting_room(klass, page):
    lesson = make_lesson(klass.circle, klass.teacher, state=LessonState.scheduled)
    p = page(klass.student)
    assert p.join(lesson)["state"] == "scheduled"
    assert p.emit("chat", {"body": "Early!"})["ok"] is True


# -- presence and attendance --------------------------------------------------------------------------

def test_attendance_row_opens_on_join_and_closes_on_disconnect(klass, joined, lesson):
    student = joined(klass.student)
    [row] = _rows(lesson, klass.student)
    assert row.left_at is None and row.joined_at == row.last_seen_at
    student.close()
    [row] = _rows(lesson, klass.student)
    assert row.left_at is not None


def test_a_disconnect_inside_another_commit_hook_still_closes_the_row(app, klass, joined, lesson):
    """engine.io notices a dead socket when something is sent to it, e.g. a push in a commit hook: the
    disconnect then runs inside that committed session (no SQL, no rollback possible there). The row closes."""
    from lms.extensions import socketio
    from lms.jobs import after_commit
    from tests.live.room_support import NS

    student = joined(klass.student)
    sid = socketio.server.manager.sid_from_eio_sid(student.sock.eio_sid, NS)
    after_commit(lambda: socketio.server.disconnect(sid, namespace=NS))
    db.session.commit()
    db.session.expire_all()
    [row] = _rows(lesson, klass.student)
    assert row.left_at is not None
    assert not student.connected


def test_leave_closes_the_row_and_the_room(klass, joined, lesson):
    student = joined(klass.student)
    assert student.emit("leave") == {"ok": True}
    assert _rows(lesson, klass.student)[0].left_at is not None
    assert student.emit("chat", {"body": "still here?"})["error"] == "Join the lesson first."


def test_heartbeat_refreshes_last_seen(klass, joined, lesson):
    """Does a heartbeat (every 30 s, a background tab too) move the row's last_seen_at to now?"""
    student = joined(klass.student)
    [row] = _rows(lesson, klass.student)
    row.last_seen_at = row.joined_at = utcnow() - timedelta(seconds=60)
    db.session.commit()
    assert student.emit("heartbeat") == {"ok": True}
    [row] = _rows(lesson, klass.student)
    assert utcnow() - row.last_seen_at < timedelta(seconds=5) and row.left_at is None


def test_a_heartbeat_after_a_silent_gap_starts_a_new_row(klass, joined, lesson):
    """A page not heard from for over 90 s (asleep, offline) counts as gone from its last heartbeat: the
    next heartbeat closes that row there and opens a new one, so the gap is not counted."""
    student = joined(klass.student)
    [row] = _rows(lesson, klass.student)
    silent_since = utcnow() - timedelta(seconds=200)
    row.joined_at = row.last_seen_at = silent_since
    db.session.commit()
    assert student.emit("heartbeat")["ok"] is True
    first, second = _rows(lesson, klass.student)
    assert first.left_at == silent_since
    assert second.left_at is None and second.joined_at > silent_since
    student.close()
    assert _rows(lesson, klass.student)[1].left_at is not None


def test_two_pages_two_rows_one_viewer(klass, joined, lesson):
    joined(klass.student)
    second = joined(klass.student)
    assert len(_rows(lesson, klass.student)) == 2
    assert second.join(lesson)["viewers"] == 1  # joining again on the same page opens no third row
    assert len(_rows(lesson, klass.student)) == 2


def test_viewer_count_is_pushed_on_join_and_leave(klass, joined, lesson):
    """The count is of the watching members: hosts (teacher, assistant) are not counted."""
    teacher = joined(klass.teacher)
    teacher.wait_for("viewers", lambda d: d["count"] == 0)
    joined(klass.assistant)
    student = joined(klass.student)
    teacher.wait_for("viewers", lambda d: d["count"] == 1)
    student.close()
    teacher.wait_for("viewers", lambda d: d["count"] == 0)


def test_viewer_pushes_are_coalesced(app, klass, joined, lesson, monkeypatch):
    """Several joins within the push interval make one push at its end with the final count."""
    monkeypatch.setitem(app.config, "LIVE_PUSH_SECONDS", 0.5)
    teacher = joined(klass.teacher)
    teacher.wait_for("viewers")
    for user in (klass.student, klass.classmate, klass.assistant):
        joined(user)
    teacher.wait_for("viewers", lambda d: d["count"] == 2)  # the assistant is a host: not counted
    assert [d["count"] for d in teacher.got("viewers")] in ([0, 2], [0, 1, 2], [0, 1, 2, 2])
    assert len(teacher.got("viewers")) <= 3


# -- chat and questions ---------------------------------------------------------------------------------

def test_chat_reaches_everyone_under_the_circle_identity(klass, joined, lesson):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    ack = student.emit("chat", {"body": "  <b>Hello</b> & welcome  "})
    assert ack["ok"] is True
    message = teacher.wait_for("chat_message")["message"]
    assert message["body"] == "<b>Hello</b> & welcome"  # plain text, shown escaped by the page
    assert message["author"]["name"] == "Student In Class" and message["author"]["host"] is False
    assert message["kind"] == "chat" and message["id"] == ack["id"]
    stored = db.session.get(LiveMessage, ack["id"])
    assert stored.body == "<b>Hello</b> & welcome" and stored.offset_seconds >= 0
    # a page joining later sees it in the recent chat
    assert joined(klass.classmate).join(lesson)["chat"][0]["body"] == "<b>Hello</b> & welcome"
    assert message["author"]["role"] is None
    # staff carry their circle role, so the page badges a teacher and an assistant apart (fe14 F12)
    assistant = joined(klass.assistant)
    assistant.emit("chat", {"body": "I am the assistant"})
    assert teacher.wait_for("chat_message", lambda d: d["message"]["body"] == "I am the assistant")["message"][
        "author"]["role"] == "assistant"
    teacher.emit("chat", {"body": "I am the teacher"})
    assert student.wait_for("chat_message", lambda d: d["message"]["body"] == "I am the teacher")["message"][
        "author"]["role"] == "teacher"


@pytest.mark.parametrize("body, error", [
    ("", "This field is required."),
    ("x" * 501, "At most 500 characters."),
    ("two\nlines", "Line breaks, tabs and control characters are not allowed here."),
    (None, "This field is required."),
])
def test_bad_chat_is_refused(klass, joined, body, error):
    student = joined(klass.student)
    assert student.emit("chat", {"body": body}) == {"ok": False, "error": error}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveMessage)) == 0


def test_chat_of_500_characters_is_accepted(klass, joined):
    assert joined(klass.student).emit("chat", {"body": "é" * 500})["ok"] is True


def test_chat_is_rate_limited_per_person(klass, joined):
    """Five messages in 10 s; the sixth is refused; another person is not affected, nor a host; ten seconds
    later it works."""
    student = joined(klass.student)
    for n in range(5):
        assert student.emit("chat", {"body": f"msg {n}"})["ok"] is True
    refused = student.emit("question", {"body": "one more?"})
    assert refused == {"ok": False, "error": "You are sending messages too fast. Wait a few seconds."}
    assert joined(klass.classmate).emit("chat", {"body": "me too"})["ok"] is True
    teacher = joined(klass.teacher)
    assert all(teacher.emit("chat", {"body": f"host {n}"})["ok"] for n in range(8))  # hosts are not limited
    db.session.execute(sa.update(LiveMessage).values(created_at=utcnow() - timedelta(seconds=11)))
    db.session.commit()
    assert student.emit("chat", {"body": "later"})["ok"] is True


def test_slow_mode(klass, joined, lesson):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    assert teacher.emit("slow_mode", {"seconds": 30}) == {"ok": True}
    assert student.wait_for("room_settings") == {"slow_mode_seconds": 30, "all_muted": False}
    assert student.emit("chat", {"body": "first"})["ok"] is True
    refused = student.emit("chat", {"body": "second"})
    assert refused["ok"] is False and refused["error"].startswith("Slow mode is on: wait ")
    assert student.emit("question", {"body": "a question is not chat"})["ok"] is True
    assert teacher.emit("chat", {"body": "hosts are exempt"})["ok"] is True
    assert teacher.emit("chat", {"body": "still exempt"})["ok"] is True
    db.session.execute(sa.update(LiveMessage).values(created_at=utcnow() - timedelta(seconds=31)))
    db.session.commit()
    assert student.emit("chat", {"body": "after the interval"})["ok"] is True
    assert teacher.emit("slow_mode", {"seconds": 301})["ok"] is False
    assert teacher.emit("slow_mode", {"seconds": "10"})["ok"] is False
    assert teacher.emit("slow_mode", {"seconds": 0}) == {"ok": True}


def test_a_muted_member_cannot_write(klass, joined, lesson):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    assert teacher.emit("mute", {"user_id": klass.student.id}) == {"ok": True}
    assert student.wait_for("muted") == {"muted": True}
    assert teacher.wait_for("sanctions")["muted"][0]["name"] == "Student In Class"
    assert student.emit("chat", {"body": "hello"}) == {"ok": False, "error": "A host has muted you in this lesson."}
    assert student.emit("question", {"body": "why?"})["ok"] is False
    assert student.emit("raise_hand")["ok"] is True  # may still raise a hand
    assert student.join(lesson)["me"]["muted"] is True
    assert joined(klass.classmate).emit("chat", {"body": "not me"})["ok"] is True
    assert teacher.emit("unmute", {"user_id": klass.student.id}) == {"ok": True}
    assert student.wait_for("muted", lambda d: d["muted"] is False)
    assert student.emit("chat", {"body": "back"})["ok"] is True


def test_mute_all_closes_the_chat_but_not_questions_or_hosts(klass, joined):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    assert teacher.emit("mute_all") == {"ok": True}
    assert student.wait_for("room_settings")["all_muted"] is True
    assert student.emit("chat", {"body": "hi"})["error"] == "The chat is closed for now; you can still ask a question."
    assert student.emit("question", {"body": "May I ask?"})["ok"] is True
    assert teacher.emit("chat", {"body": "Quiet please"})["ok"] is True
    assert joined(klass.assistant).emit("chat", {"body": "Assistant here"})["ok"] is True
    assert teacher.emit("unmute_all") == {"ok": True}
    assert student.emit("chat", {"body": "thanks"})["ok"] is True


def test_questions_answered_and_pinned_by_hosts(klass, joined, lesson):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    qid = student.emit("question", {"body": "What is refraction?"})["id"]
    assert teacher.wait_for("chat_message")["message"]["kind"] == "question"
    assert student.emit("answer_question", {"message_id": qid})["ok"] is False
    assert student.emit("pin", {"message_id": qid})["ok"] is False
    assert db.session.get(LiveMessage, qid).answered_at is None
    assert teacher.emit("answer_question", {"message_id": qid}) == {"ok": True}
    changed = student.wait_for("message_changed")["message"]
    assert changed["id"] == qid and changed["answered"] is True
    assert teacher.emit("pin", {"message_id": qid}) == {"ok": True}
    assert student.wait_for("pinned")["message"]["id"] == qid
    state = joined(klass.classmate).join(lesson)
    assert state["pinned"]["id"] == qid and state["questions"][0]["answered"] is True
    # pinning another unpins the first; chat cannot be marked answered
    cid = student.emit("chat", {"body": "Pin me"})["id"]
    assert teacher.emit("answer_question", {"message_id": cid})["error"] == "Only questions can be marked answered."
    assert teacher.emit("pin", {"message_id": cid}) == {"ok": True}
    assert db.session.get(LiveMessage, qid).pinned_at is None
    assert teacher.emit("pin", {"message_id": cid, "pinned": False}) == {"ok": True}
    assert student.wait_for("pinned", lambda d: d["message"] is None) == {"message": None}


def test_hosts_delete_messages(klass, joined, lesson):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    mid = student.emit("chat", {"body": "spam"})["id"]
    assert student.emit("delete_message", {"message_id": mid})["ok"] is False
    assert db.session.get(LiveMessage, mid).deleted_at is None
    assert teacher.emit("delete_message", {"message_id": mid}) == {"ok": True}
    assert student.wait_for("message_deleted") == {"id": mid}
    assert joined(klass.classmate).join(lesson)["chat"] == []
    assert teacher.emit("delete_message", {"message_id": mid})["error"] == "This message was not found."


def test_messages_of_another_lesson_cannot_be_touched(klass, joined, lesson):
    other = make_lesson(klass.circle, klass.teacher, title="Other")
    message = LiveMessage(lesson_id=other.id, user_id=klass.student.id, kind="chat", body="elsewhere")
    db.session.add(message)
    db.session.commit()
    teacher = joined(klass.teacher)
    assert teacher.emit("delete_message", {"message_id": message.id})["ok"] is False
    assert db.session.get(LiveMessage, message.id).deleted_at is None


# -- hands ---------------------------------------------------------------------------------------

def test_hands_queue_in_order_for_hosts(klass, joined, lesson):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    classmate = joined(klass.classmate)
    assert student.emit("raise_hand") == {"ok": True}
    assert classmate.emit("raise_hand") == {"ok": True}
    assert student.emit("raise_hand") == {"ok": True}  # again: keeps its place
    queue = teacher.wait_for("hands", lambda d: len(d["queue"]) == 2)["queue"]
    assert [h["user"]["name"] for h in queue] == ["Student In Class", "Classmate In Class"]
    assert student.got("hands") == []  # students do not see the queue
    assert student.wait_for("hand") == {"raised": True}
    # a student cannot lower someone else's hand
    assert student.emit("lower_hand", {"user_id": klass.classmate.id})["ok"] is False
    # the teacher lowers the first; the student's page hears it
    assert teacher.emit("lower_hand", {"user_id": klass.student.id}) == {"ok": True}
    assert student.wait_for("hand", lambda d: d["raised"] is False) == {"raised": False, "lowered_by_host": True}
    assert [h["user"]["name"] for h in teacher.got("hands")[-1]["queue"]] == ["Classmate In Class"]
    # one lowers their own
    assert classmate.emit("lower_hand") == {"ok": True}
    assert classmate.wait_for("hand", lambda d: d["raised"] is False) == {"raised": False}  # their own: no message
    hands = list(db.session.scalars(sa.select(LiveHand).order_by(LiveHand.id)))
    assert [(h.user_id, h.lowered_by_id) for h in hands] == [(klass.student.id, klass.teacher.id),
                                                             (klass.classmate.id, klass.classmate.id)]
    assert joined(klass.assistant).join(lesson)["hands"] == []


# -- likes ---------------------------------------------------------------------------------------

def test_likes_are_counted_throttled_and_pushed(app, klass, joined, lesson, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_PUSH_SECONDS", 0.3)
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    counted = [student.emit("like")["counted"] for _ in range(5)]
    assert counted[:2] == [True, True] and counted[2:] == [False, False, False]  # 2 a second
    assert joined(klass.classmate).emit("like")["counted"] is True
    teacher.wait_for("likes", lambda d: d["count"] == 3)
    db.session.expire_all()
    assert db.session.get(type(lesson), lesson.id).likes == 3
    assert len(teacher.got("likes")) <= 3  # coalesced, not one push per like


# -- polls ---------------------------------------------------------------------------------------

def test_polls_open_vote_change_and_close(klass, joined, lesson):
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    classmate = joined(klass.classmate)
    assert student.emit("poll_open", {"question": "Ready?", "options": ["Yes", "No"]})["ok"] is False
    assert teacher.emit("poll_open", {"question": "Ready?", "options": ["Yes"]})["ok"] is False
    assert teacher.emit("poll_open", {"question": "Ready?", "options": [str(n) for n in range(11)]})["ok"] is False
    assert teacher.emit("poll_open", {"question": "", "options": ["a", "b"]})["ok"] is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LivePoll)) == 0
    opened = teacher.emit("poll_open", {"question": "Which lens?", "options": ["Convex", "Concave", "  "]})
    poll_id = opened["poll_id"]
    poll = student.wait_for("poll")["poll"]
    assert poll["options"] == ["Convex", "Concave"] and poll["counts"] == [0, 0] and poll["closed"] is False
    assert teacher.emit("poll_open", {"question": "Another?", "options": ["a", "b"]})["error"] == \
        "Close the open poll first."
    assert student.emit("vote", {"poll_id": poll_id, "option": 0}) == {"ok": True}
    assert classmate.emit("vote", {"poll_id": poll_id, "option": 0}) == {"ok": True}
    assert student.emit("vote", {"poll_id": poll_id, "option": 1}) == {"ok": True}  # changed while open
    assert student.emit("vote", {"poll_id": poll_id, "option": 2})["ok"] is False
    assert student.emit("vote", {"poll_id": poll_id, "option": "0"})["ok"] is False
    teacher.wait_for("poll_results", lambda d: d["counts"] == [1, 1] and d["total"] == 2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LivePollVote)) == 2
    state = student.join(lesson)
    assert state["poll"]["my_vote"] == 1 and state["poll"]["counts"] == [1, 1]
    assert student.emit("poll_close", {"poll_id": poll_id})["ok"] is False
    assert teacher.emit("poll_close", {"poll_id": poll_id}) == {"ok": True}
    closed = classmate.wait_for("poll", lambda d: d["poll"]["closed"])["poll"]
    assert closed["counts"] == [1, 1] and closed["total"] == 2
    assert classmate.emit("vote", {"poll_id": poll_id, "option": 1})["error"] == "This poll is closed."
    assert joined(klass.assistant).join(lesson)["poll"] is None


# -- moderation ------------------------------------------------------------------------------------

HOST_EVENTS = [
    ("answer_question", lambda ids: {"message_id": ids["question"]}),
    ("pin", lambda ids: {"message_id": ids["question"]}),
    ("delete_message", lambda ids: {"message_id": ids["question"]}),
    ("lower_hand", lambda ids: {"user_id": ids["classmate"]}),
    ("poll_open", lambda ids: {"question": "Q?", "options": ["a", "b"]}),
    ("poll_close", lambda ids: {"poll_id": ids["poll"]}),
    ("mute", lambda ids: {"user_id": ids["classmate"]}),
    ("unmute", lambda ids: {"user_id": ids["muted"]}),
    ("mute_all", lambda ids: {}),
    ("unmute_all", lambda ids: {}),
    ("remove", lambda ids: {"user_id": ids["classmate"]}),
    ("readmit", lambda ids: {"user_id": ids["removed"]}),
    ("slow_mode", lambda ids: {"seconds": 10}),
]


def _snapshot(lesson):
    db.session.expire_all()
    tables = (LiveMessage, LiveHand, LivePoll, LiveSanction)
    lesson = db.session.get(type(lesson), lesson.id)
    rows = {t.__tablename__: [tuple(sorted((k, str(v)) for k, v in vars(r).items() if not k.startswith("_")))
                              for r in db.session.scalars(sa.select(t).order_by(t.id))] for t in tables}
    return rows, (lesson.all_muted, lesson.slow_mode_seconds)


@pytest.mark.parametrize("event, data", HOST_EVENTS, ids=[e for e, _d in HOST_EVENTS])
def test_a_student_emitting_a_host_event_changes_nothing(make, klass, joined, lesson, event, data):
    """Does every host event from a student get an error ack and leave every row as it was?"""
    teacher = joined(klass.teacher)
    classmate = joined(klass.classmate)
    muted, removed = make.member(klass.circle).user, make.member(klass.circle).user
    ids = {"question": classmate.emit("question", {"body": "Why?"})["id"], "classmate": klass.classmate.id,
           "muted": muted.id, "removed": removed.id}
    classmate.emit("raise_hand")
    assert teacher.emit("mute", {"user_id": muted.id})["ok"] and teacher.emit("remove", {"user_id": removed.id})["ok"]
    ids["poll"] = teacher.emit("poll_open", {"question": "Open?", "options": ["a", "b"]})["poll_id"]
    before = _snapshot(lesson)
    student = joined(klass.student)
    ack = student.emit(event, data(ids))
    assert ack == {"ok": False, "error": "Only the lesson's teachers and assistants can do that."}
    assert _snapshot(lesson) == before
    assert classmate.connected


@pytest.mark.parametrize("event, data", HOST_EVENTS, ids=[e for e, _d in HOST_EVENTS])
def test_a_stranger_cannot_send_any_event(klass, page, lesson, event, data):
    stranger = page(klass.stranger)
    assert stranger.join(lesson)["ok"] is False
    ids = {"question": 1, "classmate": klass.classmate.id, "muted": 1, "removed": 1, "poll": 1}
    assert stranger.emit(event, data(ids)) == {"ok": False, "error": "Join the lesson first."}


@pytest.mark.parametrize("who", ["teacher", "assistant", "owner"])
def test_hosts_cannot_be_muted_or_removed(klass, joined, who):
    assistant = joined(klass.assistant if who != "assistant" else klass.teacher)
    for event in ("mute", "remove"):
        ack = assistant.emit(event, {"user_id": getattr(klass, who).id})
        assert ack == {"ok": False, "error": "Teachers and assistants cannot be muted or removed."}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveSanction)) == 0


def test_strangers_cannot_be_sanctioned(klass, joined):
    teacher = joined(klass.teacher)
    assert teacher.emit("mute", {"user_id": klass.stranger.id})["error"] == "This person was not found."


def test_removal_disconnects_and_refuses_rejoin(klass, joined, page, lesson):
    """Does removing a student close their pages' connections and rows, lower their hand, and refuse their
    next join, until a host readmits them?"""
    teacher = joined(klass.teacher)
    student = joined(klass.student)
    second_tab = joined(klass.student)
    classmate = joined(klass.classmate)
    student.emit("raise_hand")
    assert teacher.emit("remove", {"user_id": klass.assistant.id})["ok"] is False
    assert teacher.emit("remove", {"user_id": klass.student.id}) == {"ok": True}
    for tab in (student, second_tab):
        assert tab.got("removed") == [{"lesson_id": lesson.id}]
        assert not tab.connected
    assert classmate.connected and classmate.got("removed") == []
    assert all(row.left_at is not None for row in _rows(lesson, klass.student))
    assert db.session.scalar(sa.select(LiveHand.lowered_by_id)) == klass.teacher.id
    assert teacher.wait_for("sanctions", lambda d: d["removed"])["removed"][0]["id"] == klass.student.id
    again = page(klass.student)
    assert again.join(lesson) == {"ok": False, "error": "You were removed from this lesson.", "removed": True}
    assert len(_rows(lesson, klass.student)) == 2
    # a removed person's chat never reaches the room
    classmate.clear()
    assert again.emit("chat", {"body": "let me in"})["ok"] is False
    assert classmate.got("chat_message") == []
    assert teacher.emit("readmit", {"user_id": klass.student.id}) == {"ok": True}
    # the refused page waited in the person's room: it hears the readmission and joins without a reload
    assert again.wait_for("readmitted") == {"lesson_id": lesson.id}
    assert again.join(lesson)["ok"] is True


def test_a_lesson_that_ends_refuses_events_and_closes_the_row(klass, joined, lesson):
    student = joined(klass.student)
    lesson.state = LessonState.ended
    lesson.ended_at = utcnow()
    db.session.commit()
    assert student.emit("chat", {"body": "hello?"}) == {"ok": False, "error": "This lesson has ended."}
    assert _rows(lesson, klass.student)[0].left_at is not None
    assert student.emit("heartbeat")["error"] == "Join the lesson first."


def test_a_member_who_left_the_circle_is_refused_at_the_next_event(klass, joined, lesson):
    from lms.circles.models import Membership, MembershipStatus

    student = joined(klass.student)
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == klass.student.id,
                                                               Membership.circle_id == klass.circle.id))
    membership.status = MembershipStatus.left
    db.session.commit()
    assert student.emit("chat", {"body": "still here"}) == {"ok": False, "error": "This lesson was not found."}


def test_close_room_ends_rows_polls_and_hands(klass, joined, lesson):
    """What live-core's end_lesson may call: every open row, poll and hand closes."""
    student = joined(klass.student)
    teacher = joined(klass.teacher)
    student.emit("raise_hand")
    teacher.emit("poll_open", {"question": "Done?", "options": ["yes", "no"]})
    presence.close_room(db.session.get(type(lesson), lesson.id))
    db.session.commit()
    assert all(r.left_at is not None for r in _rows(lesson))
    assert db.session.scalar(sa.select(LivePoll.closed_at)) is not None
    assert db.session.scalar(sa.select(LiveHand.lowered_at)) is not None


def _namespace():
    from lms.extensions import socketio

    return socketio.server.namespace_handlers["/live"]


def test_the_sweep_drops_people_removed_on_another_process(app, klass, joined, lesson):
    """A removal made through another process only tells this one's pages; does this process's sweep then
    disconnect them and close their rows, whatever their page does?"""
    student = joined(klass.student)
    classmate = joined(klass.classmate)
    _namespace().sweep(app)  # first drop what earlier tests' pages left in this process's namespace
    db.session.add(LiveSanction(lesson_id=lesson.id, user_id=klass.student.id, kind="remove", by_id=klass.teacher.id))
    db.session.commit()
    assert _namespace().sweep(app) == 1
    db.session.expire_all()
    assert not student.connected and classmate.connected
    assert _rows(lesson, klass.student)[0].left_at is not None
    assert _rows(lesson, klass.classmate)[0].left_at is None
    assert _namespace().sweep(app) == 0


def test_an_apps_sweep_leaves_the_connections_of_another_app_alone(klass, joined, lesson, tmp_path):
    """A process may hold several apps (the tests do) and one namespace: does another app's sweep, whose database
    has no such lesson, leave this app's connections connected? (It disconnected them as of a lesson that is over:
    the room tests' flaky `classmate.connected`.)"""
    from lms.config import TestConfig
    from tests.fixtures.app import create_isolated_app

    class Other(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'other.db'}"
        INSTANCE_PATH = str(tmp_path)

    other = create_isolated_app(Other)
    with other.app_context():
        db.create_all()
    try:
        student = joined(klass.student)
        assert _namespace().sweep(other) == 0
        assert student.connected
    finally:
        with other.app_context():
            db.engine.dispose()


def test_the_sweep_drops_connections_of_an_ended_lesson(app, klass, joined, lesson):
    student = joined(klass.student)
    _namespace().sweep(app)  # first drop what earlier tests' pages left in this process's namespace
    lesson.state = LessonState.ended
    db.session.commit()
    assert _namespace().sweep(app) == 1
    db.session.expire_all()
    assert not student.connected and _rows(lesson, klass.student)[0].left_at is not None


def test_a_page_of_an_ended_lesson_follows_its_replay(klass, page, lesson):
    """Can a member's page of a lesson that is over hear `replay_state` (follow), with no attendance row, while a
    lesson on air must be joined instead and strangers are refused?"""
    p = page(klass.student)
    assert p.emit("follow", {"lesson_id": lesson.id})["error"] == "Join the lesson first."
    assert page(klass.stranger).emit("follow", {"lesson_id": lesson.id})["error"] == "This lesson was not found."
    lesson.state = LessonState.ended
    lesson.replay_state = "processing"
    db.session.commit()
    assert p.emit("follow", {"lesson_id": lesson.id, "circle_id": lesson.circle_id}) == {
        "ok": True, "state": "ended", "replay_state": "processing"}
    assert _rows(lesson) == []
    from lms.extensions import socketio

    socketio.emit("replay_state", {"lesson_id": lesson.id, "state": "ready"}, to=f"lesson-{lesson.id}", namespace="/live")
    assert p.wait_for("replay_state") == {"lesson_id": lesson.id, "state": "ready"}
    assert p.emit("chat", {"body": "hello"})["error"] == "Join the lesson first."


def test_a_page_whose_sign_in_ended_leaves_the_room(klass, joined, lesson):
    """Signed out elsewhere (the session ended): is the page's next event refused and its row closed?"""
    from lms.accounts import operations as account_ops
    from lms.accounts.models import UserSession

    student = joined(klass.student)
    for row in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == klass.student.id)):
        account_ops.end_session(row)
    db.session.commit()
    assert student.emit("heartbeat") == {"ok": False, "error": "Sign in again to take part."}
    assert _rows(lesson, klass.student)[0].left_at is not None


@pytest.mark.parametrize("how", ["signed out", "disabled"])
def test_a_chat_after_the_sign_in_ended_is_refused(klass, joined, lesson, how):
    """The room's events check the sign-in session in their one query (room.enter_by_session), as Flask-Login's
    loader does: an ended session or a disabled account is refused, nothing is written, the page leaves."""
    from lms.accounts import operations as account_ops
    from lms.accounts.models import User, UserSession
    from lms.live.models import LiveMessage

    student = joined(klass.student)
    assert student.emit("chat", {"body": "before"})["ok"] is True
    if how == "signed out":
        for row in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == klass.student.id)):
            account_ops.end_session(row)
    else:
        db.session.get(User, klass.student.id).is_disabled = True
    db.session.commit()
    assert student.emit("chat", {"body": "after"}) == {"ok": False, "error": "Sign in again to take part."}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveMessage).where(
        LiveMessage.body == "after")) == 0
    assert _rows(lesson, klass.student)[0].left_at is not None
    assert student.emit("chat", {"body": "again"})["error"] == "Join the lesson first."


def test_the_sweep_drops_people_who_left_the_circle_but_keeps_overseers(app, klass, joined, page, lesson):
    from lms.circles.models import Membership, MembershipStatus

    student = joined(klass.student)
    admin = page(klass.admin)
    assert admin.join(lesson)["ok"] is True  # a site admin oversees the circle without a membership
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == klass.student.id,
                                                               Membership.circle_id == klass.circle.id))
    membership.status = MembershipStatus.left
    db.session.commit()
    assert _namespace().sweep(app) == 1
    assert not student.connected and admin.connected


MEMBER_EVENTS = [
    ("chat", lambda ids: {"body": "hi"}),
    ("question", lambda ids: {"body": "why?"}),
    ("raise_hand", lambda ids: {}),
    ("lower_hand", lambda ids: {}),
    ("like", lambda ids: {}),
    ("vote", lambda ids: {"poll_id": ids["poll"], "option": 0}),
    ("heartbeat", lambda ids: {}),
]


@pytest.mark.parametrize("event, data", MEMBER_EVENTS + HOST_EVENTS, ids=[e for e, _d in MEMBER_EVENTS + HOST_EVENTS])
def test_a_page_removed_through_another_process_can_send_nothing(klass, joined, lesson, event, data):
    """A removal recorded elsewhere (this process's page still joined): is every event refused, nothing
    changed, and the page out of the room?"""
    teacher = joined(klass.teacher)
    poll_id = teacher.emit("poll_open", {"question": "Q?", "options": ["a", "b"]})["poll_id"]
    student = joined(klass.student)
    db.session.add(LiveSanction(lesson_id=lesson.id, user_id=klass.student.id, kind="remove", by_id=klass.teacher.id))
    db.session.commit()
    before = _snapshot(lesson)
    ids = {"question": 1, "classmate": klass.classmate.id, "muted": klass.classmate.id,
           "removed": klass.classmate.id, "poll": poll_id}
    assert student.emit(event, data(ids)) == {"ok": False, "error": "You were removed from this lesson."}
    assert _snapshot(lesson) == before
    assert _rows(lesson, klass.student)[0].left_at is not None
    assert student.emit("raise_hand") == {"ok": False, "error": "Join the lesson first."}


@pytest.mark.parametrize("event, data", MEMBER_EVENTS, ids=[e for e, _d in MEMBER_EVENTS])
def test_a_muted_member_may_do_everything_but_write(klass, joined, lesson, event, data):
    teacher = joined(klass.teacher)
    poll_id = teacher.emit("poll_open", {"question": "Q?", "options": ["a", "b"]})["poll_id"]
    student = joined(klass.student)
    assert teacher.emit("mute", {"user_id": klass.student.id})["ok"]
    ack = student.emit(event, data({"poll": poll_id}))
    if event in ("chat", "question"):
        assert ack == {"ok": False, "error": "A host has muted you in this lesson."}
    else:
        assert ack["ok"] is True


def test_an_archived_circles_lesson_room_is_read_only(klass, joined, page, lesson):
    """Archived while a lesson is open: is every room event refused with the archive's message (nothing
    written), is a new page refused at the door, and can no stream (browser or RTMP) take the lesson live?"""
    from lms.circles import operations as circle_ops
    from lms.live import operations as ops

    teacher, student, classmate = joined(klass.teacher), joined(klass.student), joined(klass.classmate)
    circle_ops.set_archived(klass.circle, True)
    db.session.commit()
    archived = "This circle is archived: it can be read, but nothing in it can be changed."
    # each page is told why, and leaves the room (as when the lesson ends)
    assert student.emit("chat", {"body": "still on?"}) == {"ok": False, "error": archived}
    assert student.emit("chat", {"body": "hello?"}) == {"ok": False, "error": "Join the lesson first."}
    assert classmate.emit("raise_hand") == {"ok": False, "error": archived}
    assert teacher.emit("poll_open", {"question": "Ready?", "options": ["yes", "no"]}) == {"ok": False,
                                                                                         "error": archived}
    assert page(klass.student).join(lesson) == {"ok": False, "error": archived}
    assert db.session.scalar(sa.select(sa.func.count(LiveMessage.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(LiveHand.id))) == 0

    scheduled = make_lesson(klass.circle, klass.teacher, state=LessonState.scheduled, title="Next week")
    with pytest.raises(ops.LiveError, match="archived"):
        ops.go_live(scheduled, "browser", klass.teacher)
    assert scheduled.state == LessonState.scheduled
