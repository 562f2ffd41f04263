"""The one pager (templates/_partials/pagination.html) under every paginated list: previous and next links
that keep the list's search, "Page n of m", and nothing when everything fits one page."""
from __future__ import annotations

import re

from lms.admin import routes as admin_routes
from lms.extensions import db
from lms.orgs import operations as org_ops
from tests.fixtures.app import page_text


def _pager_links(response) -> list[str]:
    html = response.get_data(as_text=True)
    [nav] = re.findall(r'<nav class="pager">(.*?)</nav>', html, flags=re.S)
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', nav)]


def test_user_list_pager_keeps_the_search(client, login, make, monkeypatch):
    """Five pupils found by "pupil", two a page: does page 2 link back to page 1 and on to page 3, both
    with the search, and read "Page 2 of 3"?"""
    monkeypatch.setattr(admin_routes, "USERS_PER_PAGE", 2)
    admin = make.user("Ada Admin", is_admin=True)
    for n in range(5):
        make.user(f"Pupil {n}", email=f"pupil{n}@school.example")
    login(admin)
    second = client.get("/admin/users?q=pupil&page=2")
    assert "Page 2 of 3" in page_text(second)
    assert _pager_links(second) == ["/admin/users?page=1&q=pupil", "/admin/users?page=3&q=pupil"]


def test_org_list_pager_and_no_pager_on_one_page(client, login, make, monkeypatch):
    """Three organizations two a page: does page 1 link only onward; with fifty a page, is there no pager?"""
    admin = make.user(is_admin=True)
    for name in ("Hill School", "Lake School", "Park School"):
        org_ops.create_org(name)
    db.session.commit()
    login(admin)
    monkeypatch.setattr(admin_routes, "ORGS_PER_PAGE", 2)
    first = client.get("/admin/orgs")
    assert "Page 1 of 2" in page_text(first) and _pager_links(first) == ["/admin/orgs?page=2"]
    monkeypatch.setattr(admin_routes, "ORGS_PER_PAGE", 50)
    assert 'class="pager"' not in client.get("/admin/orgs").get_data(as_text=True)


def test_member_list_pager_keeps_the_status_filter(client, login, make, app, monkeypatch):
    """Removed members listed two a page: do the pager links keep status=removed?"""
    from lms.circles import operations as circle_ops

    monkeypatch.setitem(app.config, "MEMBERS_PER_PAGE", 2)
    owner = make.user()
    circle = make.circle(owner)
    for name in ("Amy", "Ben", "Cat"):
        circle_ops.remove_member(make.member(circle, display_name=name), owner)
    db.session.commit()
    login(owner)
    first = client.get(f"/c/{circle.id}/members?status=removed")
    assert "Page 1 of 2" in page_text(first)
    assert _pager_links(first) == [f"/c/{circle.id}/members?page=2&status=removed"]
