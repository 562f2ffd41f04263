"""Server-side sessions: each sign-in is a row, and ending it voids every copy of its cookies."""
from __future__ import annotations

import contextvars
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.accounts import operations as account_ops
from lms.accounts.models import User, UserSession
from lms.core.types import utcnow
from lms.extensions import db, socketio
from tests.accounts.helpers import session_user_id
from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def _login(client, email="bob@example.org", *, agent=FIREFOX_WINDOWS, ip="192.0.2.10", **extra):
    return client.post("/login", data={"email": email, "password": PASSWORD, **extra},
                       headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": ip})


def _cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def _browser_with(app, cookies: dict[str, str]):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other


def _rows(user) -> list[UserSession]:
    return list(db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)
                                   .order_by(UserSession.id)))


@pytest.fixture
def bob(make):
    return make.user("Bob", email="bob@example.org")


@pytest.mark.parametrize("remember", [False, True])
def test_copied_cookies_do_not_open_the_profile_after_sign_out(app, client, bob, remember):
    """The issue's case: does a copy of the `session` cookie AND of the `remember_token` cookie, taken
    before signing out, still open /profile afterwards? (It must not: sign-out ends the row.)"""
    _login(client, **({"remember": "y"} if remember else {}))
    saved = _cookies(client)
    assert ("remember_token" in saved) is remember
    assert _browser_with(app, saved).get("/profile").status_code == 200  # the copy worked before
    assert client.post("/logout").status_code == 302
    for cookies in (saved, {k: v for k, v in saved.items() if k == "remember_token"}, {"session": saved["session"]}):
        if not cookies:
            continue
        response = _browser_with(app, cookies).get("/profile")
        assert response.status_code == 302 and "/login" in response.headers["Location"], cookies.keys()
    [row] = _rows(bob)
    assert row.ended_at is not None


def test_cookies_carry_only_a_token_and_the_row_only_its_hash(app, client, bob):
    """Do the cookies hold a random token rather than the user id, and is a copied database row
    (its stored hash) useless as a cookie?"""
    _login(client, remember="y")
    with client.session_transaction() as session:
        token = session["_user_id"]
    [row] = _rows(bob)
    assert len(token) >= 40 and str(bob.id) != token and row.token_hash != token
    assert row.token_hash == UserSession.hash_token(token)
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = row.token_hash
    assert forged.get("/profile").status_code == 302
    with forged.session_transaction() as session:
        session["_user_id"] = f"{bob.id}:1"  # the old form of the id
    assert forged.get("/profile").status_code == 302


def test_each_sign_in_is_a_row_with_its_device(app, client, bob):
    """Does each sign-in create its own session row, with the browser, the address and "keep me
    signed in" recorded?"""
    _login(client)
    _login(app.test_client(), agent=SAFARI_IPHONE, ip="198.51.100.7", remember="y")
    first, second = _rows(bob)
    assert (first.browser, first.system, first.ip, first.is_remembered) == ("Firefox", "Windows", "192.0.2.10", False)
    assert (second.browser, second.system, second.ip, second.is_remembered) == ("Safari", "iOS", "198.51.100.7", True)
    assert first.ended_at is None and second.ended_at is None


@pytest.mark.parametrize("agent, browser, system", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
     "Safari/537.36 Edg/126.0.0.0", "Edge", "Windows"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
     "Mobile Safari/537.36", "Chrome", "Android"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
     "Safari/605.1.15", "Safari", "macOS"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 MicroMessenger/8.0.49", "WeChat", "iOS"),
    ("curl/8.5.0", None, None),
    ("", None, None),
])
def test_user_agent_is_read_simply(agent, browser, system):
    """Are common browsers and systems named from the user agent, and unknown ones left unnamed?"""
    row = UserSession(user_agent=agent)
    assert (row.browser, row.system) == (browser, system)


def test_sessions_page_lists_devices_and_this_one(app, client, bob, make):
    """Does "Where you're signed in" list every live session of the viewer (browser, system, address,
    last seen in the viewer's zone, "this device"), and nobody else's?"""
    bob.timezone = "Asia/Shanghai"
    db.session.commit()
    _login(client)
    _login(app.test_client(), agent=SAFARI_IPHONE, ip="198.51.100.7", remember="y")
    phone = _rows(bob)[1]
    phone.created_at = phone.last_seen_at = utcnow().replace(hour=4, minute=0, second=0, microsecond=0) \
        - timedelta(days=3)
    db.session.commit()
    shanghai_noon = phone.last_seen_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert shanghai_noon.hour == 12
    stranger = make.user(email="eve@example.org")
    _login(app.test_client(), "eve@example.org", ip="203.0.113.99")
    ended = app.test_client()
    _login(ended, ip="203.0.113.50")
    ended.post("/logout")
    text = page_text(client.get("/profile/sessions"))
    assert "Where you're signed in" in text
    assert "Firefox · Windows (this device)" in text and "Safari · iOS" in text
    assert "192.0.2.10" in text and "198.51.100.7" in text
    assert "203.0.113.99" not in text and "203.0.113.50" not in text  # someone else's; an ended one
    assert "Times are shown in Asia/Shanghai." in text
    assert f"{shanghai_noon.month}/{shanghai_noon.day}/{shanghai_noon:%y}, 12:00 PM" in text  # last seen, in her zone
    assert stranger is not None


def test_signing_out_another_device_from_the_page(app, client, bob, make):
    """Does "Sign out" on a row end that device's session (its browser is signed out) and keep this
    one, while another person's session id is 404?"""
    _login(client)
    phone = app.test_client()
    _login(phone, agent=SAFARI_IPHONE)
    mine, theirs = _rows(bob)
    make.user(email="eve@example.org")
    eve = app.test_client()
    _login(eve, "eve@example.org")
    eve_row = db.session.scalar(db.select(UserSession).join(User).where(User.email == "eve@example.org"))
    assert client.post(f"/profile/sessions/{eve_row.id}/end").status_code == 404
    assert eve.get("/profile").status_code == 200
    response = client.post(f"/profile/sessions/{theirs.id}/end")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/sessions")
    assert phone.get("/profile").status_code == 302
    assert client.get("/profile").status_code == 200
    # Ending this device's own row signs this browser out.
    response = client.post(f"/profile/sessions/{mine.id}/end")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/profile").status_code == 302


def test_sign_out_everywhere_else(app, client, bob):
    """Does "Sign out everywhere else" end every other session and keep this one?"""
    _login(client)
    others = [app.test_client() for _ in range(3)]
    for other in others:
        _login(other, remember="y")
    response = client.post("/profile/sessions/end-others", follow_redirects=True)
    assert "3 other devices are signed out." in page_text(response)
    assert client.get("/profile").status_code == 200
    for other in others:
        assert other.get("/profile").status_code == 302
        assert _browser_with(app, {"remember_token": _cookies(other).get("remember_token", "x")}) \
            .get("/profile").status_code == 302


def test_disabling_ends_every_session(app, client, bob, make):
    """Does disabling an account end all its session rows (and re-enabling revive none)?"""
    admin = make.user(is_admin=True)
    _login(client, remember="y")
    saved = _cookies(client)
    account_ops.set_disabled(db.session.get(User, bob.id), True, db.session.get(User, admin.id))
    db.session.commit()
    assert all(row.ended_at is not None for row in _rows(bob))
    account_ops.set_disabled(db.session.get(User, bob.id), False, db.session.get(User, admin.id))
    db.session.commit()
    assert _browser_with(app, saved).get("/profile").status_code == 302


def test_end_sessions_keeps_the_one_asked(app, bob):
    """Does end_sessions(user, except_session=...) end all the others and say how many?"""
    rows = []
    for _ in range(3):
        account_ops.start_session(bob, user_agent="x", ip=None)
        rows.append(bob.current_session)
    db.session.commit()
    assert account_ops.end_sessions(bob, except_session=rows[1]) == 2
    db.session.commit()
    assert [row.ended_at is None for row in _rows(bob)] == [False, True, False]


def _age(row_id: int, **ages: timedelta) -> None:
    row = db.session.get(UserSession, row_id)
    for column, delta in ages.items():
        setattr(row, column, getattr(row, column) - delta)
    db.session.commit()


def test_idle_session_ends(app, client, bob):
    """Is a session not used for longer than SESSION_IDLE_SECONDS (14 days) signed out, while one used
    13 days ago still works?"""
    _login(client)
    [row] = _rows(bob)
    _age(row.id, last_seen_at=timedelta(days=13), created_at=timedelta(days=13))
    assert client.get("/profile").status_code == 200
    _age(row.id, last_seen_at=timedelta(days=15), created_at=timedelta(days=15))
    assert client.get("/profile").status_code == 302


def test_remembered_session_lasts_until_its_absolute_limit(app, client, bob):
    """With "keep me signed in", does an idle month leave the person signed in, while a session older
    than SESSION_MAX_SECONDS (365 days) ends?"""
    _login(client, remember="y")
    [row] = _rows(bob)
    _age(row.id, last_seen_at=timedelta(days=40), created_at=timedelta(days=40))
    client.delete_cookie("session", domain="localhost")
    assert client.get("/profile").status_code == 200
    _age(row.id, created_at=timedelta(days=330))
    client.delete_cookie("session", domain="localhost")
    assert client.get("/profile").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, client, bob):
    """Do page views within a minute leave last_seen_at alone (no write per request), and one after a
    minute refresh it and the address?"""
    _login(client)
    [row] = _rows(bob)
    first_seen = row.last_seen_at
    for _ in range(3):
        assert client.get("/profile", environ_base={"REMOTE_ADDR": "192.0.2.99"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).last_seen_at == first_seen
    _age(row.id, last_seen_at=timedelta(minutes=2))
    client.get("/profile", environ_base={"REMOTE_ADDR": "192.0.2.99"})
    db.session.expire_all()
    row = db.session.get(UserSession, row.id)
    assert (utcnow() - row.last_seen_at) < timedelta(seconds=30) and row.ip == "192.0.2.99"


def test_ended_session_cannot_open_a_socket(app, client, bob):
    """Does Socket.IO use the same session check: a live session connects, an ended one does not?"""
    _login(client)
    saved = _cookies(client)
    sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=_browser_with(app, saved))
    assert sock.is_connected()
    sock.disconnect()
    client.post("/logout")
    sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=_browser_with(app, saved))
    assert not sock.is_connected()


def test_signed_in_state_follows_the_row(app, client, bob):
    """Is the signed-in user the one of the row the cookie names?"""
    _login(client)
    assert session_user_id(client) == bob.id


def test_purge_keeps_live_and_recent_sessions(app, bob):
    """Does the periodic purge delete only sessions ended or expired over 30 days ago (and expired
    registration requests), keeping live ones and recently ended ones?"""
    from lms.accounts.tasks import purge_sessions

    rows = []
    for _ in range(5):
        account_ops.start_session(bob, user_agent="x", ip=None)
        rows.append(bob.current_session.id)
    db.session.commit()
    now = utcnow()
    live, recent, old, idle_long_ago, remembered_idle = (db.session.get(UserSession, i) for i in rows)
    recent.ended_at = now - timedelta(days=29)
    old.ended_at = now - timedelta(days=31)
    idle_long_ago.last_seen_at = now - timedelta(days=14 + 31)
    remembered_idle.is_remembered = True
    remembered_idle.last_seen_at = now - timedelta(days=14 + 31)
    db.session.commit()
    purge_sessions()
    assert [row.id for row in _rows(bob)] == [live.id, recent.id, remembered_idle.id]


def test_operator_can_sign_an_account_out_everywhere(app, client, bob):
    """Does `flask users sign-out EMAIL` end every session of that account?"""
    _login(client, remember="y")
    saved = _cookies(client)
    result = app.test_cli_runner().invoke(args=["users", "sign-out", "BOB@example.org"])
    assert result.exit_code == 0 and "1 session(s) of bob@example.org ended" in result.output
    assert _browser_with(app, saved).get("/profile").status_code == 302
    result = app.test_cli_runner().invoke(args=["users", "sign-out", "nobody@example.org"])
    assert result.exit_code == 1 and "no account uses nobody@example.org" in result.output


def test_signing_out_closes_the_open_socket(app, client, bob):
    """Is a page's open Socket.IO connection closed when its session is signed out from elsewhere
    (it would otherwise keep receiving the account's pushes)?"""
    _login(client)
    phone = app.test_client()
    _login(phone, agent=SAFARI_IPHONE)
    phone_socket = contextvars.Context().run(socketio.test_client, app, flask_test_client=phone)
    laptop_socket = contextvars.Context().run(socketio.test_client, app, flask_test_client=client)
    assert phone_socket.is_connected() and laptop_socket.is_connected()
    client.post("/profile/sessions/end-others")
    assert not phone_socket.is_connected()
    assert laptop_socket.is_connected()
    laptop_socket.disconnect()


ENDED_NOTE = "You were signed out on this device"


@pytest.mark.parametrize("remember", [False, True])
def test_a_device_signed_out_elsewhere_is_told_once(app, client, bob, remember):
    """Issue 8, tried on a phone: does a device whose session was ended from another device land on
    the sign-in page saying why, once, with its stale cookies forgotten?"""
    _login(client)
    phone = app.test_client()
    _login(phone, agent=SAFARI_IPHONE, **({"remember": "y"} if remember else {}))
    theirs = _rows(bob)[1]
    assert client.post(f"/profile/sessions/{theirs.id}/end").status_code == 302
    response = phone.get("/profile", follow_redirects=True)
    assert response.request.path == "/login" and ENDED_NOTE in page_text(response)
    assert ENDED_NOTE not in page_text(phone.get("/login"))
    assert phone.get_cookie("remember_token") is None
    assert phone.get("/profile").status_code == 302


def test_an_expired_session_is_explained(app, client, bob):
    """Is a session that ran past its idle limit explained the same way on the next visit?"""
    _login(client)
    [row] = _rows(bob)
    _age(row.id, last_seen_at=timedelta(days=15), created_at=timedelta(days=15))
    assert ENDED_NOTE in page_text(client.get("/profile", follow_redirects=True))


def test_an_unknown_token_or_own_sign_out_says_nothing_of_it(app, client, bob):
    """Does a session cookie carrying a token that never existed, or signing out here, show no
    "signed out on this device" note (nothing is told about tokens that are not real sessions)?"""
    with client.session_transaction() as browser_session:
        browser_session["_user_id"] = "made-up-token"
    response = client.get("/profile", follow_redirects=True)
    assert response.request.path == "/login" and ENDED_NOTE not in page_text(response)
    _login(client)
    response = client.post("/logout", follow_redirects=True)
    assert "You are signed out." in page_text(response) and ENDED_NOTE not in page_text(response)
