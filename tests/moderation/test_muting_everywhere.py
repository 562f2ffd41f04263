"""A mute holds wherever a member would write, and their open pages hear of it at once whoever mutes them where:
the chat, the review queue, the members page (`member_muted` on the default namespace, lms.circles.operations.
muting). Every form a muted member would write in says until when and why (circles/_muted.html): the feed, a
post's comments, the homework video comments, a peer review's comments at moments; and an edit is writing too."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.circles import operations as circle_ops
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.posts import operations as feed_ops
from tests.chat.test_activity import AnyPage
from tests.fixtures.app import page_text
from tests.moderation.support import make_post, make_video_comment, membership, report


def _mute(klass, who, minutes=60, reason="Cool down"):
    circle_ops.mute_member(membership(klass.circle, who), until=utcnow() + timedelta(minutes=minutes),
                           actor=klass.teacher, reason=reason)
    db.session.commit()


@pytest.fixture
def page(app, client_as, klass):
    opened = AnyPage(app, client_as(klass.student))
    yield opened
    opened.close()


def _told(page) -> list[dict]:
    return [p["args"][0] for p in page.sock.get_received() if p["name"] == "member_muted"]


def test_a_mute_from_the_queue_and_an_unmute_from_the_members_page_reach_open_pages(klass, client_as, page):
    """Muted from the review queue, unmuted from the members page: does an open page of the student hear both at
    once, with until when and why?"""
    post = make_post(klass.circle, klass.student, "Rude words")
    report(client_as(klass.classmate), klass.circle, "post", post.id, "abuse")
    teacher = client_as(klass.teacher)
    response = teacher.post(f"/c/{klass.circle.id}/moderation/post/{post.id}/mute",
                            data={"reason": "Be kind", "mute_minutes": "60", "csrf_token": teacher.csrf_token()})
    assert response.status_code in (200, 302)
    [told] = _told(page)
    assert told["circle_id"] == klass.circle.id and told["muted_until"] and told["reason"] == "Be kind"
    member = membership(klass.circle, klass.student)
    response = teacher.post(f"/c/{klass.circle.id}/members/{member.id}/unmute",
                            data={"csrf_token": teacher.csrf_token()})
    assert response.status_code == 302
    assert _told(page) == [{"circle_id": klass.circle.id, "muted_until": None, "reason": ""}]


def test_every_form_of_a_muted_member_says_until_when_and_why(klass, client_as, hw):
    """Do the feed, a post's comments and the homework video comments show the note with the reason, and a
    member who is not muted get the note hidden (ready for a live mute)?"""
    post = make_post(klass.circle, klass.teacher)
    video = make_video_comment(klass.circle, klass.student, hw)
    sub = video.submission
    urls = [f"/circles/{klass.circle.id}/feed", f"/circles/{klass.circle.id}/feed/{post.id}",
            f"/circles/{klass.circle.id}/assignments/{sub.assignment_id}/submissions/{sub.id}"]
    student = client_as(klass.student)
    for url in urls:
        html = student.get(url).get_data(as_text=True)
        assert "data-muted-notice" in html and "You are muted" not in html, url
    _mute(klass, klass.student, reason="Cool down")
    for url in urls:
        text = page_text(student.get(url))
        assert "You are muted in this circle until" in text and "Cool down" in text, url
    assert "data-muted-notice" not in client_as(klass.teacher).get(urls[1]).get_data(as_text=True)


def test_a_muted_member_cannot_edit_what_they_wrote(klass, client_as, hw):
    """Can a muted student edit their post, their comment or their video comment? (403 each)"""
    post = make_post(klass.circle, klass.student, "my post")
    comment = feed_ops.add_comment(post, klass.student, "my comment")
    db.session.commit()
    video = make_video_comment(klass.circle, klass.student, hw)
    sub = video.submission
    _mute(klass, klass.student)
    client = client_as(klass.student)
    base = f"/circles/{klass.circle.id}/feed/{post.id}"
    assert client.post(f"{base}/edit", data={"body_md": "changed"}).status_code == 403
    assert client.post(f"{base}/comments/{comment.id}/edit", data={"body_md": "changed"}).status_code == 403
    url = f"/circles/{klass.circle.id}/assignments/{sub.assignment_id}/submissions/{sub.id}/comments/{video.id}"
    assert client.patch(url, json={"body": "changed"}, headers={"X-CSRFToken": client.csrf_token()}).status_code == 403
