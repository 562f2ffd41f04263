"""First-run set-up, registration, sign-in and sign-out, through HTTP."""
from __future__ import annotations

import re

import pytest

from lms.accounts import operations as account_ops
from lms.accounts.models import User
from lms.extensions import db
from tests.fixtures.app import page_text
from tests.accounts.helpers import confirmation_path, register, session_user_id
from tests.fixtures.factories import PASSWORD

GOOD_PASSWORD = "purple elephants dance"
WRONG_LOGIN = "Wrong email or password."


def _users() -> list[User]:
    return list(db.session.scalars(db.select(User).order_by(User.id)))


def _register(client, **overrides):
    data = {"name": "Ann Lee", "email": "ann@example.org", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    data.update(overrides)
    return client.post("/register", data=data)


_session_user_id = session_user_id


# -- first run -------------------------------------------------------------------------------

def test_first_run_leads_to_setup(client):
    """Does a fresh site send every visitor, on any page, to the first-run page?"""
    for path in ("/", "/login", "/register", "/join"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/setup"), path
    assert client.get("/setup").status_code == 200


def test_setup_creates_the_admin_and_signs_in(client):
    """Does the first-run form create a site administrator and sign them in?"""
    response = client.post("/setup", data={"name": "Root Person", "email": "Root@Example.org",
                                           "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    [admin] = _users()
    assert admin.is_admin and admin.email == "root@example.org"
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome! You are the administrator of this site." in page_text(home)
    assert "Root Person" in page_text(home)


def test_setup_refuses_a_weak_password(client):
    """Does the first-run form refuse a weak password, say why, and create nobody?"""
    response = client.post("/setup", data={"name": "Root", "email": "root@example.org",
                                           "password": "password123", "confirm": "password123"})
    assert response.status_code == 422
    assert "too easy to guess" in page_text(response)
    assert _users() == []


def test_setup_cannot_run_twice(client, app):
    """Once an administrator exists, does /setup lead to sign-in and refuse to create a second one?"""
    client.post("/setup", data={"name": "Root", "email": "root@example.org",
                                "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    other = app.test_client()
    assert other.get("/setup").headers["Location"].endswith("/login")
    response = other.post("/setup", data={"name": "Intruder", "email": "evil@example.org",
                                          "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert [u.email for u in _users()] == ["root@example.org"]
    assert _session_user_id(other) is None


# -- registration ----------------------------------------------------------------------------

def test_register_creates_the_account_and_signs_in(client, make, mailbox):
    """Does registering create the account once the mailed link is opened, and sign the person in?"""
    make.user()  # the site is set up
    response = _register(client, email=" Ann@Example.org ")
    assert response.status_code == 302 and response.headers["Location"] == "/register/sent"
    assert "We sent a message to ann@example.org." in page_text(client.get("/register/sent"))
    assert db.session.scalar(db.select(User).where(User.email == "ann@example.org")) is None  # not yet
    assert _session_user_id(client) is None
    response = register_confirm(client, mailbox)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    user = db.session.scalar(db.select(User).where(User.email == "ann@example.org"))
    assert user is not None and user.name == "Ann Lee" and not user.is_admin
    assert _session_user_id(client) == user.id
    assert "Ann Lee" in page_text(client.get("/"))


def register_confirm(client, mailbox, password=GOOD_PASSWORD, email="ann@example.org"):
    return client.post(confirmation_path(mailbox, email), data={"password": password})


@pytest.mark.parametrize("typed", ["ann@example.org", "ANN@example.ORG", "  Ann@Example.org  "])
def test_register_with_a_taken_email_answers_as_for_a_new_one(client, app, make, mailbox, typed):
    """Does registering an address that has an account (in any case, with spaces) answer exactly as
    for a new address, create nothing, and instead mail the owner how to sign in or reset?"""
    make.user(email="ann@example.org")
    before = len(_users())
    taken = _register(client, email=typed)
    fresh_client = app.test_client()
    new = _register(fresh_client, email="someone.new@example.org")
    assert taken.status_code == new.status_code == 302
    assert taken.headers["Location"] == new.headers["Location"] == "/register/sent"
    taken_page = page_text(client.get("/register/sent")).replace("ann@example.org", "X")
    assert taken_page == page_text(fresh_client.get("/register/sent")).replace("someone.new@example.org", "X")
    assert len(_users()) == before
    assert _session_user_id(client) is None
    [notice] = mailbox.to("ann@example.org")
    body = notice.get_payload(decode=True).decode()
    assert notice["Subject"] == "Someone tried to register with your address"
    assert "http://localhost/login" in body and "http://localhost/password/forgot" in body
    assert "/register/confirm/" not in body


def test_confirmation_needs_the_registration_password(client, app, make, mailbox):
    """Can someone who registered another person's address have that person open the account with the
    intruder's password? (The link alone is not enough: it asks for the password chosen.)"""
    make.user()
    _register(client, email="victim@example.org", password="intruders own secret",
              confirm="intruders own secret")
    victim = app.test_client()
    path = confirmation_path(mailbox, "victim@example.org")
    page = victim.get(path)  # a mail scanner or the person opening it creates nothing
    assert page.status_code == 200 and "victim@example.org" in page_text(page)
    assert db.session.scalar(db.select(User).where(User.email == "victim@example.org")) is None
    wrong = victim.post(path, data={"password": GOOD_PASSWORD})
    assert wrong.status_code == 401
    assert "This is not the password you chose when you registered." in page_text(wrong)
    assert db.session.scalar(db.select(User).where(User.email == "victim@example.org")) is None


def test_confirmation_link_works_once(client, make, mailbox):
    """Once the account exists, does the same link lead back to registration with a message?"""
    make.user()
    _register(client)
    path = confirmation_path(mailbox, "ann@example.org")
    assert client.post(path, data={"password": GOOD_PASSWORD}).status_code == 302
    again = client.application.test_client()
    response = again.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/register"
    assert "This link has expired or was already used." in page_text(again.get("/register"))


def test_second_registration_of_the_same_address_goes_to_sign_in(client, app, make, mailbox):
    """Two registrations of one new address: after the first is finished, does the second link say
    the account exists (and create no second one)?"""
    make.user()
    _register(client)
    other = app.test_client()
    _register(other)
    first, second = [m.get_payload(decode=True).decode() for m in mailbox.to("ann@example.org")]
    paths = [re.search(r"(/register/confirm/\S+)", body).group(1) for body in (first, second)]
    assert client.post(paths[0], data={"password": GOOD_PASSWORD}).status_code == 302
    response = other.get(paths[1])
    assert response.status_code == 302 and response.headers["Location"] == "/register"
    assert len(db.session.scalars(db.select(User).where(User.email == "ann@example.org")).all()) == 1


@pytest.mark.parametrize("password, email, message", [
    ("short1!", "ann@example.org", "Use at least 8 characters."),
    ("password123", "ann@example.org", "This password is too easy to guess."),
    ("marigold-2024!", "marigold@example.org", "Do not use your name or email address in your password."),
    ("aaaaaaaaaaaa", "ann@example.org", "This password is too easy to guess."),
])
def test_register_refuses_a_weak_password(client, make, password, email, message):
    """Is a weak password (too short, common, made of the email) refused with the reason?"""
    make.user()
    before = len(_users())
    response = _register(client, email=email, password=password, confirm=password)
    assert response.status_code == 422
    assert message in page_text(response)
    assert len(_users()) == before


def test_register_refuses_mismatched_confirmation(client, make):
    """Are two different passwords refused with a message?"""
    make.user()
    response = _register(client, confirm=GOOD_PASSWORD + "x")
    assert response.status_code == 422
    assert "The two passwords are not the same." in page_text(response)
    assert db.session.scalar(db.select(User).where(User.email == "ann@example.org")) is None


@pytest.mark.parametrize("target, expected", [
    ("/profile", "/profile"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_register_follows_next_only_to_local_paths(client, make, mailbox, target, expected):
    """Does registration, once confirmed, go back to a page of this site, and never to another site
    (open redirect)?"""
    make.user()
    response = register(client, mailbox, password=GOOD_PASSWORD, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_register_carries_next_from_the_query_string(client, make):
    """Does the register page keep ?next= in its form, so an invite survives registration?"""
    make.user()
    page = client.get("/register?next=/i/sometoken")
    assert page.status_code == 200
    assert 'value="/i/sometoken"' in page.get_data(as_text=True)


def test_register_ignores_a_forged_timezone(client, make, mailbox):
    """Does a made-up timezone in the hidden field leave the account usable (no broken pages)?"""
    make.user()
    response = register(client, mailbox, password=GOOD_PASSWORD, timezone="Mars/Olympus_Mons")
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "ann@example.org"))
    assert user.timezone is None
    assert client.get("/").status_code == 200


def test_register_keeps_a_real_timezone(client, make, mailbox):
    """Is the browser's timezone from the hidden field kept on the account?"""
    make.user()
    register(client, mailbox, password=GOOD_PASSWORD, timezone="Asia/Shanghai")
    user = db.session.scalar(db.select(User).where(User.email == "ann@example.org"))
    assert user.timezone == "Asia/Shanghai"


def test_signed_in_visitor_is_sent_on_from_register(client, make, login):
    """Does a signed-in person opening /register go on (to a local next only)?"""
    login(make.user())
    assert client.get("/register?next=/profile").headers["Location"] == "/profile"
    assert client.get("/register?next=https://evil.example/").headers["Location"] == "/"


# -- sign-in ---------------------------------------------------------------------------------

def _login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_login_signs_in(client, make):
    """Do the right email and password (email in any case) sign the person in?"""
    user = make.user(email="bob@example.org")
    response = _login(client, "  BOB@example.org ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _session_user_id(client) == user.id
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_login_follows_only_local_next(client, make):
    """After sign-in, is a local ?next= followed and a foreign one ignored?"""
    make.user(email="bob@example.org")
    assert _login(client, "bob@example.org", next="/profile").headers["Location"] == "/profile"
    other = client.application.test_client()
    response = _login(other, "bob@example.org", next="https://evil.example/")
    assert response.headers["Location"] == "/"


def test_wrong_password_and_unknown_email_look_the_same(client, make):
    """Do a wrong password and an unknown email get the same status and the same page (no enumeration)?"""
    make.user(email="bob@example.org")
    wrong_password = _login(client, "bob@example.org", "not the password at all")
    unknown_email = _login(client, "nobody@example.org", "not the password at all")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert WRONG_LOGIN in page_text(wrong_password)
    assert page_text(wrong_password) == page_text(unknown_email)
    assert _session_user_id(client) is None


SUSPENDED = "This account is suspended."


def test_disabled_account_cannot_sign_in(client, make):
    """Can a disabled account sign in with its right password, and is it told why (not "wrong password")?"""
    admin = make.user(is_admin=True)
    user = make.user(email="bob@example.org")
    account_ops.set_disabled(user, True, admin)
    db.session.commit()
    response = _login(client, "bob@example.org")
    assert response.status_code == 403
    assert SUSPENDED in page_text(response) and WRONG_LOGIN not in page_text(response)
    assert _session_user_id(client) is None


def test_suspension_is_told_only_to_someone_with_the_password(client, make):
    """Does a wrong password for a suspended account read exactly like one for an unknown address?"""
    admin = make.user(is_admin=True)
    user = make.user(email="bob@example.org")
    account_ops.set_disabled(user, True, admin)
    db.session.commit()
    wrong_password = _login(client, "bob@example.org", "not the password at all")
    unknown_email = _login(client, "nobody@example.org", "not the password at all")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert SUSPENDED not in page_text(wrong_password)
    assert page_text(wrong_password) == page_text(unknown_email)


def test_disabling_ends_open_sessions(client, make, app):
    """Is a person who is signed in signed out as soon as their account is disabled?"""
    admin = make.user(is_admin=True)
    user = make.user(email="bob@example.org")
    _login(client, "bob@example.org")
    assert client.get("/profile").status_code == 200
    account_ops.set_disabled(db.session.get(User, user.id), True, db.session.get(User, admin.id))
    db.session.commit()
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_form_needs_both_fields(client, make):
    """Is an empty sign-in form answered with 422 and field errors?"""
    make.user()
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert "This field is required." in page_text(response)


def test_signed_in_visitor_is_sent_on_from_login(client, make, login):
    """Does a signed-in person opening /login go on to a local page only?"""
    login(make.user())
    assert client.get("/login?next=/profile").headers["Location"] == "/profile"
    assert client.get("/login?next=https://evil.example/").headers["Location"] == "/"


def test_login_starts_a_fresh_session(client, make):
    """Is the session replaced on sign-in, so a planted session (fixation) carries nothing over?"""
    make.user(email="bob@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    _login(client, "bob@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_login_required_pages_send_to_login_with_next(client, make):
    """Does a signed-out visitor of a private page go to sign-in, with the page as next?"""
    make.user()
    response = client.get("/profile")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


# -- sign-out --------------------------------------------------------------------------------

def test_logout_by_get_is_not_allowed(client, make, login):
    """Is GET /logout refused (405), so a link or an image cannot sign someone out?"""
    login(make.user())
    response = client.get("/logout")
    assert response.status_code == 405
    assert client.get("/profile").status_code == 200


def test_logout_without_csrf_token_is_refused(client, make, login):
    """Is a sign-out POST without the CSRF token refused (400) and the person still signed in?"""
    login(make.user())
    response = client.post("/logout", csrf=False)
    assert response.status_code == 400
    assert "Your form expired" in page_text(response)
    assert client.get("/profile").status_code == 200


def test_logout_signs_out(client, make):
    """Does a proper sign-out end the session?"""
    make.user(email="bob@example.org")
    _login(client, "bob@example.org")
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "You are signed out." in page_text(client.get("/login"))
    assert client.get("/profile").status_code == 302


def test_language_chosen_before_sign_in_stays(client, make):
    """Does a language picked on the sign-in page survive signing in (the session is renewed)?"""
    make.user(email="bob@example.org")
    client.post("/language", data={"locale": "zh_Hans", "next": "/login"})
    _login(client, "bob@example.org")
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html


def test_logout_ends_a_remembered_sign_in(client, make):
    """After signing out, does "keep me signed in" no longer sign the person back in?"""
    make.user(email="bob@example.org")
    _login(client, "bob@example.org", remember="y")
    assert client.get_cookie("remember_token") is not None
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None
    assert client.get("/profile").status_code == 302


def test_remembered_sign_in_survives_the_session(client, make):
    """With "keep me signed in", does a new browser session (session cookie gone) stay signed in?"""
    make.user(email="bob@example.org")
    _login(client, "bob@example.org", remember="y")
    client.delete_cookie("session")
    assert client.get("/profile").status_code == 200


def test_password_change_voids_remembered_sign_ins(client, make, app):
    """Does a password reset/change also void the "keep me signed in" cookie of other browsers?"""
    user = make.user(email="bob@example.org")
    _login(client, "bob@example.org", remember="y")
    client.delete_cookie("session")
    account_ops.set_password(db.session.get(User, user.id), "a brand new sentence")
    db.session.commit()
    assert client.get("/profile").status_code == 302


def test_registration_of_a_known_address_keeps_the_invite_in_the_mailed_sign_in_link(client, make, mailbox):
    """A student with an account registers again through an invite: does the mail to the owner lead
    to sign-in and from there back to the invite?"""
    make.user(email="ann@example.org")
    _register(client, next="/i/classtoken")
    [notice] = mailbox.to("ann@example.org")
    body = notice.get_payload(decode=True).decode()
    link = re.search(r"http://localhost(/login\S*)", body).group(1)
    page = client.get(link)
    assert 'value="/i/classtoken"' in page.get_data(as_text=True)  # the sign-in form carries it on
    response = client.post(link, data={"email": "ann@example.org", "password": PASSWORD, "next": "/i/classtoken"})
    assert response.headers["Location"] == "/i/classtoken"


def test_known_and_new_addresses_do_the_same_slow_work(client, make, monkeypatch):
    """Does registering a known address hash the password just as a new address does, so the answer
    takes about as long (no enumeration by timing)?"""
    from lms.accounts import operations

    calls = []
    real = operations.hash_password
    monkeypatch.setattr(operations, "hash_password", lambda password: calls.append(password) or real(password))
    make.user(email="ann@example.org")
    calls.clear()
    _register(client, email="ann@example.org")
    _register(client.application.test_client(), email="new@example.org")
    assert calls == [GOOD_PASSWORD, GOOD_PASSWORD]
