"""The audit log knows no domain: what the domains register is all it knows about their details."""
from __future__ import annotations

from flask import Flask
from flask_babel import Babel

from lms.audit.details import detail_lines
from lms.audit.registry import describe_details, vocabulary


def _bare_app() -> Flask:
    app = Flask("bare")
    Babel(app)
    return app


def test_unregistered_details_read_as_stored():
    """With no domain registered, does a key read as itself, a coded value as stored and a change
    of a plain value as "old → new", without the log failing?"""
    app = _bare_app()
    with app.test_request_context():
        assert detail_lines({"via": "roster", "role": "student"}) == [("via", "roster"), ("role", "student")]
        assert detail_lines({"from": "student", "to": "assistant"}, "member_role_changed") == [
            ("Change", "student → assistant")]


def test_domains_words_for_one_key_merge():
    """When two domains describe values of the same key (circles' and grading's `via`), does each
    value read in its own domain's word, and a blank where a domain said so?"""
    app = _bare_app()
    describe_details(app, labels={"via": "How"}, words={"via": {"roster": "Roster import"}})
    describe_details(app, words={"via": {"graded": "Graded"}, "status_before": {"left": "Left"}},
                     blanks={"status_before": "not a member"},
                     changes=[(("member_role_changed",), {"student": "Student", "assistant": "Assistant"})])
    with app.test_request_context():
        assert detail_lines({"via": "roster"}) == [("How", "Roster import")]
        assert detail_lines({"via": "graded"}) == [("How", "Graded")]
        assert detail_lines({"via": "retired"}) == [("How", "retired")]
        assert detail_lines({"status_before": None}) == [("status_before", "not a member")]
        assert detail_lines({"from": "student", "to": "assistant"}, "member_role_changed") == [
            ("Change", "Student → Assistant")]
    assert vocabulary(app) is not vocabulary(_bare_app())  # one app's words stay with it


def test_the_app_registers_every_domain(app):
    """Does the real app know how circles, organizations, accounts, homework and grading describe their
    events (each registered from its own package)?"""
    v = vocabulary(app)
    assert {"role", "org", "new_account", "due_at", "score"} <= set(v.labels)
    assert {"users", "assignments", "criteria"} <= set(v.names)
    assert v.circle_names and v.circles_matching and v.circle_org and v.actors_matching
    assert "org_admin_granted" in v.changes and "member_role_changed" in v.changes
