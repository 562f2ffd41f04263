"""What is held for review tells nobody until the staff approve it: a feed comment's post author, a check-in
comment's check-in owner, a chat message's mentioned members; approved, they are told once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.checkins.models import CheckinComment
from lms.extensions import db
from lms.feed.posts.models import Comment, CommentState
from lms.moderation import operations as ops
from lms.moderation.models import ActionKind, ReportKind
from tests.moderation.support import make_checkin, make_post, membership, notifications_of

WORD = "forbidden"


@pytest.fixture
def word_list(klass):
    """The circle holds what contains "forbidden" for review."""
    ops.update_settings(klass.circle, klass.owner, first_posts_need_approval=False, word_list=WORD,
                        links_allowed=True, posts_per_hour=None, comments_per_hour=None, chat_per_minute=None)
    db.session.commit()


def _approve(klass, kind, object_id):
    ops.act(klass.circle, kind, object_id, ActionKind.approve, klass.teacher, "")
    db.session.commit()


def test_a_held_feed_comment_tells_the_posts_author_only_once_approved(klass, client_as, word_list):
    """Is the post's author told of a comment held by the word list only when the staff approve it, once?"""
    post = make_post(klass.circle, klass.classmate, "My essay plan")
    response = client_as(klass.student).post(f"/circles/{klass.circle.id}/feed/{post.id}/comments",
                                             data={"body_md": f"this is {WORD} talk"})
    assert response.status_code in (200, 302)
    assert notifications_of(klass.classmate, "comment_on_my_post") == []
    [comment] = db.session.scalars(sa.select(Comment).where(Comment.post_id == post.id)).all()
    assert comment.state == CommentState.held
    _approve(klass, ReportKind.comment, comment.id)
    assert len(notifications_of(klass.classmate, "comment_on_my_post")) == 1
    ops.act(klass.circle, ReportKind.comment, comment.id, ActionKind.hide, klass.teacher, "off topic")
    ops.act(klass.circle, ReportKind.comment, comment.id, ActionKind.unhide, klass.teacher, "")
    db.session.commit()
    assert len(notifications_of(klass.classmate, "comment_on_my_post")) == 1


def test_a_held_checkin_comment_tells_the_checkins_member_only_once_approved(klass, client_as, word_list):
    """Is the check-in's member told of a comment held by the word list only when the staff approve it, once?"""
    checkin = make_checkin(klass.circle, klass.classmate)
    response = client_as(klass.student).post(
        f"/c/{klass.circle.id}/checkins/{checkin.task_id}/entries/{checkin.id}/comments",
        data={"body": f"what {WORD} words"})
    assert response.status_code == 302
    [comment] = db.session.scalars(sa.select(CheckinComment).where(CheckinComment.checkin_id == checkin.id)).all()
    assert comment.hidden_at is not None
    assert notifications_of(klass.classmate, "checkin_comment") == []
    _approve(klass, ReportKind.checkin_comment, comment.id)
    assert db.session.get(CheckinComment, comment.id).hidden_at is None
    assert len(notifications_of(klass.classmate, "checkin_comment")) == 1


def test_a_held_chat_message_tells_the_mentioned_only_once_approved(klass, word_list):
    """Is a member @mentioned in a held message told only when it is approved, and only once?"""
    channel = chat_ops.ensure_main_channel(klass.circle)
    name = membership(klass.circle, klass.classmate).display_name
    message = chat_ops.send_message(channel, chat_q.reader_of(klass.circle, klass.student),
                                    body=f"@{name} {WORD}", mention_ids=[klass.classmate.id])
    db.session.commit()
    assert message.held_at is not None and message.mention_ids == [klass.classmate.id]
    assert notifications_of(klass.classmate, "chat_mention") == []
    _approve(klass, ReportKind.chat_message, message.id)
    assert len(notifications_of(klass.classmate, "chat_mention")) == 1


def test_a_message_held_after_an_edit_does_not_tell_its_mentions_twice(klass, word_list):
    """A message told its mentions when sent; an edit holds it; approved, are they told again? (no)"""
    channel = chat_ops.ensure_main_channel(klass.circle)
    name = membership(klass.circle, klass.classmate).display_name
    reader = chat_q.reader_of(klass.circle, klass.student)
    message = chat_ops.send_message(channel, reader, body=f"@{name} hello", mention_ids=[klass.classmate.id])
    db.session.commit()
    chat_ops.edit_message(message, reader, body=f"@{name} {WORD}")
    db.session.commit()
    assert message.held_at is not None
    _approve(klass, ReportKind.chat_message, message.id)
    assert len(notifications_of(klass.classmate, "chat_mention")) == 1
