"""The feed by keyset: pages neither repeat nor skip posts while new ones arrive, and a page costs the
same number of queries for 50 posts as for 5,000, on the first page as deep down."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.posts.models import Comment, Like, Post, PostImage, PostState
from lms.feed.posts.queries import PAGE_SIZE
from tests.feed.posts.conftest import post_ids, write_post


def _bulk_posts(circle, authors, count: int, *, start=None) -> None:
    """`count` published posts by `authors` in turn, one a minute up to `start` (default now), each
    second one liked and commented, each third one with an image row, inserted in bulk."""
    start = start or utcnow()
    rows = [{"circle_id": circle.id, "author_id": authors[i % len(authors)].id, "body_md": f"Post number {i}",
             "state": PostState.published, "published_at": start - timedelta(minutes=count - i),
             "created_at": start - timedelta(minutes=count - i)} for i in range(count)]
    db.session.execute(sa.insert(Post), rows)
    ids = db.session.scalars(sa.select(Post.id).where(Post.circle_id == circle.id).order_by(Post.id)).all()
    db.session.execute(sa.insert(Like), [{"post_id": pid, "user_id": authors[0].id} for pid in ids[::2]])
    db.session.execute(sa.insert(Comment), [{"post_id": pid, "author_id": authors[-1].id, "body_md": "Nice"}
                                            for pid in ids[::2]])
    db.session.execute(sa.insert(PostImage), [{"post_id": pid, "storage_key": f"feed/none-{pid}", "position": 0}
                                              for pid in ids[::3]])
    db.session.commit()


def _next_link(html: str) -> str | None:
    found = re.search(r'href="([^"]*after=[^"]+)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_pages_have_no_duplicates_or_gaps_while_posts_arrive(feed):
    """Walking the feed page by page while members keep posting: is every post that existed at the start
    seen exactly once, newest first, and are the new ones only on a fresh first page?"""
    authors = [feed.sam, feed.pia, feed.teacher]
    _bulk_posts(feed.circle, authors, 2 * PAGE_SIZE + 5, start=utcnow() - timedelta(minutes=1))
    expected = db.session.scalars(sa.select(Post.id).order_by(Post.published_at.desc(), Post.id.desc())).all()
    client = feed.clients["pia"]
    seen, url = [], feed.url
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += post_ids(html)
        write_post(feed.clients["sam"], feed.circle.id, f"Arrived after page {len(seen)}")
        url = _next_link(html)
    assert seen == expected
    fresh = post_ids(client.get(feed.url).get_data(as_text=True))
    assert fresh[:3] == sorted(fresh[:3], reverse=True) and fresh[3] == expected[0]


def test_same_publication_time_is_ordered_by_id(feed):
    """Do posts published in the same microsecond page by id, without losing one at the page border?"""
    at = utcnow()
    db.session.execute(sa.insert(Post), [{"circle_id": feed.circle.id, "author_id": feed.sam.id, "body_md": str(i),
                                          "state": PostState.published, "published_at": at, "created_at": at}
                                         for i in range(PAGE_SIZE + 3)])
    db.session.commit()
    html = feed.clients["sam"].get(feed.url).get_data(as_text=True)
    second = feed.clients["sam"].get(_next_link(html)).get_data(as_text=True)
    ids = post_ids(html) + post_ids(second)
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == PAGE_SIZE + 3


def test_query_count_is_fixed_for_50_or_5000_posts(feed, make, client_as, count_queries):
    """Does a feed page (first, and two pages down) send as many queries for 50 posts as for 5,000?"""
    counts = []
    for size in (50, 5000):
        owner = make.user()
        circle = make.circle(owner)
        members = [make.member(circle).user for _ in range(3)]
        _bulk_posts(circle, members, size)
        client = client_as(members[0])
        url = f"/circles/{circle.id}/feed"
        client.get(url)  # the first request of a session also records that it was seen
        measured = []
        for _ in range(3):
            with count_queries:
                response = client.get(url)
            assert response.status_code == 200
            measured.append(count_queries.count)
            url = _next_link(response.get_data(as_text=True))
        counts.append(measured)
    assert counts[0] == counts[1], counts
    assert max(counts[0]) <= 8, counts
