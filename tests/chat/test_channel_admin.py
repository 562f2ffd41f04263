"""Staff rename, close and reopen an extra channel (each audited); nobody else can, by role; open pages hear
a new name or the closing at once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.chat import operations as ops
from lms.chat.models import ChannelVisibility, ChatChannel
from lms.extensions import db
from tests.chat.support import send
from tests.fixtures.app import page_text

#: who may: the staff (302); a student 403; a removed member and a stranger 404
BY_ROLE = [("owner", 302), ("teacher", 302), ("assistant", 302), ("student", 403), ("removed", 404),
           ("stranger", 404)]


@pytest.fixture
def qa(world):
    """An extra channel "Q&A" for every member, opened by the teacher, with one message."""
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Q&A")
    db.session.commit()
    send(world, "student", "a question", channel=channel)
    return channel


def _audit(action):
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("who,expected", BY_ROLE)
def test_rename_by_role(world, qa, client_as, who, expected):
    """Who may rename an extra channel? The staff (audited, from and to); a student 403; outsiders 404."""
    response = client_as(world.user(who)).post(f"/c/{world.circle.id}/chat/{qa.id}/rename",
                                               data={"name": "Questions"})
    assert response.status_code == expected
    db.session.expire_all()
    assert db.session.get(ChatChannel, qa.id).name == ("Questions" if expected == 302 else "Q&A")
    events = _audit("chat_channel_renamed")
    assert len(events) == (1 if expected == 302 else 0)
    if events:
        assert events[0].actor_id == world.user(who).id and events[0].details == {"from": "Q&A", "to": "Questions"}


@pytest.mark.parametrize("who,expected", BY_ROLE)
def test_close_and_reopen_by_role(world, qa, client_as, who, expected):
    """Who may close and reopen an extra channel? The staff (each audited); a student 403 while they see it, 404
    once it is closed (as a stranger: a closed channel's existence does not show); outsiders 404.
    Closed, the channel is gone from the members' pages; reopened, it is back with its history."""
    url = f"/c/{world.circle.id}/chat/{qa.id}"
    student = client_as(world.user("student"))
    assert client_as(world.user(who)).post(f"{url}/archive").status_code == expected
    if expected != 302:
        ops.archive_channel(db.session.get(ChatChannel, qa.id), world.user("teacher"))
        db.session.commit()
    assert student.get(url).status_code == 404
    assert client_as(world.user(who)).post(f"{url}/reopen").status_code == (404 if expected == 403 else expected)
    db.session.expire_all()
    assert (db.session.get(ChatChannel, qa.id).archived_at is None) == (expected == 302)
    if expected == 302:
        assert "a question" in page_text(student.get(url))
        [closed] = _audit("chat_channel_closed")
        [reopened] = _audit("chat_channel_reopened")
        assert closed.actor_id == reopened.actor_id == world.user(who).id
        assert closed.target_type == "chat_channels" and closed.target_id == qa.id


@pytest.mark.parametrize("who,expected", [("owner", 200), ("teacher", 200), ("assistant", 200), ("student", 403),
                                          ("removed", 404), ("stranger", 404)])
def test_closed_channels_page_by_role(world, qa, client_as, who, expected):
    """Does the staff's list of closed channels show a closed one with a Reopen button, to the staff only?"""
    ops.archive_channel(qa, world.user("teacher"))
    db.session.commit()
    response = client_as(world.user(who)).get(f"/c/{world.circle.id}/chat/channels/closed")
    assert response.status_code == expected
    if expected == 200:
        text = page_text(response)
        assert "Q&A" in text and "Reopen" in text


def test_a_channel_a_student_may_not_see_is_not_found_by_them(world, client_as):
    """Does a student get 404 (as a stranger), not 403, from every staff route of a channel they may not see (for
    chosen members they are not among; closed), and 403 only from one they see?"""
    chosen = ops.create_channel(world.circle, world.user("teacher"), name="Group 2",
                                visibility=ChannelVisibility.chosen, member_ids=[world.user("student2").id])
    db.session.commit()
    student, listed = client_as(world.user("student")), client_as(world.user("student2"))
    base = f"/c/{world.circle.id}/chat/{chosen.id}"
    for action, data in (("rename", {"name": "Mine"}), ("archive", {}), ("reopen", {}), ("members", {})):
        assert student.post(f"{base}/{action}", data=data).status_code == 404, action
        assert listed.post(f"{base}/{action}", data=data).status_code == 403, action
    ops.archive_channel(db.session.get(ChatChannel, chosen.id), world.user("teacher"))
    db.session.commit()
    for action, data in (("rename", {"name": "Mine"}), ("archive", {}), ("reopen", {}), ("members", {})):
        assert listed.post(f"{base}/{action}", data=data).status_code == 404, action
    db.session.expire_all()
    assert db.session.get(ChatChannel, chosen.id).name == "Group 2"


def test_the_main_channel_and_direct_conversations_cannot_be_renamed_or_closed(world, client_as):
    """Are the main channel and a direct conversation out of reach of rename and close (404)?"""
    direct = ops.open_direct(world.circle, world.user("student"), world.circle.membership_of(world.user("teacher")))
    db.session.commit()
    owner = client_as(world.user("owner"))
    for channel in (world.main, direct):
        base = f"/c/{world.circle.id}/chat/{channel.id}"
        assert owner.post(f"{base}/rename", data={"name": "Mine"}).status_code == 404
        assert owner.post(f"{base}/archive").status_code == 404
    assert _audit("chat_channel_renamed") == [] and _audit("chat_channel_closed") == []


def test_a_bad_name_is_refused(world, qa, client_as):
    """Is an empty name refused, the channel keeping its name?"""
    client_as(world.user("teacher")).post(f"/c/{world.circle.id}/chat/{qa.id}/rename", data={"name": "   "})
    db.session.expire_all()
    assert db.session.get(ChatChannel, qa.id).name == "Q&A" and _audit("chat_channel_renamed") == []


def test_an_open_page_hears_the_new_name_and_the_closing(world, qa, page_of):
    """Do the channel's open pages hear the new name, then that it was closed?"""
    page = page_of(world.user("student"))
    assert page.emit("join", {"circle_id": world.circle.id})["ok"]
    assert page.emit("open", {"channel_id": qa.id})["ok"]
    page.take()
    ops.rename_channel(qa, world.user("teacher"), "Questions")
    db.session.commit()
    ops.archive_channel(qa, world.user("teacher"))
    db.session.commit()
    events = page.take()
    assert ("channel_renamed", {"channel_id": qa.id, "name": "Questions"}) in events
    assert ("channel_closed", {"channel_id": qa.id}) in events


def test_a_reopened_chosen_channel_keeps_its_members(world, client_as):
    """Reopened, is a channel of chosen members still seen only by them and the staff?"""
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group 2",
                                 visibility=ChannelVisibility.chosen, member_ids=[world.user("student").id])
    ops.archive_channel(channel, world.user("teacher"))
    ops.reopen_channel(channel, world.user("teacher"))
    db.session.commit()
    url = f"/c/{world.circle.id}/chat/{channel.id}"
    assert client_as(world.user("student")).get(url).status_code == 200
    assert client_as(world.user("student2")).get(url).status_code == 404
