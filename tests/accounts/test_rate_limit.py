"""Rate limits on sign-in, registration and reset, with rate limiting switched on for this app (it is
off in other tests): a class joins from one school network, guessing and probing are stopped."""
from __future__ import annotations

import time

import pytest

from lms.accounts.models import User
from lms.extensions import db
from tests.accounts.helpers import confirmation_path
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
    assert "Too many attempts. Try again in 15 minutes." in page_text(response)
    assert 890 <= int(response.headers["Retry-After"]) <= 900
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


SCHOOL = "203.0.113.20"  # one school network: every student's requests come from this address
STUDENT_PASSWORD = "blue whales sing softly"


def _register(client, email, ip=SCHOOL):
    return client.post("/register", data={"name": "Student", "email": email, "password": STUDENT_PASSWORD,
                                           "confirm": STUDENT_PASSWORD, "next": "/i/sometoken"},
                       environ_base={"REMOTE_ADDR": ip})


def test_a_class_of_60_registers_and_signs_in_from_one_address(limited, app, make, mailbox):
    """The issue's case (the 21st student got a bare 429): can 60 students register through the invite
    link, finish by the mailed link, sign out and sign in again (each mistyping the password once),
    all from one school address within ten minutes?"""
    make.user()
    for n in range(60):
        student = app.test_client()
        email = f"student{n}@school.example"
        response = _register(student, email)
        assert response.status_code == 302, (n, response.status_code)
        response = student.post(confirmation_path(mailbox, email), data={"password": STUDENT_PASSWORD},
                                environ_base={"REMOTE_ADDR": SCHOOL})
        assert response.status_code == 302 and response.headers["Location"] == "/i/sometoken", n
        assert student.post("/logout", environ_base={"REMOTE_ADDR": SCHOOL}).status_code == 302
        assert _attempt(student, email, ip=SCHOOL).status_code == 401
        assert _attempt(student, email, STUDENT_PASSWORD, ip=SCHOOL).status_code == 302, n
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 61


def test_probing_addresses_by_registration_is_counted_and_stopped(limited, app, make):
    """Is every registration attempt counted, also for an address that has an account (it used to be
    answered "already exists" and not counted): one address is refused after 10 tries, and one host
    trying many addresses is stopped after 150 in ten minutes, with the wait in words?"""
    make.user(email="known@example.org")
    client = app.test_client()
    for _ in range(10):
        assert _register(client, "known@example.org", ip="198.51.100.1").status_code == 302
    response = _register(client, "known@example.org", ip="198.51.100.2")
    assert response.status_code == 429
    assert "Too many attempts. Try again in" in page_text(response)
    started = time.monotonic()  # the window opens with the first attempt: the wait is 600 s less the time since
    for n in range(150):
        assert _register(client, f"probe{n}@example.org", ip="198.51.100.3").status_code == 302, n
    response = _register(client, "probe-last@example.org", ip="198.51.100.3")
    assert response.status_code == 429
    assert "Too many attempts. Try again in 10 minutes." in page_text(response)
    assert 600 - (time.monotonic() - started) - 1 <= int(response.headers["Retry-After"]) <= 600
    # Another network is not affected.
    assert _register(client, "someone@example.org", ip="198.51.100.4").status_code == 302


def test_reset_requests_are_limited_per_address_and_per_host(limited, app, make):
    """Are password-reset requests limited per named address (5 an hour: each one mails it) and per
    host (100 in ten minutes), answering the same for known and unknown addresses until then?"""
    make.user(email="bob@example.org")
    client = app.test_client()

    def forgot(email, ip):
        return client.post("/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": ip})

    for _ in range(5):
        assert forgot("bob@example.org", "198.51.100.5").status_code == 302
    assert forgot("bob@example.org", "198.51.100.6").status_code == 429
    for n in range(100):
        assert forgot(f"probe{n}@example.org", "198.51.100.7").status_code == 302, n
    assert forgot("probe-last@example.org", "198.51.100.7").status_code == 429


def test_a_host_guessing_many_accounts_is_stopped(limited, app, make):
    """Is one host trying wrong passwords on many accounts stopped after 100 failures in ten minutes,
    though no single account reached its own limit?"""
    make.user()
    client = app.test_client()
    for n in range(100):
        assert _attempt(client, f"user{n}@example.org", ip="198.51.100.9").status_code == 401, n
    assert _attempt(client, "user-last@example.org", ip="198.51.100.9").status_code == 429


def test_too_many_attempts_answer_json_clients_in_json(limited, client, make):
    """Does a JSON client get the 429 as JSON, with the message and the seconds to wait?"""
    make.user(email="bob@example.org")
    for _ in range(10):
        _attempt(client, "bob@example.org")
    response = client.post("/login", data={"email": "bob@example.org", "password": "x"},
                           headers={"Accept": "application/json"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["message"] == "Too many attempts. Try again in 15 minutes."
    assert error["retry_after"] == int(response.headers["Retry-After"])


@pytest.mark.parametrize("seconds, message", [
    (1, "Too many attempts. Try again in 1 second."),
    (45, "Too many attempts. Try again in 45 seconds."),
    (60, "Too many attempts. Try again in 1 minute."),
    (241, "Too many attempts. Try again in 5 minutes."),
    (7199, "Too many attempts. Try again in 120 minutes."),
    (7200, "Too many attempts. Try again in 2 hours."),
    (86400, "Too many attempts. Try again in 24 hours."),
])
def test_wait_is_said_in_words(app, seconds, message):
    """Is the wait rounded up, never promising less than it is, in the unit a person reads easily?"""
    from lms.core.errors import wait_message

    with app.test_request_context():
        assert wait_message(seconds) == message


def test_password_changes_are_counted_per_account_not_per_network(limited, app, make):
    """Can a class change passwords from one address, while one account guessing its current password
    is stopped after 10 tries?"""
    from tests.fixtures.factories import sign_in

    def change(client, current):
        return client.post("/profile/password", data={"pw-current": current, "pw-password": "a new long sentence",
                                                       "pw-confirm": "a new long sentence"},
                           csrf_prefixes=["pw"], environ_base={"REMOTE_ADDR": SCHOOL})

    guesser = app.test_client()
    sign_in(guesser, make.user())
    for _ in range(10):
        assert change(guesser, "wrong guess").status_code == 422
    assert change(guesser, "wrong guess").status_code == 429
    for _ in range(15):
        student = app.test_client()
        sign_in(student, make.user())
        assert change(student, PASSWORD).status_code == 302


def test_a_class_mistyping_join_codes_from_one_address_still_joins(limited, app, make):
    """Can 60 students on one school address each mistype the join code twice and still join, while
    one person guessing codes is stopped after 20 unknown ones?"""
    from lms.circles.models import JoinPolicy
    from tests.fixtures.factories import sign_in

    circle = make.circle(join_policy=JoinPolicy.code)
    for n in range(60):
        student = app.test_client()
        sign_in(student, make.user())
        for typo in ("ZZZZ2222", "ZZZZ3333"):
            assert student.post("/join", data={"code": typo}, environ_base={"REMOTE_ADDR": SCHOOL}).status_code == 404
        response = student.post("/join", data={"code": circle.join_code}, environ_base={"REMOTE_ADDR": SCHOOL})
        assert response.status_code == 302, n
    guesser = app.test_client()
    sign_in(guesser, make.user())
    for _ in range(20):
        assert guesser.post("/join", data={"code": "ZZZZ4444"}, environ_base={"REMOTE_ADDR": SCHOOL}).status_code == 404
    response = guesser.post("/join", data={"code": "ZZZZ4444"}, environ_base={"REMOTE_ADDR": SCHOOL})
    assert response.status_code == 429 and "Too many attempts. Try again in 10 minutes." in page_text(response)
