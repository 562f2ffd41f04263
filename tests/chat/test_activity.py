"""The top bar's and the circle tab's unread counts follow new chat live: every page of the people who see a
channel hears a content-free `chat_activity` on the default namespace, at most once a channel per window, in one
emit to the circle's room whatever its size (a few people's rooms for chosen-members and direct channels)."""
from __future__ import annotations

import contextvars

import pytest

from lms.chat import operations as ops
from lms.chat import pushes
from lms.chat.models import ChannelVisibility
from lms.extensions import db, socketio
from lms.moderation import operations as moderation_ops
from lms.moderation.models import ActionKind, ReportKind
from tests.chat.support import send


class AnyPage:
    """Any page of one person (not a chat page): its Socket.IO connection on the default namespace."""

    def __init__(self, app, client):
        self.sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=client)

    def activity(self) -> list[dict]:
        return [p["args"][0] for p in self.sock.get_received() if p["name"] == pushes.Push.activity]

    def close(self):
        if self.sock.is_connected():
            contextvars.Context().run(self.sock.disconnect)


@pytest.fixture
def pages(app, client_as):
    opened = []

    def _open(user):
        page = AnyPage(app, client_as(user))
        opened.append(page)
        return page

    pushes._last_activity.clear()  # channel ids come again after each test's rollback
    yield _open
    for page in opened:
        page.close()


def _new_window():
    pushes._last_activity.clear()


def test_members_pages_hear_that_there_is_new_chat_and_nothing_more(world, pages):
    """Does every member's page (any page) hear `chat_activity` with only the circle's id, and a stranger's and a
    removed member's nothing?"""
    listening = {who: pages(world.user(who)) for who in ("student2", "teacher", "stranger", "removed")}
    send(world, "student", "hello")
    assert listening["student2"].activity() == [{"circle_id": world.circle.id}]
    assert listening["teacher"].activity() == [{"circle_id": world.circle.id}]
    assert listening["stranger"].activity() == [] and listening["removed"].activity() == []


def test_signals_are_coalesced_per_channel(world, pages):
    """Do ten messages within the window make one signal, and the next window's message another?"""
    page = pages(world.user("student2"))
    for i in range(10):
        send(world, "student", f"message {i}")
    assert len(page.activity()) == 1
    _new_window()
    send(world, "student", "later")
    assert len(page.activity()) == 1


def test_a_chosen_channel_signals_its_members_and_the_staff_only(world, pages):
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group 2",
                                 visibility=ChannelVisibility.chosen, member_ids=[world.user("student").id])
    db.session.commit()
    listening = {who: pages(world.user(who)) for who in ("student", "student2", "assistant", "owner")}
    send(world, "teacher", "group work", channel=channel)
    assert [len(listening[w].activity()) for w in ("student", "student2", "assistant", "owner")] == [1, 0, 1, 1]


def test_a_direct_message_signals_the_two_only(world, pages):
    direct = ops.open_direct(world.circle, world.user("student"), world.circle.membership_of(world.user("teacher")))
    db.session.commit()
    listening = {who: pages(world.user(who)) for who in ("teacher", "student2")}
    send(world, "student", "a question for you", channel=direct)
    assert len(listening["teacher"].activity()) == 1 and listening["student2"].activity() == []


def test_a_held_message_signals_only_once_approved(world, pages):
    """A message held for review is unread for nobody but the staff: no signal until it is approved."""
    moderation_ops.update_settings(world.circle, world.user("owner"), first_posts_need_approval=False,
                                   word_list="forbidden", links_allowed=True, posts_per_hour=None,
                                   comments_per_hour=None, chat_per_minute=None)
    db.session.commit()
    page = pages(world.user("student2"))
    message = send(world, "student", "a forbidden word")
    assert message.held_at is not None and page.activity() == []
    moderation_ops.act(world.circle, ReportKind.chat_message, message.id, ActionKind.approve, world.user("teacher"))
    db.session.commit()
    assert len(page.activity()) == 1


@pytest.mark.parametrize("members", [3, 60])
def test_one_emit_a_message_whatever_the_circles_size(world, make, monkeypatch, members):
    """Is the signal one emit (to the circle's room) for a channel of every member, with 3 or 60 more members?"""
    for i in range(members):
        make.member(world.circle, make.user(f"Extra {i}"))
    db.session.commit()
    emitted = []
    real = socketio.emit
    monkeypatch.setattr(socketio, "emit", lambda event, *a, **k: (emitted.append((event, k.get("to"))),
                                                                   real(event, *a, **k))[1])
    _new_window()
    send(world, "student", "hello all")
    assert [e for e in emitted if e[0] == pushes.Push.activity] == [
        (pushes.Push.activity, pushes.activity_room(world.circle.id))]


def test_a_removed_members_open_pages_stop_hearing_at_once(world, pages):
    """A member's page (any page, connected while they were in the circle) hears new chat; once they are removed,
    does it hear nothing more at once, without reconnecting?"""
    from lms.circles import operations as circle_ops

    listening = pages(world.user("student2"))
    bystander = pages(world.user("teacher"))
    send(world, "student", "before")
    assert len(listening.activity()) == 1 and len(bystander.activity()) == 1
    circle_ops.remove_member(world.circle.membership_of(world.user("student2")), world.user("owner"))
    db.session.commit()
    _new_window()
    send(world, "student", "after")
    assert len(bystander.activity()) == 1
    assert listening.activity() == []
    assert listening.sock.is_connected()  # the page itself stays (its other pushes go on)
