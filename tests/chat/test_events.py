"""The Socket.IO namespace /chat × roles: joining, sending, the staff's controls, and the rules every event
re-checks (a removed member's socket stops receiving at once; a muted member cannot send; a stranger cannot join
a channel's room)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.chat.models import ChannelVisibility, ChatMessage
from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.moderation.models import CircleModeration
from lms.notifications.models import Notification
from tests.chat.support import send

MEMBERS = ("owner", "teacher", "assistant", "student")
STAFF = ("owner", "teacher", "assistant")


def _joined(page_of, world, who):
    page = page_of(world.user(who))
    assert page.emit("join", {"circle_id": world.circle.id})["ok"] is True
    assert page.emit("open", {"channel_id": world.main.id})["ok"] is True
    return page


@pytest.mark.parametrize("who", MEMBERS + ("removed", "stranger"))
def test_join_by_role(world, page_of, who):
    """Does every member join the circle's chat (seeing the main channel), while a removed member and a stranger
    are refused and hear nothing sent there?"""
    page = page_of(world.user(who))
    answer = page.emit("join", {"circle_id": world.circle.id})
    if who in MEMBERS:
        assert answer["ok"] is True and [c["kind"] for c in answer["channels"]] == ["main"]
        assert answer["me"]["staff"] is (who in STAFF)
    else:
        assert answer == {"ok": False, "error": "This chat was not found."}
        assert page.emit("open", {"channel_id": world.main.id}) == {"ok": False, "error": "Open the chat first."}
        assert page.emit("send", {"channel_id": world.main.id, "body": "hi"})["ok"] is False
        send(world, "teacher", "members only")
        socketio.sleep(0.1)
        assert page.got("message") == []


def test_anonymous_connections_are_refused(app, client):
    """Is a connection without a signed-in session refused?"""
    import contextvars

    sock = contextvars.Context().run(socketio.test_client, app, namespace="/chat", flask_test_client=client)
    assert not sock.is_connected("/chat")


@pytest.mark.parametrize("who", MEMBERS)
def test_members_send_and_everyone_in_the_room_hears(world, page_of, who):
    """Does a message from each role reach every open page of the channel, with the author by circle name?"""
    sender = _joined(page_of, world, who)
    listener = _joined(page_of, world, "student2")
    answer = sender.emit("send", {"channel_id": world.main.id, "body": f"hello from {who}"})
    assert answer["ok"] is True
    pushed = listener.wait_for("message", lambda d: d["message"]["text"] == f"hello from {who}")["message"]
    expected = db.session.scalar(db.select(q.Membership.display_name).where(
        q.Membership.circle_id == world.circle.id, q.Membership.user_id == world.user(who).id))
    assert pushed["author"]["name"] == expected and pushed["author"]["staff"] is (who in STAFF)


@pytest.mark.parametrize("event,data", [("pin", "message"), ("mute_all", {"on": True}), ("slow_mode", {"seconds": 30}),
                                        ("mute_member", "member")])
@pytest.mark.parametrize("who", MEMBERS)
def test_staff_controls_by_role(world, page_of, who, event, data):
    """Are pin, mute all, slow mode and muting a member the staff's alone?"""
    message = send(world, "student2", "pin me")
    if data == "message":
        data = {"message_id": message.id}
    elif data == "member":
        data = {"user_id": world.user("student2").id, "minutes": 10, "reason": "noise"}
    page = _joined(page_of, world, who)
    answer = page.emit(event, {"channel_id": world.main.id, **data})
    if who in STAFF:
        assert answer["ok"] is True
    else:
        assert answer == {"ok": False, "error": "Only the circle's staff can " + (
            "pin messages." if event == "pin" else "do that.")}


def test_a_removed_members_socket_stops_receiving_at_once(world, page_of):
    """When the staff remove a student from the circle, is their open chat told and disconnected at once (the
    server closes it; nothing sent afterwards reaches it), and refused if it comes back?"""
    student = _joined(page_of, world, "student")
    teacher = _joined(page_of, world, "teacher")
    membership = world.circle.membership_of(world.user("student"))
    circle_ops.remove_member(membership, world.user("owner"))
    db.session.commit()
    assert student.wait_for("removed")["circle_id"] == world.circle.id
    assert not student.connected
    assert teacher.emit("send", {"channel_id": world.main.id, "body": "after the removal"})["ok"] is True
    teacher.wait_for("message", lambda d: d["message"]["text"] == "after the removal")
    assert [d for d in student.got("message") if d["message"]["text"] == "after the removal"] == []
    again = page_of(world.user("student"))
    assert again.emit("join", {"circle_id": world.circle.id})["ok"] is False


def test_a_member_who_leaves_is_cut_off_too(world, page_of):
    """Does leaving the circle close the person's chat connections as a removal does?"""
    student = _joined(page_of, world, "student")
    circle_ops.leave_circle(world.circle.membership_of(world.user("student")))
    db.session.commit()
    student.wait_for("removed")
    assert not student.connected


def test_an_event_rechecks_membership(world, page_of):
    """If a membership ends without the push (e.g. on another process before this one heard), is the next event
    refused and the connection taken out of the rooms?"""
    student = _joined(page_of, world, "student")
    membership = world.circle.membership_of(world.user("student"))
    membership.status = q.MembershipStatus.removed  # straight to the row: no departure hook
    db.session.commit()
    assert student.emit("send", {"channel_id": world.main.id, "body": "still here?"}) == {
        "ok": False, "error": "This chat was not found."}
    send(world, "teacher", "not for you")
    socketio.sleep(0.1)
    assert [d for d in student.got("message") if d["message"]["text"] == "not for you"] == []


def test_a_muted_member_cannot_send_until_the_mute_ends(world, page_of):
    """Can a muted student read but not send, and send again once the mute is lifted?"""
    teacher = _joined(page_of, world, "teacher")
    student = _joined(page_of, world, "student")
    assert teacher.emit("mute_member", {"channel_id": world.main.id, "user_id": world.user("student").id,
                                        "minutes": 60, "reason": "flooding"})["ok"] is True
    refused = student.emit("send", {"channel_id": world.main.id, "body": "let me talk"})
    assert refused["ok"] is False and refused["error"].startswith("You are muted in this circle until")
    assert teacher.emit("send", {"channel_id": world.main.id, "body": "read this"})["ok"] is True
    student.wait_for("message", lambda d: d["message"]["text"] == "read this")
    assert teacher.emit("mute_member", {"channel_id": world.main.id, "user_id": world.user("student").id,
                                        "minutes": 0})["ok"] is True
    assert student.emit("send", {"channel_id": world.main.id, "body": "thanks"})["ok"] is True
    note = db.session.scalars(db.select(Notification).where(Notification.user_id == world.user("student").id,
                                                            Notification.kind == "member_muted")
                              .order_by(Notification.id)).first()  # the mute's, not the lifting's
    assert note.params["reason"] == "flooding"


def test_staff_cannot_be_muted_from_the_chat(world, page_of):
    teacher = _joined(page_of, world, "teacher")
    answer = teacher.emit("mute_member", {"channel_id": world.main.id, "user_id": world.user("assistant").id,
                                          "minutes": 10})
    assert answer == {"ok": False, "error": "Teachers and assistants cannot be muted."}


def test_mute_all_lets_only_staff_talk(world, page_of):
    """With "mute all" on, is a student refused while the staff still write, and everyone told of the setting?"""
    teacher = _joined(page_of, world, "teacher")
    student = _joined(page_of, world, "student")
    assert teacher.emit("mute_all", {"channel_id": world.main.id, "on": True}) == {"ok": True}
    assert student.wait_for("settings")["all_muted"] is True
    assert student.emit("send", {"channel_id": world.main.id, "body": "hi"}) == {
        "ok": False, "error": "Only the staff can write here for now."}
    assert teacher.emit("send", {"channel_id": world.main.id, "body": "lesson time"})["ok"] is True
    assert teacher.emit("mute_all", {"channel_id": world.main.id, "on": False}) == {"ok": True}
    assert student.emit("send", {"channel_id": world.main.id, "body": "hi"})["ok"] is True


def test_slow_mode(world, page_of):
    """With slow mode at 30 s, is a student's second message within 30 s refused with the wait, staff not held?"""
    teacher = _joined(page_of, world, "teacher")
    student = _joined(page_of, world, "student")
    assert teacher.emit("slow_mode", {"channel_id": world.main.id, "seconds": 30}) == {"ok": True}
    assert teacher.emit("slow_mode", {"channel_id": world.main.id, "seconds": 9999})["ok"] is False
    assert student.emit("send", {"channel_id": world.main.id, "body": "one"})["ok"] is True
    second = student.emit("send", {"channel_id": world.main.id, "body": "two"})
    assert second["ok"] is False and second["error"].startswith("Slow mode is on: wait 3")
    assert teacher.emit("send", {"channel_id": world.main.id, "body": "a"})["ok"] is True
    assert teacher.emit("send", {"channel_id": world.main.id, "body": "b"})["ok"] is True


def test_edit_and_delete_own_within_the_time_limit(world, page_of):
    """Can the author edit (shown edited) and delete (shown deleted) within 15 minutes, not after, not others'
    messages; and staff delete any message at any time? Every open page sees each change."""
    student = _joined(page_of, world, "student")
    other = _joined(page_of, world, "student2")
    sent = student.emit("send", {"channel_id": world.main.id, "body": "frist"})["message"]
    edited = student.emit("edit", {"channel_id": world.main.id, "message_id": sent["id"], "body": "first"})
    assert edited["ok"] is True and edited["message"]["edited"] is True
    changed = other.wait_for("message_changed", lambda d: d["message"]["id"] == sent["id"])["message"]
    assert changed["text"] == "first" and changed["edited"] is True
    assert other.emit("edit", {"channel_id": world.main.id, "message_id": sent["id"], "body": "mine now"}) == {
        "ok": False, "error": "You can edit only your own messages."}
    assert other.emit("delete", {"channel_id": world.main.id, "message_id": sent["id"]}) == {
        "ok": False, "error": "You can delete only your own messages."}

    old = student.emit("send", {"channel_id": world.main.id, "body": "old news"})["message"]
    row = db.session.get(ChatMessage, old["id"])
    row.created_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    assert student.emit("edit", {"channel_id": world.main.id, "message_id": old["id"], "body": "x"})["error"] == \
        "You can edit your messages only for 15 minutes after sending them."
    assert student.emit("delete", {"channel_id": world.main.id, "message_id": old["id"]})["error"] == \
        "You can delete your messages only for 15 minutes after sending them."

    assert student.emit("delete", {"channel_id": world.main.id, "message_id": sent["id"]}) == {"ok": True}
    gone = other.wait_for("message_changed", lambda d: d["message"]["id"] == sent["id"] and d["message"]["deleted"])
    assert gone["message"]["text"] == "" and gone["message"]["html"] == ""
    teacher = _joined(page_of, world, "teacher")
    assert teacher.emit("delete", {"channel_id": world.main.id, "message_id": old["id"]}) == {"ok": True}


def test_pin_shows_to_everyone(world, page_of):
    teacher = _joined(page_of, world, "teacher")
    student = _joined(page_of, world, "student")
    message = send(world, "student2", "important")
    assert teacher.emit("pin", {"channel_id": world.main.id, "message_id": message.id}) == {"ok": True}
    assert student.wait_for("pinned")["message"]["text"] == "important"
    assert student.emit("open", {"channel_id": world.main.id})["pinned"]["id"] == message.id
    assert teacher.emit("pin", {"channel_id": world.main.id, "message_id": None}) == {"ok": True}
    student.wait_for("pinned", lambda d: d["message"] is None)


def test_a_held_message_is_seen_by_its_author_and_the_staff_until_approved(world, page_of):
    """With a word list, is a student's message containing a listed word held: pushed to its author and the
    staff only (marked held), not to other students; and shown to all once approved? Hidden: gone from all."""
    db.session.add(CircleModeration(circle_id=world.circle.id, word_list="spoiler"))
    db.session.commit()
    author = _joined(page_of, world, "student")
    other = _joined(page_of, world, "student2")
    teacher = _joined(page_of, world, "teacher")
    sent = author.emit("send", {"channel_id": world.main.id, "body": "big SPOILER here"})
    assert sent["ok"] is True and sent["message"]["held"] is True
    assert teacher.wait_for("message", lambda d: d["message"]["id"] == sent["message"]["id"])["message"]["held"]
    author.wait_for("message", lambda d: d["message"]["id"] == sent["message"]["id"])
    socketio.sleep(0.1)
    assert [d for d in other.got("message") if d["message"]["id"] == sent["message"]["id"]] == []
    assert sent["message"]["id"] not in [m["id"] for m in other.emit("open", {"channel_id": world.main.id})["messages"]]

    message = db.session.get(ChatMessage, sent["message"]["id"])
    ops.approve_message(message, actor=world.user("teacher"))
    db.session.commit()
    shown = other.wait_for("message", lambda d: d["message"]["id"] == message.id)["message"]
    assert shown["held"] is False
    ops.hide_message(message, actor=world.user("teacher"), reason="spoilers")
    db.session.commit()
    other.wait_for("message_removed", lambda d: d["id"] == message.id)
    author.wait_for("message_removed", lambda d: d["id"] == message.id)
    assert message.id not in [m["id"] for m in other.emit("open", {"channel_id": world.main.id})["messages"]]


def test_mentions_notify_the_mentioned_only(world, page_of):
    """Does "@Tess" with her id notify her (through lms/notifications), and not an id whose name is not in the
    text, nor a stranger's id?"""
    page = _joined(page_of, world, "student")
    answer = page.emit("send", {"channel_id": world.main.id, "body": "@Tess look at this",
                                "mentions": [world.user("student2").id, world.user("teacher").id,
                                             world.user("stranger").id]})
    assert answer["message"]["mentions"] == [world.user("student2").id]
    notes = db.session.scalars(db.select(Notification).where(Notification.kind == "chat_mention")).all()
    assert [n.user_id for n in notes] == [world.user("student2").id]
    assert notes[0].params["actor"] == "Sam in class" and "look at this" in notes[0].params["excerpt"]


def test_unread_counts_and_first_unread(world, page_of):
    """Does join report each channel's unread count, open the first unread id, and `read` move the place
    (never back)?"""
    first = send(world, "teacher", "one")
    send(world, "teacher", "two")
    page = page_of(world.user("student"))
    assert page.emit("join", {"circle_id": world.circle.id})["channels"][0]["unread"] == 2
    opened = page.emit("open", {"channel_id": world.main.id})
    assert opened["first_unread_id"] == first.id
    assert page.emit("read", {"channel_id": world.main.id, "last_id": first.id}) == {
        "ok": True, "last_read_id": first.id, "unread": 1}
    assert page.emit("read", {"channel_id": world.main.id, "last_id": 0})["last_read_id"] == first.id
    assert page.emit("read", {"channel_id": world.main.id, "last_id": 10 ** 9})["unread"] == 0


def test_history_event_by_keyset(world, page_of):
    for n in range(60):
        send(world, "teacher", f"m{n}")
    page = _joined(page_of, world, "student")
    newest = page.emit("open", {"channel_id": world.main.id})
    assert len(newest["messages"]) == 50 and newest["has_older"]
    older = page.emit("history", {"channel_id": world.main.id, "before_id": newest["messages"][0]["id"]})
    assert [m["text"] for m in older["messages"]] == [f"m{n}" for n in range(10)] and not older["full"]
    after = page.emit("history", {"channel_id": world.main.id, "after_id": older["messages"][-1]["id"]})
    assert after["messages"][0]["text"] == "m10"


def test_search_event(world, page_of):
    send(world, "teacher", "Quiz on Monday")
    send(world, "teacher", "nothing here")
    page = _joined(page_of, world, "student")
    found = page.emit("search", {"channel_id": world.main.id, "text": "quiz"})
    assert [m["text"] for m in found["messages"]] == ["Quiz on Monday"]


def test_a_chosen_channels_room_is_closed_to_others(world, page_of):
    """Is a channel for chosen members joined only by them and the staff, its messages heard by no one else?"""
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group 2",
                                 visibility=ChannelVisibility.chosen, member_ids=[world.user("student").id])
    db.session.commit()
    inside = page_of(world.user("student"))
    outside = page_of(world.user("student2"))
    assert len(inside.emit("join", {"circle_id": world.circle.id})["channels"]) == 2
    assert len(outside.emit("join", {"circle_id": world.circle.id})["channels"]) == 1
    assert outside.emit("open", {"channel_id": channel.id}) == {"ok": False, "error": "This channel was not found."}
    send(world, "teacher", "group only", channel=channel)
    inside.wait_for("message", lambda d: d["message"]["text"] == "group only")
    socketio.sleep(0.1)
    assert outside.got("message") == []
    # taken off the channel: their page leaves its room at once
    ops.set_channel_members(channel, world.user("teacher"), [])
    db.session.commit()
    inside.wait_for("removed", lambda d: d["channel_id"] == channel.id)
    send(world, "teacher", "after", channel=channel)
    socketio.sleep(0.1)
    assert [d for d in inside.got("message") if d["message"]["text"] == "after"] == []


def test_replies_and_members_autocomplete(world, page_of):
    page = _joined(page_of, world, "student")
    question = send(world, "teacher", "Any questions about chapter 3?")
    answer = page.emit("send", {"channel_id": world.main.id, "body": "Yes, one", "reply_to": question.id})
    assert answer["message"]["reply_to"]["excerpt"] == "Any questions about chapter 3?"
    members = page.emit("members", {"channel_id": world.main.id, "text": "te"})["members"]
    assert "Tess" in [m["name"] for m in members]


def test_a_muted_members_page_is_told_at_once(world, page_of, app, client_as):
    """Is every open page of a muted student (any page: the default namespace, which static/js/chat.js and
    static/js/circles/muted.js hear) told at once until when and why, and again when the mute is lifted?"""
    from tests.chat.test_activity import AnyPage

    teacher = _joined(page_of, world, "teacher")
    page = AnyPage(app, client_as(world.user("student")))
    try:
        answer = teacher.emit("mute_member", {"channel_id": world.main.id, "user_id": world.user("student").id,
                                              "minutes": 10, "reason": "Too many messages"})
        assert answer["ok"] and answer["member"]["reason"] == "Too many messages"
        told = [p["args"][0] for p in page.sock.get_received() if p["name"] == "member_muted"]
        assert len(told) == 1 and told[0]["circle_id"] == world.circle.id
        assert told[0]["muted_until"] is not None and told[0]["reason"] == "Too many messages"
        assert teacher.emit("mute_member", {"channel_id": world.main.id, "user_id": world.user("student").id,
                                            "minutes": 0})["ok"]
        told = [p["args"][0] for p in page.sock.get_received() if p["name"] == "member_muted"]
        assert told == [{"circle_id": world.circle.id, "muted_until": None, "reason": ""}]
    finally:
        page.close()


def test_a_mute_needs_a_reason(world, page_of):
    """Is a mute without a reason (or only spaces) refused, the member left able to write?"""
    teacher = _joined(page_of, world, "teacher")
    answer = teacher.emit("mute_member", {"channel_id": world.main.id, "user_id": world.user("student").id,
                                          "minutes": 10, "reason": "   "})
    assert answer == {"ok": False, "error": "Say why: the member reads the reason."}
    assert not world.circle.membership_of(world.user("student")).is_muted()


def test_a_muted_member_reads_why_on_the_chat_page(world, client_as, page_of):
    """Does a muted student who opens (or reloads) the chat page find the composer disabled, with until when and
    why, and the staff find them in the muted list with Unmute?"""
    teacher = _joined(page_of, world, "teacher")
    teacher.emit("mute_member", {"channel_id": world.main.id, "user_id": world.user("student").id,
                                 "minutes": 10, "reason": "Too many messages"})
    url = f"/c/{world.circle.id}/chat/{world.main.id}"
    html = client_as(world.user("student")).get(url).get_data(as_text=True)
    assert "You are muted in this circle until" in html and "Reason: Too many messages" in html
    assert re.search(r"<textarea[^>]*data-chat-body[^>]*disabled", html)
    staff_html = client_as(world.user("teacher")).get(url).get_data(as_text=True)
    assert f'data-unmute="{world.user("student").id}"' in staff_html
    assert "Too many messages" in staff_html


def test_a_demoted_assistant_stops_hearing_held_messages_at_once(world, page_of):
    """When an assistant becomes a student, does their open page leave the staff rooms at once (a held message no
    longer reaches it) and is it asked to join again?"""
    db.session.add(CircleModeration(circle_id=world.circle.id, word_list="spoiler"))
    db.session.commit()
    assistant = _joined(page_of, world, "assistant")
    circle_ops.change_role(world.circle.membership_of(world.user("assistant")), Role.student, world.user("owner"))
    db.session.commit()
    assistant.wait_for("rejoin")
    author = _joined(page_of, world, "student")
    held = author.emit("send", {"channel_id": world.main.id, "body": "a spoiler"})["message"]
    assert held["held"] is True
    socketio.sleep(0.1)
    assert [d for d in assistant.got("message") if d["message"]["id"] == held["id"]] == []
    assert assistant.emit("join", {"circle_id": world.circle.id})["me"]["staff"] is False


def test_an_archived_circle_chat_is_read_only(world, page_of):
    """Archived (a term's end) while pages are open: does every write event answer with the archive's message
    and change nothing, while the history, search and one's place in the channel still work? (Its pages'
    writes are refused by lms.circles.archived; Socket.IO events are not requests under its URL.)"""
    send(world, "student", "before the term ended")
    teacher, student = _joined(page_of, world, "teacher"), _joined(page_of, world, "student")
    message = db.session.scalar(db.select(ChatMessage).where(ChatMessage.channel_id == world.main.id))
    circle_ops.set_archived(world.circle, True)
    db.session.commit()
    archived = {"ok": False, "error": "This circle is archived: it can be read, but nothing in it can be changed."}
    channel = {"channel_id": world.main.id}
    assert student.emit("send", {**channel, "body": "still here?"}) == archived
    assert student.emit("edit", {**channel, "message_id": message.id, "body": "changed"}) == archived
    assert student.emit("delete", {**channel, "message_id": message.id}) == archived
    assert teacher.emit("pin", {**channel, "message_id": message.id}) == archived
    assert teacher.emit("mute_all", {**channel, "on": True}) == archived
    assert teacher.emit("slow_mode", {**channel, "seconds": 30}) == archived
    db.session.expire_all()
    assert [m.body for m in q.history(world.main, q.reader_of(world.circle, world.user("student")))] == [
        "before the term ended"]
    assert student.emit("history", channel)["ok"] is True
    assert student.emit("search", {**channel, "text": "term"})["messages"][0]["id"] == message.id
    assert teacher.emit("read", {**channel, "last_id": message.id})["ok"] is True
