"""Chat pages × roles: every route for the owner, a teacher, an assistant, a student, a removed member and a
stranger (the last two 404, as everywhere); the owner's settings; extra channels for chosen members; direct
messages; attachments."""
from __future__ import annotations

import pytest

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.chat.models import ChannelVisibility, ChatChannel, ChatMessage
from lms.circles.models import CircleKind
from lms.extensions import db
from tests.chat.support import send
from tests.fixtures.app import page_text

EVERYONE = ("owner", "teacher", "assistant", "student", "removed", "stranger")
MEMBER_STATUS = {"owner": 200, "teacher": 200, "assistant": 200, "student": 200, "removed": 404, "stranger": 404}


def _urls(world, message):
    c, ch, m = world.circle.id, world.main.id, message.id
    return {
        "index": (f"/c/{c}/chat", 200),
        "channel": (f"/c/{c}/chat/{ch}", 200),
        "around": (f"/c/{c}/chat/{ch}?m={m}", 200),
        "history": (f"/c/{c}/chat/{ch}/messages?before={m + 1}", 200),
        "search": (f"/c/{c}/chat/{ch}/search?q=hello", 200),
    }


@pytest.mark.parametrize("who", EVERYONE)
def test_every_page_by_role(world, client_as, who):
    """Does each chat page answer members of every role, and 404 a removed member and a stranger?"""
    message = send(world, "teacher", "hello class")
    client = client_as(world.user(who))
    for name, (url, ok) in _urls(world, message).items():
        expected = ok if MEMBER_STATUS[who] == 200 else 404
        assert client.get(url).status_code == expected, (name, who)


@pytest.mark.parametrize("who,expected", [("owner", 200), ("teacher", 200), ("assistant", 403), ("student", 403),
                                          ("removed", 404), ("stranger", 404)])
def test_settings_page_by_role(world, client_as, who, expected):
    """Who may open the chat's settings? The owner and teachers (as the circle's settings); others 403/404."""
    assert client_as(world.user(who)).get(f"/c/{world.circle.id}/chat/settings").status_code == expected


@pytest.mark.parametrize("who,expected", [("owner", 302), ("teacher", 302), ("assistant", 302), ("student", 403),
                                          ("removed", 404), ("stranger", 404)])
def test_new_channel_by_role(world, client_as, who, expected):
    """Who may open an extra channel? The staff; a student 403; outsiders 404."""
    response = client_as(world.user(who)).post(f"/c/{world.circle.id}/chat/channels/new",
                                               data={"name": "Q&A", "visibility": "all"})
    assert response.status_code == expected
    assert db.session.scalar(db.select(db.func.count()).select_from(ChatChannel).where(
        ChatChannel.name == "Q&A")) == (1 if expected == 302 else 0)


def test_owner_turns_chat_off_and_on(world, client_as):
    """Reached from the circle's settings: when the owner turns chat off, does the tab say so, and the channel
    404 for everyone? And back on?"""
    owner = client_as(world.user("owner"))
    assert f'href="/c/{world.circle.id}/chat/settings"' in owner.get(f"/c/{world.circle.id}/settings").get_data(
        as_text=True)
    student = client_as(world.user("student"))
    assert owner.post(f"/c/{world.circle.id}/chat/settings", data={}).status_code == 302  # unchecked: off
    assert "Chat is off in this circle." in page_text(student.get(f"/c/{world.circle.id}/chat"))
    assert student.get(f"/c/{world.circle.id}/chat/{world.main.id}").status_code == 404
    assert owner.post(f"/c/{world.circle.id}/chat/settings", data={"is_enabled": "y"}).status_code == 302
    assert student.get(f"/c/{world.circle.id}/chat/{world.main.id}").status_code == 200


def test_chat_is_off_by_default_outside_teaching_circles(make, client_as):
    """Is a community circle's chat off until its owner turns it on?"""
    owner = make.user()
    circle = make.circle(owner, kind=CircleKind.community)
    page = client_as(owner).get(f"/c/{circle.id}/chat")
    assert page.status_code == 200 and "Turn chat on" in page_text(page)


def test_a_channel_for_chosen_members(world, client_as):
    """Does a channel for chosen members show to them and the staff only (404 for other students)?"""
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group 2",
                                 visibility=ChannelVisibility.chosen, member_ids=[world.user("student").id])
    db.session.commit()
    url = f"/c/{world.circle.id}/chat/{channel.id}"
    assert client_as(world.user("student")).get(url).status_code == 200
    assert client_as(world.user("assistant")).get(url).status_code == 200
    assert client_as(world.user("student2")).get(url).status_code == 404
    listing = page_text(client_as(world.user("student2")).get(f"/c/{world.circle.id}/chat/{world.main.id}"))
    assert "Group 2" not in listing


def test_direct_messages_between_member_and_staff_and_between_members_if_allowed(world, client_as):
    """May a student message a teacher directly (yes), another student (only once the owner allows), and does
    the conversation show to the two of them only?"""
    c = world.circle.id
    student = client_as(world.user("student"))
    answer = student.post(f"/c/{c}/chat/direct/{world.user('teacher').id}")
    assert answer.status_code == 302
    channel_url = answer.headers["Location"]
    assert client_as(world.user("teacher")).get(channel_url).status_code == 200
    assert client_as(world.user("student2")).get(channel_url).status_code == 404
    assert client_as(world.user("assistant")).get(channel_url).status_code == 404
    assert student.post(f"/c/{c}/chat/direct/{world.user('student2').id}").status_code == 403
    client_as(world.user("owner")).post(f"/c/{c}/chat/settings",
                                        data={"is_enabled": "y", "members_may_message_members": "y"})
    assert student.post(f"/c/{c}/chat/direct/{world.user('student2').id}").status_code == 302
    assert client_as(world.user("stranger")).post(f"/c/{c}/chat/direct/{world.user('teacher').id}").status_code == 404


def test_send_without_scripts_and_markdown_lite_is_sanitized(world, client_as):
    """Does the form fallback send, and is the text's Markdown-lite rendered with nothing unsafe kept?"""
    client = client_as(world.user("student"))
    url = f"/c/{world.circle.id}/chat/{world.main.id}"
    body = "**bold** `x` <script>alert(1)</script> [x](javascript:alert(1)) https://example.org"
    assert client.post(f"{url}/messages", data={"body": body}).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "<strong>bold</strong>" in html and "<code>x</code>" in html
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert 'href="https://example.org" rel="noopener noreferrer nofollow"' in html


def test_history_json_by_keyset(world, client_as):
    """Does the JSON history page back by keyset: 50 before the id asked, oldest first, no overlap?"""
    for n in range(120):
        send(world, "teacher", f"line {n}")
    client = client_as(world.user("student"))
    base = f"/c/{world.circle.id}/chat/{world.main.id}/messages"
    newest = client.get(base).get_json()
    assert [m["text"] for m in newest["messages"]][-1] == "line 119" and newest["full"]
    older = client.get(f"{base}?before={newest['messages'][0]['id']}").get_json()
    oldest = client.get(f"{base}?before={older['messages'][0]['id']}").get_json()
    texts = [m["text"] for page in (oldest, older, newest) for m in page["messages"]]
    assert texts == [f"line {n}" for n in range(120)] and not oldest["full"]


def test_search_in_a_channel(world, client_as):
    """Does search find the channel's messages with the words (any case), not deleted ones, not other channels'?"""
    send(world, "teacher", "The homework is due Friday")
    gone = send(world, "student", "homework? what homework")
    other = ops.create_channel(world.circle, world.user("teacher"), name="Other")
    db.session.commit()
    send(world, "teacher", "homework elsewhere", channel=other)
    ops.delete_own_or_any(gone, q.reader_of(world.circle, world.user("student")))
    db.session.commit()
    text = page_text(client_as(world.user("student2")).get(
        f"/c/{world.circle.id}/chat/{world.main.id}/search?q=HOMEWORK"))
    assert "The homework is due Friday" in text and "what homework" not in text and "elsewhere" not in text
    assert "1 message found." in text


def test_delete_route_own_within_the_limit_and_staff_any(world, client_as):
    """Can a student delete their own message by the form (and not another's), and staff delete any?"""
    mine = send(world, "student", "oops")
    theirs = send(world, "student2", "keep me")
    url = f"/c/{world.circle.id}/chat/{world.main.id}/m"
    student = client_as(world.user("student"))
    assert student.post(f"{url}/{mine.id}/delete").status_code == 302
    assert student.post(f"{url}/{theirs.id}/delete").status_code == 403
    assert client_as(world.user("assistant")).post(f"{url}/{theirs.id}/delete").status_code == 302
    assert db.session.get(ChatMessage, mine.id).deleted_at and db.session.get(ChatMessage, theirs.id).deleted_at
    assert client_as(world.user("stranger")).post(f"{url}/{theirs.id}/delete").status_code == 404


def test_unread_json(world, client_as):
    """Does /chat/unread count others' messages the person has not read, across their circles?"""
    send(world, "teacher", "one")
    send(world, "teacher", "two")
    send(world, "student", "mine")  # sending reads up to there
    assert client_as(world.user("student2")).get("/chat/unread").get_json() == {
        "unread": 3, "circles": {str(world.circle.id): 3}}
    assert client_as(world.user("student")).get("/chat/unread").get_json() == {"unread": 0, "circles": {}}
    assert client_as(world.user("stranger")).get("/chat/unread").get_json() == {"unread": 0, "circles": {}}


def test_my_chats_page_lists_circles_with_unread(world, client_as, make):
    """Does the top bar's Chats page list the person's circles with a chat and their unread counts (and not
    circles where chat is off, nor others')?"""
    send(world, "teacher", "one")
    community = make.circle(world.user("owner"), "Book club", kind=CircleKind.community)
    make.member(community, world.user("student2"))
    text = page_text(client_as(world.user("student2")).get("/chat"))
    assert "Physics 1" in text and "1 unread message" in text and "Book club" not in text
    assert "Physics 1" not in page_text(client_as(world.user("stranger")).get("/chat"))
    page = client_as(world.user("student2")).get("/chat").get_data(as_text=True)
    assert 'data-chat-unread-url="/chat/unread"' in page


def test_the_channel_page_query_count_does_not_grow(world, client_as, hw, count_queries):
    """Does the channel page send as many queries for 50 messages with replies and attachments as for 5?"""
    from lms.uploads.models import MediaKind

    client = client_as(world.user("student2"))
    url = f"/c/{world.circle.id}/chat/{world.main.id}"
    counts = []
    for batch in (5, 45):
        first = None
        for n in range(batch):
            media = hw.media(world.user("student"), kind=MediaKind.file, filename=f"f{n}.pdf")
            message = send(world, "student", f"m{n}", media_id=media.id, reply_to_id=first.id if first else None)
            first = first or message
        client.get(url)
        with count_queries:
            assert client.get(url).status_code == 200
        counts.append(count_queries.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("who,expected", [("teacher", 302), ("assistant", 302), ("student", 403),
                                          ("student2", 404), ("stranger", 404)])
def test_staff_choose_a_channels_members_again(world, client_as, who, expected):
    """Can the staff change who is in a chosen-members channel (a student taken off loses it), and nobody else?"""
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group 2",
                                 visibility=ChannelVisibility.chosen, member_ids=[world.user("student").id])
    db.session.commit()
    url = f"/c/{world.circle.id}/chat/{channel.id}"
    assert "Members of this channel" in page_text(client_as(world.user("teacher")).get(url))
    answer = client_as(world.user(who)).post(f"{url}/members", data={"members": [world.user("student2").id]})
    assert answer.status_code == expected
    if expected == 302:
        assert client_as(world.user("student")).get(url).status_code == 404
        assert client_as(world.user("student2")).get(url).status_code == 200
