"""The circles blueprint's URL map, pinned as it was before routes.py became a package, and its rate limits."""
from __future__ import annotations

import re

import pytest

#: (endpoint, rule, methods) of every circles route, copied from app.url_map before the split of
#: lms/circles/routes.py into lms/circles/routes/; HEAD and OPTIONS left out (Flask adds them).
PINNED = [
    ("circles.approve", "/c/<int:circle_id>/members/<int:membership_id>/approve", ("POST",)),
    ("circles.archive", "/c/<int:circle_id>/archive", ("POST",)),
    ("circles.change_role", "/c/<int:circle_id>/members/<int:membership_id>/role", ("POST",)),
    ("circles.course_codes_csv", "/c/<int:circle_id>/course-codes.csv", ("GET",)),
    ("circles.cover", "/c/<int:circle_id>/cover", ("GET",)),
    ("circles.create", "/circles/new", ("GET", "POST")),
    ("circles.create_course_codes", "/c/<int:circle_id>/course-codes", ("POST",)),
    ("circles.create_invite", "/c/<int:circle_id>/invites", ("POST",)),
    ("circles.edit_member", "/c/<int:circle_id>/members/<int:membership_id>/edit", ("GET", "POST")),
    ("circles.enrol", "/c/<int:circle_id>/enrol", ("GET",)),
    ("circles.home", "/c/<int:circle_id>", ("GET",)),
    ("circles.index", "/", ("GET",)),
    ("circles.import_members", "/c/<int:circle_id>/members/import", ("GET", "POST")),
    ("circles.invite", "/i/<token>", ("GET", "POST")),
    ("circles.join", "/join", ("GET", "POST")),
    ("circles.join_circle", "/c/<int:circle_id>/join", ("POST",)),
    ("circles.join_with_code", "/join/<code>", ("GET", "POST")),
    ("circles.leave", "/c/<int:circle_id>/leave", ("POST",)),
    ("circles.members", "/c/<int:circle_id>/members", ("GET",)),
    ("circles.members_csv", "/c/<int:circle_id>/members.csv", ("GET",)),
    ("circles.regenerate_join_code", "/c/<int:circle_id>/join-code", ("POST",)),
    ("circles.readmit", "/c/<int:circle_id>/members/<int:membership_id>/readmit", ("POST",)),
    ("circles.reject", "/c/<int:circle_id>/members/<int:membership_id>/reject", ("POST",)),
    ("circles.remove_member", "/c/<int:circle_id>/members/<int:membership_id>/remove", ("POST",)),
    ("circles.revoke_invite", "/c/<int:circle_id>/invites/<int:invite_id>/revoke", ("POST",)),
    ("circles.settings", "/c/<int:circle_id>/settings", ("GET", "POST")),
    ("circles.transfer", "/c/<int:circle_id>/members/<int:membership_id>/transfer", ("POST",)),
    ("circles.unmute", "/c/<int:circle_id>/members/<int:membership_id>/unmute", ("POST",)),
]

#: A value for every URL variable the pinned rules use.
SAMPLE_VALUES = {"circle_id": 7, "membership_id": 8, "invite_id": 9, "token": "tok3n", "code": "AB0CD1EF"}


@pytest.mark.parametrize("endpoint, rule, methods", PINNED, ids=[row[0] for row in PINNED])
def test_endpoint_keeps_its_rule(app, endpoint, rule, methods):
    """Does this endpoint still have exactly one rule, with the same path and methods as before the split?"""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    assert [(r.rule, tuple(sorted(r.methods - {"HEAD", "OPTIONS"}))) for r in rules] == [(rule, methods)]


@pytest.mark.parametrize("endpoint, rule, methods", PINNED, ids=[row[0] for row in PINNED])
def test_url_resolves_back_to_its_endpoint(app, endpoint, rule, methods):
    """Does a URL built for this endpoint route back to it for each of its methods (no other rule shadows it)?"""
    adapter = app.url_map.bind("localhost")
    values = {name: SAMPLE_VALUES[name] for name in re.findall(r"<(?:\w+:)?(\w+)>", rule)}
    url = adapter.build(endpoint, values)
    for method in methods:
        assert adapter.match(url, method=method) == (endpoint, values)


def test_no_pinned_endpoint_is_missing(app):
    """Is every endpoint the blueprint had before the split still registered?"""
    registered = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("circles.")}
    assert {row[0] for row in PINNED} <= registered


@pytest.fixture
def limited(app, monkeypatch):
    """The test app with its rate limits on; the counters start empty for every test."""
    monkeypatch.setitem(app.config, "RATE_LIMITING", True)
    return app


@pytest.mark.parametrize("method, url, data, allowed", [
    ("post", "/join", {"code": "ZZZZ2222"}, 20),
    ("get", "/join/ZZZZ2222", None, 30),
    ("get", "/i/no-such-token", None, 30),
], ids=["join", "join_with_code", "invite"])
def test_guessing_codes_is_rate_limited(limited, client, make, login, method, url, data, allowed):
    """After the allowed number of unknown codes or invite tokens, is the next guess refused with 429?

    Flask-Limiter files a route's limit under the view's module path, so this also checks that the
    limits still apply after the views moved into lms/circles/routes/joining.py.
    """
    login(make.user())
    send = getattr(client, method)
    for _ in range(allowed):
        assert send(url, data=data).status_code == 404
    assert send(url, data=data).status_code == 429
