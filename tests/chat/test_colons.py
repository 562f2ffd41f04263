"""A name and what they wrote are joined as the reader's language writes it (one message "%(name)s: %(text)s",
which Chinese translates with a full-width colon), on the chat page (a reply's quote, the pinned message), in
the review queue (who reported, and why) and on a notice's read receipts; never a colon added in code."""
from __future__ import annotations

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.extensions import db
from tests.chat.support import send
from tests.fixtures.app import page_text


def test_the_chat_page_joins_names_with_the_readers_colon(world, client_as):
    """Does a Chinese reader see "Tess：…" in a reply's quote and the pinned message (not "Tess: …")?"""
    student = world.user("student")
    student.locale = "zh_Hans"
    first = send(world, "student2", "Bring your books")
    send(world, "teacher", "Thanks", reply_to_id=first.id)
    ops.pin_message(world.main, q.reader_of(world.circle, world.user("teacher")), first)
    db.session.commit()
    html = client_as(student).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    text = page_text(client_as(student).get(f"/c/{world.circle.id}/chat/{world.main.id}"))
    assert "Tess：Bring your books" in text  # the pinned message
    assert "Tess</a>：Bring your books" in html  # the reply's quote, the name a link to the message
    assert "Tess: " not in text


def test_the_queue_joins_the_reporter_and_the_reason_with_the_readers_colon(world, client_as):
    """Does a Chinese-reading teacher see "Sam in class：<reason>" for a report in the queue?"""
    from lms.moderation import operations as mod_ops
    from lms.moderation.models import ReportKind, ReportReason

    message = send(world, "student2", "buy cheap pills")
    mod_ops.file_report(world.circle, world.user("student"), ReportKind.chat_message, message.id,
                        ReportReason.spam, "")
    teacher = world.user("teacher")
    teacher.locale = "zh_Hans"
    db.session.commit()
    text = page_text(client_as(teacher).get(f"/c/{world.circle.id}/moderation"))
    assert "Sam in class：" in text and "Sam in class: " not in text


def test_a_reviews_timeline_marker_joins_the_reviewer_and_the_comment_in_one_message(app):
    """Does a peer review's timeline marker read "同学 A：…" in Chinese (lms.reviews.receiving.markers)?"""
    from types import SimpleNamespace

    from flask_babel import force_locale

    from lms.reviews.receiving import markers

    row = SimpleNamespace(reviewer_label="同学 A", review=SimpleNamespace(
        comments=[SimpleNamespace(at_seconds=3, body="声音很清楚")]))
    with app.test_request_context(), force_locale("zh_Hans"):
        assert markers([row]) == [{"at": 3, "label": "同学 A：声音很清楚"}]
