"""Rate limits on sign-in, with rate limiting switched on for this app (it is off in other tests)."""
from __future__ import annotations

import pytest

from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD


@pytest.fixture
def limited(app, monkeypatch):
    """The test app with its rate limits on; the counters start empty for every test."""
    monkeypatch.setitem(app.config, "RATE_LIMITING", True)
    return app


def _attempt(client, email, password="wrong password here", ip="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_eleventh_failed_attempt_is_refused(limited, client, make):
    """After 10 failed sign-ins for one email, is the 11th refused with 429 and a readable message?"""
    make.user(email="bob@example.org")
    for _ in range(10):
        assert _attempt(client, "bob@example.org").status_code == 401
    response = _attempt(client, "bob@example.org")
    assert response.status_code == 429
    assert "Too many attempts. Wait a few minutes and try again." in page_text(response)
    # Even the right password waits now: guessing cannot go on.
    assert _attempt(client, "bob@example.org", PASSWORD).status_code == 429


def test_limit_follows_the_account_across_addresses(limited, client, make):
    """Are guesses at one account counted together even when they come from many addresses?"""
    make.user(email="bob@example.org")
    make.user(email="carol@example.org")
    for n in range(10):
        assert _attempt(client, "bob@example.org", ip=f"10.0.1.{n}").status_code == 401
    assert _attempt(client, "bob@example.org", ip="10.0.1.200").status_code == 429
    # Another account, from a fresh address, is not affected.
    other = limited.test_client()
    assert _attempt(other, "carol@example.org", PASSWORD, ip="10.0.1.201").status_code == 302


def test_successful_sign_ins_do_not_count(limited, client, make):
    """Do successful sign-ins leave the failure budget untouched?"""
    make.user(email="bob@example.org")
    for _ in range(9):
        assert _attempt(client, "bob@example.org").status_code == 401
    for _ in range(5):
        assert _attempt(limited.test_client(), "bob@example.org", PASSWORD).status_code == 302
    assert _attempt(client, "bob@example.org").status_code == 401  # the 10th failure
    assert _attempt(client, "bob@example.org").status_code == 429  # the 11th


def test_limits_are_off_unless_switched_on(app, client, make):
    """With rate limiting off (the test default), are many failures all answered normally?"""
    make.user(email="bob@example.org")
    for _ in range(12):
        assert _attempt(client, "bob@example.org").status_code == 401
