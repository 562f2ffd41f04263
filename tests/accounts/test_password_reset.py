"""Password reset by mailed link, through HTTP; mail is read from <instance>/mail/."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from lms.accounts import operations as account_ops
from lms.accounts.models import User
from lms.extensions import db
from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD

NEW_PASSWORD = "seven green lanterns"
SENT = "If an account uses this address, we have sent it a link to reset the password."


def reset_path(mailbox) -> str:
    """The path of the reset link in the only message sent."""
    [message] = mailbox.messages()
    body = message.get_payload(decode=True).decode()
    [link] = re.findall(r"https?://\S+/password/reset/\S+", body)
    return urlsplit(link).path


def _forgot(client, address):
    return client.post("/password/forgot", data={"email": address})


def _login(client, address, password):
    return client.post("/login", data={"email": address, "password": password})


def test_reset_request_mails_a_link(client, make, mailbox):
    """Does asking for a reset for a known email send one message with a link to that address?"""
    make.user(email="bob@example.org")
    response = _forgot(client, "Bob@Example.org")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert SENT in page_text(client.get("/login"))
    [message] = mailbox.messages()
    assert message["To"] == "bob@example.org"
    assert "Reset your Circles password" in message["Subject"]
    assert reset_path(mailbox).startswith("/password/reset/")


def test_unknown_email_gets_the_same_answer_and_no_mail(client, make, mailbox):
    """Does an unknown email get the same confirmation as a known one, with nothing sent?"""
    make.user(email="bob@example.org")
    unknown = _forgot(client, "nobody@example.org")
    unknown_page = page_text(client.get("/login"))
    assert mailbox.messages() == []
    known = _forgot(client, "bob@example.org")
    known_page = page_text(client.get("/login"))
    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    assert SENT in unknown_page and unknown_page == known_page
    assert len(mailbox.messages()) == 1


def test_disabled_account_gets_no_reset_mail(client, make, mailbox):
    """Is no reset link sent to a disabled account (it could not sign in anyway)?"""
    admin = make.user(is_admin=True)
    user = make.user(email="bob@example.org")
    account_ops.set_disabled(user, True, admin)
    db.session.commit()
    assert _forgot(client, "bob@example.org").status_code == 302
    assert mailbox.messages() == []


def test_forgot_form_refuses_a_non_address(client, make, mailbox):
    """Is something that is not an email address refused with 422 and nothing sent?"""
    make.user()
    response = _forgot(client, "not an address")
    assert response.status_code == 422
    assert mailbox.messages() == []


def test_link_sets_a_new_password(client, make, mailbox, app):
    """Does the mailed link let the person choose a new password, after which only the new one works?"""
    make.user(email="bob@example.org")
    _forgot(client, "bob@example.org")
    path = reset_path(mailbox)
    form = client.get(path)
    assert form.status_code == 200
    assert "bob@example.org" in page_text(form)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "Your password has been changed." in page_text(client.get("/login"))
    assert _login(app.test_client(), "bob@example.org", PASSWORD).status_code == 401
    assert _login(app.test_client(), "bob@example.org", NEW_PASSWORD).status_code == 302


def test_reset_refuses_a_weak_password(client, make, mailbox, app):
    """Is a weak new password refused with the reason, leaving the old one working?"""
    make.user(email="bob@example.org")
    _forgot(client, "bob@example.org")
    path = reset_path(mailbox)
    response = client.post(path, data={"password": "password123", "confirm": "password123"})
    assert response.status_code == 422
    assert "too easy to guess" in page_text(response)
    assert _login(app.test_client(), "bob@example.org", PASSWORD).status_code == 302


def test_link_works_only_once(client, make, mailbox):
    """Is a used reset link refused the second time, with a message?"""
    make.user(email="bob@example.org")
    _forgot(client, "bob@example.org")
    path = reset_path(mailbox)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.get(path)
    assert again.status_code == 302 and again.headers["Location"].endswith("/password/forgot")
    assert "This reset link was already used." in page_text(client.get("/password/forgot"))
    second = client.post(path, data={"password": "another fine sentence", "confirm": "another fine sentence"})
    assert second.status_code == 302
    assert _login(client, "bob@example.org", NEW_PASSWORD).status_code == 302


def test_expired_link_is_refused(client, make, mailbox, app, monkeypatch):
    """Is a link older than PASSWORD_RESET_MAX_AGE refused with the "expired" message?"""
    make.user(email="bob@example.org")
    _forgot(client, "bob@example.org")
    path = reset_path(mailbox)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert "This reset link has expired." in page_text(client.get("/password/forgot"))
    assert _login(client, "bob@example.org", PASSWORD).status_code == 302


def test_forged_link_is_refused(client, make):
    """Is a made-up or tampered token refused with a message?"""
    make.user()
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 302
    assert "This reset link is not valid." in page_text(client.get("/password/forgot"))


def test_reset_signs_out_other_sessions(client, make, mailbox, app):
    """After a reset, are the person's other signed-in sessions signed out?"""
    user = make.user(email="bob@example.org")
    laptop = app.test_client()
    assert _login(laptop, "bob@example.org", PASSWORD).status_code == 302
    assert laptop.get("/profile").status_code == 200
    _forgot(client, "bob@example.org")
    client.post(reset_path(mailbox), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    response = laptop.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    from lms.accounts.models import UserSession

    rows = db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)).all()
    assert rows and all(row.ended_at is not None for row in rows)


def test_reset_refuses_the_accounts_own_email_as_password(client, make, mailbox):
    """Does the new password policy on the reset form also refuse one built from the account's email?"""
    make.user(email="marigold@example.org")
    _forgot(client, "marigold@example.org")
    weak = "my marigold secret"
    response = client.post(reset_path(mailbox), data={"password": weak, "confirm": weak})
    assert response.status_code == 422
    assert "Do not use your name or email address in your password." in page_text(response)


FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


@pytest.mark.parametrize("server_name, scheme, expected", [
    ("circles.example.org", "https", "https://circles.example.org/"),
    (None, None, "http://127.0.0.1:5000/"),  # nothing configured, outside production
])
def test_mailed_links_never_come_from_the_request_host(client, make, mailbox, monkeypatch, app,
                                                       server_name, scheme, expected):
    """The issue's case: with a forged Host (and X-Forwarded-Host) header, do the reset mail, the
    registration mail and the "someone tried to register" mail still link to the configured host,
    never to the forged one?"""
    monkeypatch.setitem(app.config, "SERVER_NAME", server_name)
    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", scheme)
    # the test client keeps cookies per host, so the CSRF cookie of "localhost" is not sent to the forged one
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    make.user(email="bob@example.org")
    assert client.post("/password/forgot", data={"email": "bob@example.org"}, headers=FORGED).status_code == 302
    for email in ("bob@example.org", "new@example.org"):
        response = client.post("/register", headers=FORGED, data={
            "name": "Someone", "email": email, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 302
    bodies = [m.get_payload(decode=True).decode() for m in mailbox.messages()]
    assert len(bodies) == 3
    links = [link for body in bodies for link in re.findall(r"https?://\S+", body)]
    assert len(links) == 4  # reset; confirm; sign in and reset in the notice
    assert all(link.startswith(expected) for link in links), links
    assert not any("evil.example" in body for body in bodies)


def test_production_refuses_to_start_without_a_public_host(tmp_path, monkeypatch):
    """Does a production configuration without LMS_SERVER_NAME refuse to start (instead of building
    links in mail from whatever Host a request carries)?"""
    from lms import create_app
    from lms.config import ProductionConfig

    class Config(ProductionConfig):
        INSTANCE_PATH = str(tmp_path)
        SECRET_KEY = "x" * 40
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"

    monkeypatch.delenv("LMS_SERVER_NAME", raising=False)
    with pytest.raises(RuntimeError, match="LMS_SERVER_NAME must be set in production"):
        create_app(Config)
