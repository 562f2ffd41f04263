"""Circle search: posts and notices matching every word, only what the viewer may see now."""
from __future__ import annotations

from datetime import timedelta

from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice
from tests.feed.posts.conftest import last_post, post_ids, write_post
from tests.fixtures.app import page_text


def _notice(feed, title: str, body: str = "", *, publish_in: timedelta = timedelta(minutes=-1)) -> Notice:
    notice = Notice(circle_id=feed.circle.id, author_id=feed.teacher.id, title=title, body_md=body,
                    publish_at=utcnow() + publish_in)
    db.session.add(notice)
    db.session.commit()
    return notice


def _search(client, feed, words: str):
    return client.get(f"/circles/{feed.circle.id}/search", query_string={"q": words})


def test_search_finds_posts_and_notices_with_every_word(feed):
    """Does a search find the posts and published notices holding every word typed, in any case?"""
    write_post(feed.clients["sam"], feed.circle.id, "The LAKE trip is on Saturday")
    lake = last_post()
    write_post(feed.clients["pia"], feed.circle.id, "The lake is cold")
    _notice(feed, "Saturday trip", "Meet at the lake at nine")
    _notice(feed, "Unrelated", "Bring lunch")
    response = _search(feed.clients["pia"], feed, "lake saturday")
    assert response.status_code == 200
    assert post_ids(response.get_data(as_text=True)) == [lake.id]
    text = page_text(response)
    assert "Saturday trip" in text and "Unrelated" not in text


def test_search_never_shows_a_future_notice_until_its_time(feed):
    """Is a scheduled notice absent from search (for members and staff alike) until its time has come?"""
    future = _notice(feed, "Surprise party", publish_in=timedelta(hours=2))
    for who in ("sam", "teacher"):
        assert "Surprise party" not in page_text(_search(feed.clients[who], feed, "surprise"))
    future.publish_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "Surprise party" in page_text(_search(feed.clients["sam"], feed, "surprise"))


def test_search_never_shows_a_hidden_post_to_members(feed):
    """Is a hidden post found by the staff but not by members (its author included) or a stranger?"""
    write_post(feed.clients["sam"], feed.circle.id, "Secret handshake")
    post = last_post()
    feed.clients["teacher"].post(f"{feed.url}/{post.id}/hide", data={"reason": "Not here"})
    assert post_ids(_search(feed.clients["pia"], feed, "handshake").get_data(as_text=True)) == []
    assert post_ids(_search(feed.clients["sam"], feed, "handshake").get_data(as_text=True)) == []
    assert post_ids(_search(feed.clients["owner"], feed, "handshake").get_data(as_text=True)) == [post.id]
    assert _search(feed.clients["stranger"], feed, "handshake").status_code == 404


def test_search_words_are_literal(feed):
    """Are % and _ typed in a search matched as themselves, not as wildcards?"""
    write_post(feed.clients["sam"], feed.circle.id, "Discount 50% today")
    hit = last_post()
    write_post(feed.clients["sam"], feed.circle.id, "Nothing to see")
    assert post_ids(_search(feed.clients["pia"], feed, "%").get_data(as_text=True)) == [hit.id]
    assert post_ids(_search(feed.clients["pia"], feed, "_").get_data(as_text=True)) == []
