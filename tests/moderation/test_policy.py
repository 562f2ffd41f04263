"""The circle's moderation settings at work: the word list holds (Chinese by substring, English by word), new
members' first posts wait for approval, links refused, per-member rate limits and flood protection, and a
muted member cannot write in the feed, homework video comments or check-in comments."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.circles import operations as circle_ops
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.posts.models import Comment, CommentState, Post, PostState
from lms.moderation import operations as ops
from lms.moderation import policy
from lms.moderation.models import ReportReason
from tests.fixtures.app import page_text
from tests.moderation.support import (make_checkin, make_post, make_video_comment, membership, notifications_of,
                                      reports)


def _settings(klass, **values):
    defaults = dict(first_posts_need_approval=False, word_list="", links_allowed=True, posts_per_hour=None,
                    comments_per_hour=None, chat_per_minute=None)
    defaults.update(values)
    ops.update_settings(klass.circle, klass.owner, **defaults)
    db.session.commit()


def _post(client, circle, body):
    return client.post(f"/circles/{circle.id}/feed", data={"body_md": body})


def _posts(circle):
    return list(db.session.scalars(db.select(Post).where(Post.circle_id == circle.id).order_by(Post.id)))


@pytest.mark.parametrize("words, text, held", [
    ("代写\n广告", "找人代写作业，加微信", True),  # Chinese: found inside the sentence
    ("代写", "今天的作业我自己写完了", False),
    ("ＳＰＡＭ", "this is spam!", True),  # full width and case folded
    ("ass", "our class is great", False),  # an English word is matched whole
    ("ass", "what an ASS", True),
])
def test_word_list_holds(words, text, held, klass, client_as):
    _settings(klass, word_list=words)
    response = _post(client_as(klass.student), klass.circle, text)
    assert response.status_code == 302
    [post] = _posts(klass.circle)
    assert (post.state == PostState.pending) is held
    if held:
        [hold] = reports()
        assert hold.reason == ReportReason.word_list and hold.reporter_id is None
        assert len(notifications_of(klass.teacher, "moderation_report")) == 1
    else:
        assert reports() == []


def test_a_held_comment_is_seen_by_its_author_and_staff_until_approved(klass, client_as):
    _settings(klass, word_list="傻瓜")
    post = make_post(klass.circle, klass.teacher, "Homework thread")
    url = f"/circles/{klass.circle.id}/feed/{post.id}"
    client_as(klass.student).post(url + "/comments", data={"body_md": "你这个傻瓜"})
    [comment] = db.session.scalars(db.select(Comment)).all()
    assert comment.state == CommentState.held
    assert "你这个傻瓜" not in client_as(klass.classmate).get(url).get_data(as_text=True)
    assert "Waiting for review" in page_text(client_as(klass.student).get(url))
    assert "你这个傻瓜" in client_as(klass.teacher).get(url).get_data(as_text=True)
    response = client_as(klass.teacher).post(f"/c/{klass.circle.id}/moderation/comment/{comment.id}/approve",
                                             data={"reason": ""})
    assert response.status_code == 302
    assert "你这个傻瓜" in client_as(klass.classmate).get(url).get_data(as_text=True)


def test_new_members_first_posts_wait_until_one_is_approved(klass, make, client_as):
    """Off by default; once on, a member who joins afterwards waits for approval, older members and staff do
    not, and after one approval the new member posts freely."""
    _post(client_as(klass.student), klass.circle, "before the setting")
    assert _posts(klass.circle)[-1].state == PostState.published
    _settings(klass, first_posts_need_approval=True)
    newcomer = make.member(klass.circle).user
    _post(client_as(klass.student), klass.circle, "older member")
    assert _posts(klass.circle)[-1].state == PostState.published
    _post(client_as(newcomer), klass.circle, "hello everyone")
    first = _posts(klass.circle)[-1]
    assert first.state == PostState.pending
    assert reports()[-1].reason == ReportReason.first_post
    client_as(klass.teacher).post(f"/c/{klass.circle.id}/moderation/post/{first.id}/approve", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Post, first.id).state == PostState.published
    _post(client_as(newcomer), klass.circle, "second post")
    assert _posts(klass.circle)[-1].state == PostState.published


def test_links_are_refused_when_the_circle_allows_none(klass, client_as):
    _settings(klass, links_allowed=False)
    response = _post(client_as(klass.student), klass.circle, "see ｗｗｗ.example.com for answers")
    assert response.status_code == 422 and "Links are not allowed" in page_text(response)
    assert _posts(klass.circle) == []
    _post(client_as(klass.teacher), klass.circle, "the staff may: https://example.org")
    assert len(_posts(klass.circle)) == 1


@pytest.fixture
def limits_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMITING", True)


def test_a_members_post_limit_answers_429_with_the_wait(klass, client_as, limits_on):
    _settings(klass, posts_per_hour=2)
    client = client_as(klass.student)
    statuses = [_post(client, klass.circle, text).status_code for text in ("one", "two", "three")]
    assert statuses == [302, 302, 429]
    response = _post(client, klass.circle, "four")
    assert response.status_code == 429 and "Try again in" in page_text(response)
    # said as a limit on writing, not the sign-in's "too many attempts"
    assert "writing faster than this circle allows" in page_text(response)
    assert "Too many attempts" not in page_text(response)
    assert len(_posts(klass.circle)) == 2
    assert _post(client_as(klass.classmate), klass.circle, "another member").status_code == 302


def test_flood_protection_holds_whatever_the_settings(klass, client_as, limits_on):
    post = make_post(klass.circle, klass.teacher)
    client = client_as(klass.student)
    url = f"/circles/{klass.circle.id}/feed/{post.id}/comments"
    statuses = [client.post(url, data={"body_md": f"comment {n}"}).status_code for n in range(7)]
    assert statuses.count(429) == 2 and statuses[:5] == [302] * 5


def test_reports_are_rate_limited(klass, client_as, limits_on):
    from tests.moderation.support import report

    posts = [make_post(klass.circle, klass.student, f"p{n}") for n in range(6)]
    client = client_as(klass.classmate)
    responses = [report(client, klass.circle, "post", p.id) for p in posts]
    assert [r.status_code for r in responses] == [201] * 5 + [429]
    assert "Try again in" in responses[5].get_json()["error"]["message"]
    assert int(responses[5].headers["Retry-After"]) >= 1


def test_chat_and_other_actions_are_known_to_the_limiter(klass, limits_on):
    for _ in range(8):
        policy.count_write(klass.circle, klass.student, policy.WriteAction.chat)
    with pytest.raises(policy.WriteRateLimited) as raised:
        policy.count_write(klass.circle, klass.student, policy.WriteAction.chat)
    assert raised.value.code == 429 and raised.value.retry_after >= 1
    with pytest.raises(ValueError):
        policy.count_write(klass.circle, klass.student, "shout")


def test_a_muted_member_cannot_write_in_feed_homework_or_checkins(klass, hw, client_as):
    """Can a muted student post, comment, comment on a video or on a check-in? (403 each)"""
    post = make_post(klass.circle, klass.teacher)
    video = make_video_comment(klass.circle, klass.classmate, hw)
    checkin = make_checkin(klass.circle, klass.classmate)
    circle_ops.mute_member(membership(klass.circle, klass.student), until=utcnow() + timedelta(hours=1),
                           actor=klass.teacher, reason="cool down")
    db.session.commit()
    client = client_as(klass.student)
    assert _post(client, klass.circle, "let me speak").status_code == 403
    assert client.post(f"/circles/{klass.circle.id}/feed/{post.id}/comments",
                       data={"body_md": "hi"}).status_code == 403
    sub = video.submission
    assert client.post(f"/circles/{klass.circle.id}/assignments/{sub.assignment_id}/submissions/{sub.id}/comments",
                       json={"body": "hi", "at_seconds": None},
                       headers={"X-CSRFToken": client.csrf_token()}).status_code == 403
    assert client.post(f"/c/{klass.circle.id}/checkins/{checkin.task_id}/entries/{checkin.id}/comments",
                       data={"body": "hi"}).status_code == 403
    assert _post(client_as(klass.classmate), klass.circle, "not muted").status_code == 302


def test_the_settings_page_saves_and_is_audited(klass, client_as):
    client = client_as(klass.owner)
    url = f"/c/{klass.circle.id}/moderation/settings"
    assert "Moderation settings" in page_text(client.get(url))
    response = client.post(url, data={"first_posts_need_approval": "y", "word_list": "广告\n spam \n",
                                      "posts_per_hour": "5", "comments_per_hour": "", "chat_per_minute": "10"})
    assert response.status_code == 302
    settings = policy.settings_of(klass.circle)
    db.session.refresh(settings)
    assert settings.words == ["广告", "spam"] and not settings.links_allowed
    assert settings.first_posts_need_approval and settings.posts_per_hour == 5 and settings.chat_per_minute == 10
    from tests.moderation.support import audit

    assert len(audit("moderation_settings_changed")) == 1
    assert client.post(url, data={"posts_per_hour": "0"}).status_code == 422


def test_an_edit_is_screened_as_a_new_post_is(klass, client_as):
    """Does editing a published post to add a listed word hold it again, and a link where none are allowed
    refuse the edit?"""
    post = make_post(klass.circle, klass.student, "clean text")
    _settings(klass, word_list="代写", links_allowed=False)
    client = client_as(klass.student)
    url = f"/circles/{klass.circle.id}/feed/{post.id}/edit"
    refused = client.post(url, data={"body_md": "see https://example.com"})
    assert refused.status_code == 422 and "Links are not allowed" in page_text(refused)
    assert client.post(url, data={"body_md": "专业代写"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).state == PostState.pending
    assert reports()[-1].reason == ReportReason.word_list


def test_a_refused_chat_message_uses_none_of_the_rate(klass, limits_on):
    """Does a chat message refused for its link (links not allowed) leave the member's per-minute rate alone?"""
    from lms.chat import operations as chat_ops
    from lms.chat import queries as chat_q

    _settings(klass, links_allowed=False, chat_per_minute=2)
    channel = chat_ops.ensure_main_channel(klass.circle)
    reader = chat_q.reader_of(klass.circle, klass.student)
    for _ in range(3):
        with pytest.raises(chat_ops.ChatError):
            chat_ops.send_message(channel, reader, body="see https://example.org")
    for text in ("one", "two"):
        assert chat_ops.send_message(channel, reader, body=text).id
