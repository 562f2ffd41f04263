"""Choosing a channel's members: the staff's picker (a new channel, and a chosen-members channel's own list)
shows each learner by their circle identity, with the real name and student number the staff see, searchable by
any of them (static/js/chat_members.js filters on data-text; tests/browser/test_chat_member_picker.py)."""
from __future__ import annotations

import re

import pytest

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.chat.models import ChannelVisibility, ChatChannel
from lms.extensions import db


@pytest.fixture
def lin(world, make):
    """A student known in the circle as "Lin (Group B)", real name 林小梅, student number S-1042."""
    return make.member(world.circle, make.user("Account Name Hidden"), display_name="Lin (Group B)",
                       real_name="林小梅", student_no="S-1042")


def _rows(html: str) -> dict[str, str]:
    """The picker's rows: {data-text: the row's HTML}."""
    return dict(re.findall(r'<li data-pick-row data-text="([^"]*)">(.*?)</li>', html, re.S))


def test_the_new_channel_page_lists_learners_by_their_circle_identity(world, lin, client_as):
    html = client_as(world.user("teacher")).get(f"/c/{world.circle.id}/chat/channels/new").get_data(as_text=True)
    rows = _rows(html)
    assert "lin (group b) 林小梅 s-1042" in rows
    row = rows["lin (group b) 林小梅 s-1042"]
    assert '<span class="member-name">Lin (Group B)</span>' in row and '林小梅 · <span class="nowrap">S-1042</span>' in row
    assert f'value="{lin.user_id}"' in row and "Account Name Hidden" not in html
    assert "sam in class  " in rows and "tess  " in rows  # the other learners; no staff, no removed member
    assert not any("teacher" in text or "rex" in text for text in rows)
    assert "data-pick-filter" in html and "js/chat_members.js" in html


def test_a_channel_made_from_the_picker_has_the_ticked_members(world, lin, client_as):
    teacher = client_as(world.user("teacher"))
    response = teacher.post(f"/c/{world.circle.id}/chat/channels/new",
                            data={"name": "Group B", "visibility": "chosen", "members": [str(lin.user_id)]})
    assert response.status_code == 302
    channel = db.session.scalar(db.select(ChatChannel).where(ChatChannel.name == "Group B"))
    assert q.channel_member_ids(channel) == {lin.user_id}


def test_a_chosen_channels_own_picker_shows_names_and_who_is_in(world, lin, client_as):
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group B",
                                 visibility=ChannelVisibility.chosen, member_ids=[lin.user_id])
    db.session.commit()
    html = client_as(world.user("owner")).get(f"/c/{world.circle.id}/chat/{channel.id}").get_data(as_text=True)
    rows = _rows(html)
    assert re.search(rf'value="{lin.user_id}" checked', rows["lin (group b) 林小梅 s-1042"])
    assert "checked" not in rows["tess  "]
    assert '<span class="member-name">Lin (Group B)</span>' in rows["lin (group b) 林小梅 s-1042"]


def test_a_member_of_the_channel_sees_no_picker_and_no_real_names(world, lin, client_as):
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group B",
                                 visibility=ChannelVisibility.chosen, member_ids=[lin.user_id])
    db.session.commit()
    html = client_as(lin.user).get(f"/c/{world.circle.id}/chat/{channel.id}").get_data(as_text=True)
    assert "data-member-pick" not in html and "S-1042" not in html and "chat_members.js" not in html


@pytest.mark.parametrize("who, status", [("student", 403), ("stranger", 404), ("removed", 404)])
def test_only_the_staff_open_the_new_channel_page(who, status, world, client_as):
    assert client_as(world.user(who)).get(f"/c/{world.circle.id}/chat/channels/new").status_code == status
