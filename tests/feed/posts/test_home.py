"""The circle's home page: its registered sections in order, and the feed's part of it."""
from __future__ import annotations

from datetime import timedelta

from lms.circles.home import HomeSection, home_sections, register_home_section
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice
from lms.homework import operations as homework_ops
from tests.feed.posts.conftest import write_post
from tests.fixtures.app import page_text


def test_sections_come_main_column_first_then_by_order(app, feed, monkeypatch):
    """Does home_sections list the main column before the side, each by its order, leaving out a section
    whose load answers None?"""
    monkeypatch.setitem(app.extensions, "lms.circles.home", {})

    def shown(name):
        return lambda circle, viewer, membership: {"name": name}

    for name, column, order in (("side_b", "side", 20), ("main_b", "main", 30), ("side_a", "side", 10),
                                ("main_a", "main", 10)):
        register_home_section(app, HomeSection(name, column, order, "x.html", shown(name)))
    register_home_section(app, HomeSection("never", "main", 1, "x.html", lambda c, v, m: None))
    result = home_sections(feed.circle, feed.sam, feed.circle.membership_of(feed.sam))
    assert [(s.name, context["name"]) for s, context in result] == [
        ("main_a", "main_a"), ("main_b", "main_b"), ("side_a", "side_a"), ("side_b", "side_b")]


def test_home_page_order(feed):
    """Does the home page show, for a student, the notices, then the latest posts in the main column, and
    the next due assignment, then the About card in the side column?"""
    db.session.add(Notice(circle_id=feed.circle.id, author_id=feed.teacher.id, title="Read me first",
                          body_md="x", publish_at=utcnow() - timedelta(minutes=1), is_must_read=True))
    db.session.commit()
    homework_ops.create_assignment(feed.circle, feed.teacher, publish=True, title="Essay one",
                                   due_at=utcnow() + timedelta(days=2))
    db.session.commit()
    write_post(feed.clients["pia"], feed.circle.id, "Hello from the feed")
    response = feed.clients["sam"].get(f"/c/{feed.circle.id}")
    html = response.get_data(as_text=True)
    order = [html.index(marker) for marker in ('data-home-section="notices"', 'data-home-section="feed"',
                                               'class="home-side"', 'class="card home-due"', ">About<")]
    assert order == sorted(order)
    text = page_text(response)
    assert "Read me first" in text and "Hello from the feed" in text and "Essay one" in text


def test_home_query_count_is_fixed_whatever_the_feed(feed, make, client_as, count_queries):
    """Does the whole home page (every registered section) cost the same for 2 posts as for 40?"""
    counts = []
    for size in (2, 40):
        circle = make.circle(make.user())
        member = make.member(circle).user
        client = client_as(member)
        for n in range(size):
            write_post(client, circle.id, f"Post {n}")
        client.get(f"/c/{circle.id}")
        with count_queries:
            assert client.get(f"/c/{circle.id}").status_code == 200
        counts.append(count_queries.count)
    assert counts[0] == counts[1], counts


def test_sections_with_nothing_cost_no_query(feed, make, client_as, count_queries):
    """Does the home page of a circle without notices, posts, assignments, check-ins or groups skip their
    queries (their probes are read with the circle: four in all, the session, the circle, the staff and
    newest, the live lesson) while still showing the empty feed and due cards, and does each come back with
    its query once the circle has content?"""
    circle = make.circle(make.user())
    member = make.member(circle).user
    client = client_as(member)
    url = f"/c/{circle.id}"
    client.get(url)
    with count_queries:
        response = client.get(url)
    assert response.status_code == 200 and count_queries.count == 4, count_queries.count
    html = response.get_data(as_text=True)
    assert 'data-home-section="feed"' in html and 'class="card home-due"' in html
    assert "No posts yet." in page_text(response)
    db.session.add(Notice(circle_id=circle.id, author_id=circle.created_by_id, title="Read me first",
                          body_md="x", publish_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    homework_ops.create_assignment(circle, db.session.get(type(member), circle.created_by_id), publish=True,
                                   title="Essay one", due_at=utcnow() + timedelta(days=2))
    db.session.commit()
    write_post(client, circle.id, "Hello from the feed")
    client.get(url)
    with count_queries:
        response = client.get(url)
    assert count_queries.count == 7, count_queries.count
    text = page_text(response)
    assert "Read me first" in text and "Hello from the feed" in text and "Essay one" in text
