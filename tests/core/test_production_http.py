"""Production behind a proxy: a site with Secure cookies reached over plain HTTP says what is wrong
(at start-up and on the first request) instead of "Your form expired"; the Socket.IO origin rule
accepts the site's own origin on any port behind the proxy and explains every refusal."""
from __future__ import annotations

import logging

from lms.accounts.operations import register_user
from lms.config import TestConfig, https_problems
from lms.extensions import db
from tests.fixtures.app import create_isolated_app

PLAIN_HTTP = "This site is set up for HTTPS, but this request came over plain HTTP"
FORM_EXPIRED = "Your form expired"


def _app(tmp_path, **settings):
    class Config(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'site.db'}"
        SERVER_NAME = None

    for key, value in settings.items():
        setattr(Config, key, value)
    app = create_isolated_app(Config)
    with app.app_context():
        db.create_all()
        register_user("admin@example.org", "correct horse battery", "Admin", is_admin=True)
        db.session.commit()
    return app


def _errors(caplog, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR and text in r.getMessage()]


def test_form_over_plain_http_explains_tls_instead_of_csrf(tmp_path, caplog):
    """With Secure cookies, does a form sent over plain HTTP (no X-Forwarded-Proto) show the admin's
    explanation, not "form expired", and is it logged at ERROR once per process?"""
    app = _app(tmp_path, SESSION_COOKIE_SECURE=True, PROXY_COUNT=1)
    client = app.test_client()
    with caplog.at_level(logging.INFO):
        page = client.get("/login")
        assert page.status_code == 200  # pages still show; the log already says why forms will fail
        for _ in range(2):
            response = client.post("/login", data={"email": "admin@example.org", "password": "x"})
            body = response.get_data(as_text=True)
            assert response.status_code == 400
            assert PLAIN_HTTP in body and "LMS_PROXY_COUNT=1" in body and "X-Forwarded-Proto" in body
            assert FORM_EXPIRED not in body
    logged = _errors(caplog, "came over plain HTTP")
    assert len(logged) == 1
    assert "X-Forwarded-Proto" in logged[0].getMessage() and "LMS_PROXY_COUNT" in logged[0].getMessage()


def test_form_over_https_through_the_proxy_is_checked_as_usual(tmp_path, caplog):
    """Behind a trusted proxy that says https, is a form without a token the ordinary CSRF refusal
    (the plain-HTTP message is only for plain HTTP), with nothing logged?"""
    app = _app(tmp_path, SESSION_COOKIE_SECURE=True, PROXY_COUNT=1)
    with caplog.at_level(logging.INFO):
        response = app.test_client().post("/login", data={"email": "a@example.org", "password": "x"},
                                          headers={"X-Forwarded-Proto": "https"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and FORM_EXPIRED in body and PLAIN_HTTP not in body
    assert not _errors(caplog, "plain HTTP")


def test_untrusted_forwarded_https_is_named_once_and_not_refused(tmp_path, caplog):
    """A proxy sends X-Forwarded-Proto: https but LMS_PROXY_COUNT is 0: the request did come over TLS,
    so it is served; a WARNING names LMS_PROXY_COUNT once."""
    app = _app(tmp_path, SESSION_COOKIE_SECURE=True, PROXY_COUNT=0)
    client = app.test_client()
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            assert client.get("/login", headers={"X-Forwarded-Proto": "https"}).status_code == 200
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "LMS_PROXY_COUNT" in r.getMessage()]
    assert len(warnings) == 1
    assert not _errors(caplog, "plain HTTP")


def test_site_without_secure_cookies_is_not_checked(tmp_path, caplog):
    """The embedded default (plain HTTP on purpose, cookies not Secure) logs nothing and refuses nothing."""
    app = _app(tmp_path, SESSION_COOKIE_SECURE=False)
    with caplog.at_level(logging.INFO):
        response = app.test_client().post("/login", data={"email": "a@example.org", "password": "x"})
    assert FORM_EXPIRED in response.get_data(as_text=True)
    assert not _errors(caplog, "plain HTTP")


def test_start_up_names_what_breaks_https(tmp_path, caplog):
    """Does a production start-up with settings that cannot work over HTTPS log each problem at ERROR,
    and one with the documented settings log none?"""
    production = {"ENV": "production", "SESSION_COOKIE_SECURE": True, "SECRET_KEY": "k" * 40}
    with caplog.at_level(logging.INFO):
        _app(tmp_path / "bad", **production, SERVER_NAME="http://circles.example.org",
             PREFERRED_URL_SCHEME="http", PROXY_COUNT=0)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("LMS_PREFERRED_URL_SCHEME is 'http'" in m for m in messages)
    assert any("LMS_SERVER_NAME is 'http://circles.example.org'" in m for m in messages)
    assert any("LMS_PROXY_COUNT is 0" in m for m in messages)

    caplog.clear()
    with caplog.at_level(logging.INFO):
        _app(tmp_path / "good", **production, SERVER_NAME="circles.example.org:8443",
             PREFERRED_URL_SCHEME="https", PROXY_COUNT=1)
    assert not [r for r in caplog.records if r.levelno == logging.ERROR]
    assert https_problems({"SESSION_COOKIE_SECURE": False, "PREFERRED_URL_SCHEME": "http"}) == []


# -- Socket.IO origins behind the proxy ----------------------------------------------------------

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def _refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and "Socket.IO refused" in r.getMessage()]


def test_socketio_accepts_own_origin_on_any_port_behind_the_proxy(tmp_path, caplog):
    """Behind nginx on port 8443 (Host with its port, X-Forwarded-Proto: https), is the browser's own
    origin accepted by the Engine.IO handshake, with no refusal logged?"""
    app = _app(tmp_path, PROXY_COUNT=1)
    with caplog.at_level(logging.INFO):
        response = app.test_client().get(HANDSHAKE, headers={
            "Host": "circles.example.org:8443", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7",
            "Origin": "https://circles.example.org:8443"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_data(as_text=True).startswith("0{")  # the Engine.IO open packet
    assert response.headers["Access-Control-Allow-Origin"] == "https://circles.example.org:8443"
    assert _refusals(caplog) == []


def test_socketio_refusal_is_logged_every_time_with_origin_and_allowed_list(tmp_path, caplog):
    """Is a foreign origin refused, and each refusal logged at WARNING with the origin and the allowed
    list? The second case is the old README's `Host $host`, which drops the port."""
    app = _app(tmp_path, PROXY_COUNT=1, SOCKETIO_CORS_ORIGINS=["https://app.example.net"])
    client = app.test_client()
    proxied = {"Host": "circles.example.org:8443", "X-Forwarded-Proto": "https"}
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            response = client.get(HANDSHAKE, headers={**proxied, "Origin": "https://evil.example"})
            assert response.status_code == 400
        port_dropped = client.get(HANDSHAKE, headers={"Host": "circles.example.org", "X-Forwarded-Proto": "https",
                                                      "Origin": "https://circles.example.org:8443"})
        assert port_dropped.status_code == 400
        listed = client.get(HANDSHAKE, headers={**proxied, "Origin": "https://app.example.net"})
        assert listed.status_code == 200
    refusals = _refusals(caplog)
    assert len(refusals) == 3
    for message in refusals[:2]:
        assert "https://evil.example" in message
        assert "https://circles.example.org:8443" in message and "https://app.example.net" in message
    assert "origin https://circles.example.org:8443" in refusals[2]
    assert "allowed are https://circles.example.org," in refusals[2]
