"""The review queue shows what the staff need to judge: a reported chat message among the messages around it
(hidden, held and deleted ones marked), and the listed words that held a post, comment or message."""
from __future__ import annotations

import re

import pytest

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.chat.models import ChannelVisibility
from lms.extensions import db
from lms.moderation import operations as ops
from lms.moderation.models import ReportReason
from tests.moderation.support import report, reports


def _say(channel, user, body):
    message = chat_ops.send_message(channel, chat_q.reader_of(channel.circle, user), body=body)
    db.session.commit()
    return message


def _context(html: str) -> list[tuple[int, str]]:
    """The context lines of the queue page: (message id, the line's text)."""
    block = re.search(r"<details class=\"moderation-context\".*?</details>", html, re.S)
    assert block, "no context on the queue page"
    lines = re.findall(r'<li class="([^"]*)" data-context-message="(\d+)"[^>]*>(.*?)</li>', block.group(0), re.S)
    return [(int(mid), cls, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()) for cls, mid, body in lines]


@pytest.fixture
def conversation(klass):
    """The main channel: ten messages (0-9) by the student and the classmate; the student's number 5 is
    reported by the classmate; number 3 is hidden by the staff, number 7 deleted by its author; another channel
    has a message in between."""
    channel = chat_ops.ensure_main_channel(klass.circle)
    other = chat_ops.create_channel(klass.circle, klass.teacher, name="Group 2",
                                    visibility=ChannelVisibility.all)
    db.session.commit()
    said = []
    for n in range(10):
        said.append(_say(channel, klass.student if n % 2 else klass.classmate, f"line number {n}"))
        if n == 6:
            _say(other, klass.student, "elsewhere")
    said[5].body = "line number 5 you idiot"
    chat_ops.hide_message(said[3], actor=klass.teacher, reason="")
    chat_ops.delete_own_or_any(said[7], chat_q.reader_of(klass.circle, klass.student))
    db.session.commit()
    return channel, said


def test_a_reported_chat_message_is_shown_among_its_neighbours(klass, client_as, conversation):
    """Does the queue show three messages before and three after the reported one, in their order, the reported
    one marked, a hidden one marked but readable, a deleted one marked without its text, and nothing of another
    channel nor farther away?"""
    channel, said = conversation
    assert report(client_as(klass.classmate), klass.circle, "chat_message", said[5].id, "abuse").status_code == 201
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    lines = _context(html)
    assert [mid for mid, _cls, _text in lines] == [m.id for m in said[2:9]]
    by_id = {mid: (cls, text) for mid, cls, text in lines}
    reported_cls, reported_text = by_id[said[5].id]
    assert "is-reported" in reported_cls and "Reported" in reported_text and "you idiot" in reported_text
    assert "Student In Class" in reported_text
    hidden_cls, hidden_text = by_id[said[3].id]
    assert "is-hidden" in hidden_cls and "Hidden" in hidden_text and "line number 3" in hidden_text
    deleted_cls, deleted_text = by_id[said[7].id]
    assert "is-deleted" in deleted_cls and "This message was deleted." in deleted_text
    assert "line number 7" not in deleted_text
    assert "elsewhere" not in html and "line number 1" not in html and "line number 9" not in html


def test_a_held_message_in_the_context_is_marked(klass, client_as, conversation):
    channel, said = conversation
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list="homework answers",
                        links_allowed=True, posts_per_hour=None, comments_per_hour=None, chat_per_minute=None)
    db.session.commit()
    report(client_as(klass.classmate), klass.circle, "chat_message", said[9].id, "spam")
    held = _say(channel, klass.student, "who has the homework answers")
    assert held.held_at is not None
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    item = html[html.index(f'id="item-chat_message-{said[9].id}"'):]
    lines = _context(item)
    assert [mid for mid, _c, _t in lines][-2:] == [said[9].id, held.id]
    assert "Waiting for review" in lines[-1][2]


def test_the_first_message_of_a_channel_has_only_later_context(klass, client_as):
    channel = chat_ops.ensure_main_channel(klass.circle)
    first = _say(channel, klass.student, "first words")
    reply = _say(channel, klass.classmate, "an answer")
    report(client_as(klass.classmate), klass.circle, "chat_message", first.id, "spam")
    lines = _context(client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True))
    assert [mid for mid, _c, _t in lines] == [first.id, reply.id]


def test_a_held_direct_message_shows_no_private_context(klass, client_as):
    """A direct conversation is its two people's: a message of it held by the word list (no one reported it)
    shows alone, without the conversation around it."""
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list="cheat",
                        links_allowed=True, posts_per_hour=None, comments_per_hour=None, chat_per_minute=None)
    db.session.commit()
    from tests.moderation.support import membership

    direct = chat_ops.open_direct(klass.circle, klass.student, membership(klass.circle, klass.assistant))
    db.session.commit()
    _say(direct, klass.student, "a private worry about my family")
    held = _say(direct, klass.student, "can I cheat")
    assert held.held_at is not None
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    assert "can I cheat" in html and "private worry" not in html and "moderation-context" not in html


def test_a_stranger_and_a_student_see_no_queue(klass, client_as, conversation):
    _channel, said = conversation
    report(client_as(klass.classmate), klass.circle, "chat_message", said[5].id, "abuse")
    assert client_as(klass.stranger).get(f"/c/{klass.circle.id}/moderation").status_code == 404
    assert client_as(klass.student).get(f"/c/{klass.circle.id}/moderation").status_code == 403


# -- the words that held it ------------------------------------------------------------------------

@pytest.fixture
def word_list(klass):
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False,
                        word_list="cheat\nexam answers\n作弊\nunused", links_allowed=True, posts_per_hour=None,
                        comments_per_hour=None, chat_per_minute=None)
    db.session.commit()


def test_the_queue_names_the_listed_words_that_held_a_chat_message(klass, client_as, word_list):
    """Sent through the chat's page: does the queue say which listed words held it, and only those?"""
    channel = chat_ops.ensure_main_channel(klass.circle)
    db.session.commit()
    response = client_as(klass.student).post(f"/c/{klass.circle.id}/chat/{channel.id}/messages",
                                             data={"body": "Let us CHEAT: I have the exam  answers, 作弊!"})
    assert response.status_code == 302
    [hold] = reports()
    assert hold.reason == ReportReason.word_list and hold.held_words == ["cheat", "exam answers", "作弊"]
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    words = re.search(r"<span data-held-words>(.*?)</span>\s*<span", html, re.S).group(1)
    assert re.findall(r'<strong class="held-word">(.*?)</strong>', words) == ["cheat", "exam answers", "作弊"]
    assert re.sub(r"<[^>]+>", "", words) == "Held for the listed words cheat, exam answers, and 作弊"


def test_the_queue_names_the_one_word_that_held_a_post(klass, client_as, word_list):
    response = client_as(klass.student).post(f"/circles/{klass.circle.id}/feed", data={"body_md": "How to cheat?"})
    assert response.status_code in (302, 303), response.status_code
    [hold] = reports()
    assert hold.held_words == ["cheat"]
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    assert 'Held for the listed word <strong class="held-word">cheat</strong></span>' in html


def test_a_listed_word_is_escaped_on_the_queue(klass, client_as):
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list="<b>bold</b>",
                        links_allowed=True, posts_per_hour=None, comments_per_hour=None, chat_per_minute=None)
    db.session.commit()
    channel = chat_ops.ensure_main_channel(klass.circle)
    held = _say(channel, klass.student, "look <b>bold</b> here")
    assert held.held_at is not None
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    assert '<strong class="held-word">&lt;b&gt;bold&lt;/b&gt;</strong>' in html
