"""Chat messages in moderation: reported, held by the word list, hidden, deleted and approved from the queue
through the chat's own operations (which push the change to the channel's room)."""
from __future__ import annotations

import pytest

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.chat.models import ChatMessage
from lms.extensions import db
from lms.moderation import operations as ops
from lms.moderation.models import ReportReason, ReportState
from tests.moderation.support import audit, notifications_of, report, reports


def _send(circle, user, body):
    channel = chat_ops.ensure_main_channel(circle)
    message = chat_ops.send_message(channel, chat_q.reader_of(circle, user), body=body)
    db.session.commit()
    return message


@pytest.mark.parametrize("action, field", [("hide", "hidden_at"), ("delete", "deleted_at")])
def test_a_reported_chat_message_is_hidden_or_deleted_from_the_queue(action, field, klass, client_as):
    message = _send(klass.circle, klass.student, "you are all idiots")
    assert report(client_as(klass.classmate), klass.circle, "chat_message", message.id, "abuse").status_code == 201
    page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation").get_data(as_text=True)
    assert "you are all idiots" in page and "Chat" in page
    response = client_as(klass.teacher).post(f"/c/{klass.circle.id}/moderation/chat_message/{message.id}/{action}",
                                             data={"reason": "Be kind"})
    assert response.status_code == 302
    db.session.expire_all()
    assert getattr(db.session.get(ChatMessage, message.id), field) is not None
    assert reports()[0].state == ReportState.actioned
    assert len(audit(f"moderation_{action}")) == 1
    [told] = notifications_of(klass.student, "moderation_action")
    assert told.params["variant"] == action and told.params["reason"] == "Be kind"


def test_a_held_chat_message_is_approved_from_the_queue(klass, client_as):
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list="作弊",
                        links_allowed=True, posts_per_hour=None, comments_per_hour=None, chat_per_minute=None)
    db.session.commit()
    message = _send(klass.circle, klass.student, "考试作弊的方法")
    assert message.held_at is not None
    [hold] = reports()
    assert hold.reason == ReportReason.word_list and hold.kind.value == "chat_message"
    response = client_as(klass.teacher).post(
        f"/c/{klass.circle.id}/moderation/chat_message/{message.id}/approve", data={"reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ChatMessage, message.id).held_at is None
    assert len(audit("moderation_approve")) == 1


def test_ban_hides_the_members_chat_messages(klass, client_as):
    first = _send(klass.circle, klass.student, "spam one")
    second = _send(klass.circle, klass.student, "spam two")
    report(client_as(klass.classmate), klass.circle, "chat_message", first.id, "spam")
    client_as(klass.owner).post(f"/c/{klass.circle.id}/moderation/chat_message/{first.id}/ban",
                                data={"reason": "Spammer"})
    db.session.expire_all()
    assert db.session.get(ChatMessage, second.id).hidden_at is not None
