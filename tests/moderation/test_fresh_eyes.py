"""What the fresh-eyes trial found in the review queue: a main-channel message names its channel; a hold reads
once as held; approving says so (there was no report); a ban answers its author's other waiting items; a photo
alone is quoted as "(no text)", never “”."""
from __future__ import annotations

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.extensions import db
from lms.moderation import notifications
from lms.moderation import operations as ops
from lms.moderation.models import ReportState
from tests.fixtures.app import page_text
from tests.moderation.support import make_post, notifications_of, report, reports


def _send(circle, user, body):
    channel = chat_ops.ensure_main_channel(circle)
    message = chat_ops.send_message(channel, chat_q.reader_of(circle, user), body=body)
    db.session.commit()
    return message


def _word_list(klass, words):
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list=words,
                        links_allowed=True, posts_per_hour=None, comments_per_hour=None, chat_per_minute=None)
    db.session.commit()


def test_a_main_channel_message_names_its_channel(klass, client_as):
    """Does the queue say "Chat: Everyone" for a message of the main channel (not "Chat: ")?"""
    message = _send(klass.circle, klass.student, "rude words here")
    report(client_as(klass.classmate), klass.circle, "chat_message", message.id, "abuse")
    assert "Chat: Everyone" in page_text(client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation"))


def test_a_hold_reads_once_and_its_approval_says_approved(klass, client_as):
    """Does a held message read "Held for the listed word 作弊" once (not "Held automatically: Held: …"), and
    does approving it say it is approved rather than "the report is answered"?"""
    _word_list(klass, "作弊")
    message = _send(klass.circle, klass.student, "考试作弊的方法")
    teacher = client_as(klass.teacher)
    text = page_text(teacher.get(f"/c/{klass.circle.id}/moderation"))
    assert text.count("Held for the listed word 作弊") == 1 and "Held automatically" not in text
    answer = teacher.post(f"/c/{klass.circle.id}/moderation/chat_message/{message.id}/approve",
                          data={"reason": ""}, headers={"Accept": "application/json"})
    assert answer.get_json()["message"] == "Approved: everyone sees it now."


def test_a_ban_answers_the_authors_other_waiting_items(klass, client_as):
    """After banning a student over one post, are their held message and another reported post out of the queue
    (answered by the ban), that post's reporter told?"""
    _word_list(klass, "作弊")
    _send(klass.circle, klass.student, "考试作弊的方法")
    first = make_post(klass.circle, klass.student, "first bad post")
    second = make_post(klass.circle, klass.student, "second bad post")
    report(client_as(klass.classmate), klass.circle, "post", first.id, "spam")
    report(client_as(klass.teacher), klass.circle, "post", second.id, "spam")
    before = len(notifications_of(klass.teacher, "moderation_report_answered"))
    assert client_as(klass.owner).post(f"/c/{klass.circle.id}/moderation/post/{first.id}/ban",
                                       data={"reason": "Cheating"}).status_code == 302
    db.session.expire_all()
    assert [r.state for r in reports()] == [ReportState.actioned] * 3
    assert len(notifications_of(klass.teacher, "moderation_report_answered")) == before + 1
    assert "second bad post" not in page_text(client_as(klass.owner).get(f"/c/{klass.circle.id}/moderation"))


def test_a_photo_alone_is_not_quoted_empty():
    """Is a check-in or post with a photo and no text quoted "(no text)" in moderation's notifications (the
    report, the reminder, the answer), not “”?"""
    assert notifications.excerpt("  \n ") == "(no text)"
    assert notifications.excerpt("A real sentence") == "A real sentence"
