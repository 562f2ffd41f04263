"""A peer review's comments at moments are video comments: a muted reviewer reads on their task page until when
and why, and the server refuses their comments (add and edit, 403) until the mute ends; the write limits hold."""
from __future__ import annotations

from datetime import timedelta

from lms.circles import operations as circle_ops
from lms.core.types import utcnow
from lms.extensions import db
from tests.fixtures.app import page_text
from tests.reviews.test_reviewing import call, rnd  # noqa: F401  (the round fixture)


def test_a_muted_reviewer_reads_why_and_cannot_comment(rnd, client_as):  # noqa: F811
    client = client_as(rnd.klass.student)
    base = rnd.task_url(rnd.task_of(rnd.klass.student))
    html = client.get(base).get_data(as_text=True)
    assert "data-muted-notice" in html and "You are muted" not in html  # ready for a live mute
    made = call(client, "POST", base + "/comments", {"body": "Lovely turn", "at_seconds": 2})
    assert made.status_code == 201
    circle_ops.mute_member(rnd.klass.circle.membership_of(rnd.klass.student), until=utcnow() + timedelta(hours=1),
                           actor=rnd.klass.teacher, reason="Unkind comments")
    db.session.commit()
    text = page_text(client.get(base))
    assert "You are muted in this circle until" in text and "Unkind comments" in text
    refused = call(client, "POST", base + "/comments", {"body": "More", "at_seconds": 3})
    assert refused.status_code == 403 and "muted" in refused.get_json()["error"]["message"]
    comment_id = made.get_json()["comment"]["id"]
    assert call(client, "PATCH", f"{base}/comments/{comment_id}", {"body": "changed"}).status_code == 403
