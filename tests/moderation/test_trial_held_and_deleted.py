"""What a trial of the queue and the chat found about a message held by the word list: in the queue it is not
called "Reported" (no one reported it; it reads "Waiting for review"), and once the staff delete it, its author's
chat no longer says it waits for review (nor does the queue, among the messages around another)."""
from __future__ import annotations

import re

import pytest

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.extensions import db
from lms.moderation import operations as ops


@pytest.fixture
def held(klass):
    """The main channel: the classmate says hello, then the student's message is held by the listed "cheat"."""
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list="cheat",
                        links_allowed=True, posts_per_hour=None, comments_per_hour=None, chat_per_minute=None)
    channel = chat_ops.ensure_main_channel(klass.circle)
    db.session.commit()
    chat_ops.send_message(channel, chat_q.reader_of(klass.circle, klass.classmate), body="hello all")
    message = chat_ops.send_message(channel, chat_q.reader_of(klass.circle, klass.student), body="let us cheat")
    db.session.commit()
    assert message.held_at is not None
    return channel, message


def _own_line(html: str, message_id: int) -> tuple[str, str]:
    """The queue's context line of the item's own message: (its class, its text)."""
    match = re.search(r'<li class="([^"]*)" data-context-message="%d"[^>]*>(.*?)</li>' % message_id, html, re.S)
    assert match, "the held message is not in its context"
    return match.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()


def test_a_held_message_is_marked_in_its_context_but_not_called_reported(klass, client_as, held):
    _channel, message = held
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    cls, text = _own_line(html, message.id)
    assert "is-reported" in cls and "Waiting for review" in text and "let us cheat" in text
    assert "Reported" not in text


def test_a_reported_message_in_its_context_is_still_called_reported(klass, client_as, held):
    from tests.moderation.support import report

    channel, _message = held
    from lms.chat.models import ChatMessage

    hello = db.session.scalar(db.select(ChatMessage).filter_by(channel_id=channel.id, body="hello all"))
    assert report(client_as(klass.student), klass.circle, "chat_message", hello.id, "abuse").status_code == 201
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    item = html[html.index(f'id="item-chat_message-{hello.id}"'):]
    _cls, text = _own_line(item, hello.id)
    assert "Reported" in text and "hello all" in text


def test_a_held_message_the_staff_deleted_no_longer_waits_for_review_on_its_authors_page(klass, client_as, held):
    channel, message = held
    page = f"/c/{klass.circle.id}/chat/{channel.id}"
    before = client_as(klass.student).get(page).get_data(as_text=True)
    assert "Waiting for review" in before
    response = client_as(klass.teacher).post(f"/c/{klass.circle.id}/moderation/chat_message/{message.id}/delete",
                                             data={"reason": "Please keep it civil."})
    assert response.status_code == 302
    after = client_as(klass.student).get(page).get_data(as_text=True)
    own = after[after.index(f'id="m{message.id}"'):]
    own = own[:own.index("</li>")]
    assert "This message was deleted." in own
    assert "Waiting for review" not in own and "chat-held-why" not in own and " held" not in own.split(">")[0]


def test_a_held_message_the_staff_deleted_is_not_waiting_among_the_context_of_another(klass, client_as, held):
    """In the queue, the deleted held message next to a reported one reads deleted, not also waiting for review."""
    from lms.chat.models import ChatMessage
    from tests.moderation.support import report

    channel, message = held
    response = client_as(klass.teacher).post(f"/c/{klass.circle.id}/moderation/chat_message/{message.id}/delete",
                                             data={"reason": "Please keep it civil."})
    assert response.status_code == 302
    db.session.refresh(message)
    assert message.deleted_at is not None
    hello = db.session.scalar(db.select(ChatMessage).filter_by(channel_id=channel.id, body="hello all"))
    assert report(client_as(klass.student), klass.circle, "chat_message", hello.id, "spam").status_code == 201
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    cls, text = _own_line(html, message.id)
    assert "is-deleted" in cls and "This message was deleted." in text
    assert "Waiting for review" not in text
