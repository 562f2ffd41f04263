"""The feed's approval and what people are told: staff hear of each post waiting for them (read when they
open the queue), the author hears of the approval, a deleted post takes its notifications along, and the
chatty kinds (comments, replies, featured) go to the daily digest unless chosen otherwise."""
from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from lms.feed.posts import operations as ops
from lms.feed.posts.models import FeedSettings
from lms.notifications import Channel
from lms.notifications.models import MailState, Notification
from tests.feed.posts.conftest import last_post, write_post


def _told(user, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def _with_approval(feed):
    db.session.add(FeedSettings(circle_id=feed.circle.id, needs_approval=True))
    db.session.commit()


def test_staff_are_told_of_each_waiting_post_and_it_is_read_when_they_open_the_queue(feed):
    """Two members' posts wait: does each staff member (not a student) get one notification per post,
    leading to the queue, and does opening the queue read them?"""
    _with_approval(feed)
    write_post(feed.clients["sam"], feed.circle.id, "Please approve")
    write_post(feed.clients["pia"], feed.circle.id, "Me too")
    for who in ("owner", "teacher", "assistant"):
        told = _told(getattr(feed, who), "post_awaiting_approval")
        assert len(told) == 2 and all(n.read_at is None for n in told)
        assert told[0].url == f"/circles/{feed.circle.id}/feed/queue"
        assert told[0].params["actor"] == "Sam Student"
    assert _told(feed.sam, "post_awaiting_approval") == [] and _told(feed.pia, "post_awaiting_approval") == []
    assert feed.clients["assistant"].get(f"/circles/{feed.circle.id}/feed/queue").status_code == 200
    db.session.expire_all()
    assert all(n.read_at is not None for n in _told(feed.assistant, "post_awaiting_approval"))
    assert all(n.read_at is None for n in _told(feed.teacher, "post_awaiting_approval"))


def test_staff_posts_and_open_feeds_tell_nobody(feed):
    write_post(feed.clients["sam"], feed.circle.id, "No approval needed")
    _with_approval(feed)
    write_post(feed.clients["teacher"], feed.circle.id, "Staff never wait")
    assert _told(feed.owner, "post_awaiting_approval") == []


def test_the_author_is_told_when_the_post_is_approved(feed):
    _with_approval(feed)
    write_post(feed.clients["sam"], feed.circle.id, "Please approve")
    post = last_post()
    feed.clients["assistant"].post(f"{feed.url}/{post.id}/approve")
    [told] = _told(feed.sam, "post_approved")
    assert told.url == f"/circles/{feed.circle.id}/feed/{post.id}"
    assert "was approved" in feed.clients["sam"].get("/notifications").get_data(as_text=True)


def test_a_deleted_post_takes_its_notifications_along(feed):
    """Sam's post got a comment (Sam told), then Sam deletes the post: is the notification gone, so the
    bell leads to no 404?"""
    write_post(feed.clients["sam"], feed.circle.id, "Short-lived")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Nice"})
    assert [n.kind for n in _told(feed.sam)] == ["comment_on_my_post"]
    assert feed.clients["sam"].post(f"{feed.url}/{post.id}/delete").status_code == 302
    assert _told(feed.sam) == []


def test_a_post_removed_by_the_staff_leaves_only_the_reason(feed):
    write_post(feed.clients["sam"], feed.circle.id, "Spam")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Nice"})
    feed.clients["assistant"].post(f"{feed.url}/{post.id}/remove", data={"reason": "Spam"})
    assert [n.kind for n in _told(feed.sam)] == ["post_moderated"]


def test_comments_replies_and_featuring_go_to_the_daily_digest_by_default(feed):
    """Are a comment on my post, a reply to my comment and my post featured collected for the digest, not
    mailed at once?"""
    write_post(feed.clients["sam"], feed.circle.id, "Hello")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Hi"})
    from tests.feed.posts.conftest import last_comment

    feed.clients["sam"].post(f"{feed.url}/{post.id}/comments",
                             data={"body_md": "Hi back", "reply_to": str(last_comment().id)})
    feed.clients["teacher"].post(f"{feed.url}/{post.id}/essential")
    kinds = {(n.kind, n.mail_state) for n in _told(feed.sam) + _told(feed.pia)}
    assert kinds == {("comment_on_my_post", MailState.digest), ("post_featured", MailState.digest),
                     ("reply_to_my_comment", MailState.digest)}
    from lms.feed.posts.notifications import COMMENT_ON_MY_POST, POST_FEATURED, REPLY_TO_MY_COMMENT

    assert {k.default for k in (COMMENT_ON_MY_POST, REPLY_TO_MY_COMMENT, POST_FEATURED)} == {Channel.digest}
