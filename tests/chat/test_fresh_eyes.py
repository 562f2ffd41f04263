"""What the fresh-eyes trial found in chat's rules: turning off members' direct messages closes the open ones for
writing; @mentions typed out in full count; the staff find members by real name, students only by circle name."""
from __future__ import annotations

import pytest

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.chat.models import ChatMessage
from lms.extensions import db
from tests.chat.support import send


def _allow_members(world, allowed: bool):
    ops.update_settings(world.circle, world.user("owner"), is_enabled=True, members_may_message_members=allowed)
    db.session.commit()


@pytest.fixture
def students_dm(world):
    """The owner let members message each other; Sam opened a conversation with Tess and wrote once."""
    _allow_members(world, True)
    tess = world.circle.membership_of(world.user("student2"))
    channel = ops.open_direct(world.circle, world.user("student"), tess)
    db.session.commit()
    send(world, "student", "Shall we revise together?", channel=channel)
    return channel


def test_turning_off_members_messages_closes_their_open_conversations(world, students_dm, client_as):
    """Once the owner turns members' direct messages off, can Sam still write in his open conversation with Tess
    (no, by any way), while its history stays readable and says why the composer waits?"""
    _allow_members(world, False)
    with pytest.raises(ops.ChatError, match="direct messages go to the staff only"):
        send(world, "student", "Still there?", channel=students_dm)
    db.session.rollback()
    client = client_as(world.user("student"))
    url = f"/c/{world.circle.id}/chat/{students_dm.id}"
    assert client.post(f"{url}/messages", data={"body": "form fallback"}).status_code in (302, 403, 422)
    assert db.session.scalar(db.select(db.func.count()).select_from(ChatMessage).where(
        ChatMessage.channel_id == students_dm.id)) == 1
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Shall we revise together?" in html
    assert "direct messages go to the staff only" in html


def test_conversations_with_the_staff_stay_open(world):
    """With members' messages off, does a student's conversation with the teacher still take messages?"""
    _allow_members(world, False)
    channel = ops.open_direct(world.circle, world.user("student"),
                              world.circle.membership_of(world.user("teacher")))
    db.session.commit()
    assert send(world, "student", "A question about the homework", channel=channel).id


def test_a_mention_typed_out_in_full_counts(world):
    """Is "@Tess" typed without picking from the list a mention (Tess notified), and a name that is no member's
    not?"""
    message = send(world, "student", "@Tess and @Nobody, see page 4")
    assert message.mention_ids == [world.user("student2").id]


def test_a_picked_mention_no_longer_in_the_text_does_not_count(world):
    message = send(world, "student", "never mind", mention_ids=[world.user("student2").id])
    assert message.mention_ids is None


def test_staff_find_members_by_real_name_students_only_by_circle_name(world, make):
    """Does "浩" find 李浩然 (in the circle as "Haoran") for the teacher but not for a classmate?"""
    haoran = make.member(world.circle, make.user("李浩然"), display_name="Haoran")
    haoran.real_name = "李浩然"
    db.session.commit()
    teacher = q.reader_of(world.circle, world.user("teacher"))
    student = q.reader_of(world.circle, world.user("student"))
    assert [m.display_name for m in q.members_matching(world.circle, world.main, "浩", reader=teacher)] == ["Haoran"]
    assert q.members_matching(world.circle, world.main, "浩", reader=student) == []
    assert [m.display_name for m in q.members_matching(world.circle, world.main, "aor", reader=student)] == ["Haoran"]


def test_pins_and_reply_quotes_show_text_not_markdown(world, page_of, client_as):
    """Do the pinned bar and a reply's quote read "Saturday 10:00, studio 2", not "**Saturday 10:00**, `studio 2`"?"""
    notice = send(world, "teacher", "Lesson on **Saturday 10:00**, `studio 2`")
    reader = q.reader_of(world.circle, world.user("student"))
    ops.pin_message(world.main, q.reader_of(world.circle, world.user("teacher")), notice)
    db.session.commit()
    answer = send(world, "student", "ok", reply_to_id=notice.id)
    [data] = q.message_dicts(world.main, [answer], reader)
    assert data["reply_to"]["excerpt"] == "Lesson on Saturday 10:00, studio 2"
    html = client_as(world.user("student")).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    pinned = html[html.index("data-chat-pinned-text"):]
    assert pinned[:pinned.index("</span>")].endswith("Lesson on Saturday 10:00, studio 2")


def test_the_author_of_a_held_message_reads_why_it_waits(world, client_as):
    """Does the author of a message held by the word list read why it waits, not only "Waiting for review"?"""
    from lms.moderation.models import CircleModeration

    db.session.add(CircleModeration(circle_id=world.circle.id, word_list="spoiler"))
    db.session.commit()
    message = send(world, "student", "a spoiler about chapter 9")
    assert message.held_at is not None
    html = client_as(world.user("student")).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    assert "Waiting for review" in html and "contains a word this circle's staff check first" in html


def test_a_hidden_message_stays_with_the_staff_marked(world, page_of):
    """When the staff hide a message, is it gone from the members' history (its author's too) but kept, marked
    hidden, in the staff's, and do the staff's open pages get the marked copy while the members' lose it?"""
    from tests.chat.test_events import _joined

    message = send(world, "student", "cheap essays for sale")
    teacher = _joined(page_of, world, "teacher")
    student = _joined(page_of, world, "student2")
    ops.hide_message(message, actor=world.user("teacher"), reason="selling")
    db.session.commit()
    student.wait_for("message_removed", lambda d: d["id"] == message.id)
    marked = teacher.wait_for("message_changed", lambda d: d["message"]["id"] == message.id)
    assert marked["message"]["hidden"] is True
    assert [d for d in student.got("message_changed") if d["message"]["id"] == message.id] == []
    for who, shown in (("teacher", True), ("owner", True), ("student", False), ("student2", False)):
        reader = q.reader_of(world.circle, world.user(who))
        assert (message.id in [m.id for m in q.history(world.main, reader)]) is shown, who


def test_a_clip_still_processing_cannot_be_sent(world, hw):
    """Is a message with a video clip the media pipeline has not finished refused (readers would get a poster
    that is not there yet), whatever the page's script did?"""
    from lms.uploads.models import MediaKind, MediaState

    clip = hw.media(world.user("student"), kind=MediaKind.video, filename="clip.mp4")
    clip.state = MediaState.processing
    db.session.commit()
    with pytest.raises(ops.ChatError, match="still being processed"):
        send(world, "student", "my clip", media_id=clip.id)


def test_a_closed_conversation_cannot_be_edited_either(world, students_dm):
    """Once members' direct messages are off, can Sam still change his last message in the closed conversation?"""
    message = db.session.scalar(db.select(ChatMessage).where(ChatMessage.channel_id == students_dm.id))
    _allow_members(world, False)
    with pytest.raises(ops.ChatError, match="direct messages go to the staff only"):
        ops.edit_message(message, q.reader_of(world.circle, world.user("student")), body="edited")


def test_a_file_shows_its_type_and_size(world, hw, client_as):
    """Does a file attached to a message show its type and size beside its name, not the name alone?"""
    from tests.chat.test_attachments import _file

    media = _file(hw, world.user("student"), name="handout.pdf", data=b"%PDF" + b"x" * 2044)
    send(world, "student", "the handout", media_id=media.id)
    html = client_as(world.user("student2")).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    facts = html[html.index("chat-file-facts"):]
    assert facts[:facts.index("</span>")].endswith("PDF · 2 KB")


def test_a_new_channel_reaches_the_open_pages_of_its_members(world, page_of):
    """When the staff open a channel for chosen members, are those members' open pages asked to join again (the
    channel appears and is heard without a reload), and a member left out not?"""
    from lms.chat.models import ChannelVisibility
    from tests.chat.test_events import _joined

    chosen = _joined(page_of, world, "student")
    left_out = _joined(page_of, world, "student2")
    channel = ops.create_channel(world.circle, world.user("teacher"), name="Group 2",
                                 visibility=ChannelVisibility.chosen, member_ids=[world.user("student").id])
    db.session.commit()
    chosen.wait_for("rejoin")
    joined = chosen.emit("join", {"circle_id": world.circle.id})
    assert "Group 2" in [c["name"] for c in joined["channels"]]
    send(world, "teacher", "welcome to group 2", channel=channel)
    chosen.wait_for("message", lambda d: d["message"]["text"] == "welcome to group 2")
    assert left_out.got("rejoin") == []


def test_a_channel_for_everyone_reaches_every_open_page(world, page_of):
    from tests.chat.test_events import _joined

    student = _joined(page_of, world, "student2")
    ops.create_channel(world.circle, world.user("teacher"), name="Q&A")
    db.session.commit()
    student.wait_for("rejoin")
