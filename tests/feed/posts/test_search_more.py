"""Circle search across Simplified and Traditional characters, and through comments."""
from __future__ import annotations

from datetime import timedelta

from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice
from tests.feed.posts.conftest import last_comment, last_post, post_ids, write_post
from tests.fixtures.app import page_text


def _search(client, feed, words: str):
    return client.get(f"/circles/{feed.circle.id}/search", query_string={"q": words})


def _notice(feed, title: str, body: str = "", *, publish_in=timedelta(minutes=-1)) -> Notice:
    notice = Notice(circle_id=feed.circle.id, author_id=feed.teacher.id, title=title, body_md=body,
                    publish_at=utcnow() + publish_in)
    db.session.add(notice)
    db.session.commit()
    return notice


def test_traditional_finds_simplified_and_back(feed):
    """Does a zh-TW member searching 習題 find the notice and post written 习题, and 习题 find 習題?"""
    feed.pia.locale = "zh_Hant"
    db.session.commit()
    _notice(feed, "第三章习题", "周五交")
    write_post(feed.clients["sam"], feed.circle.id, "习题第二题怎么做？")
    simplified_post = last_post()
    write_post(feed.clients["sam"], feed.circle.id, "我寫完習題了")
    traditional_post = last_post()
    _notice(feed, "下周习题", publish_in=timedelta(hours=3))  # not yet: never found
    found = _search(feed.clients["pia"], feed, "習題")
    assert "第三章习题" in page_text(found) and "下周习题" not in page_text(found)
    assert set(post_ids(found.get_data(as_text=True))) == {simplified_post.id, traditional_post.id}
    back = _search(feed.clients["sam"], feed, "习题")
    assert set(post_ids(back.get_data(as_text=True))) == {simplified_post.id, traditional_post.id}


def test_a_word_in_a_comment_finds_its_post(feed):
    """Does a word only a comment holds find that comment's post?"""
    write_post(feed.clients["sam"], feed.circle.id, "Where do we meet?")
    post = last_post()
    write_post(feed.clients["sam"], feed.circle.id, "Unrelated")
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "At the boathouse, nine sharp"})
    assert post_ids(_search(feed.clients["owner"], feed, "boathouse").get_data(as_text=True)) == [post.id]
    assert post_ids(_search(feed.clients["pia"], feed, "boathouse nine").get_data(as_text=True)) == [post.id]


def test_a_hidden_comment_or_hidden_post_is_not_found_by_members(feed):
    """A word in a comment the staff hid, or in a comment of a hidden post: do members miss it while the
    staff find it?"""
    write_post(feed.clients["sam"], feed.circle.id, "Trip photos")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Buy cheap watches"})
    feed.clients["owner"].post(f"{feed.url}/{post.id}/comments/{last_comment().id}/hide", data={"reason": "Spam"})
    write_post(feed.clients["pia"], feed.circle.id, "Club rules")
    hidden_post = last_post()
    feed.clients["sam"].post(f"{feed.url}/{hidden_post.id}/comments", data={"body_md": "Secret lagoon"})
    feed.clients["owner"].post(f"{feed.url}/{hidden_post.id}/hide", data={"reason": "Not here"})
    for who in ("sam", "pia"):
        assert post_ids(_search(feed.clients[who], feed, "watches").get_data(as_text=True)) == []
        assert post_ids(_search(feed.clients[who], feed, "lagoon").get_data(as_text=True)) == []
    assert post_ids(_search(feed.clients["teacher"], feed, "watches").get_data(as_text=True)) == [post.id]
    assert post_ids(_search(feed.clients["teacher"], feed, "lagoon").get_data(as_text=True)) == [hidden_post.id]
