"""Security headers on pages, and the session cookie's flags."""
from __future__ import annotations

import re

import pytest

from tests.fixtures.factories import PASSWORD


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _check_page_headers(response) -> None:
    csp = _directives(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("script-src", []) + csp.get("default-src", [])
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "no-store" in cache


@pytest.mark.parametrize("path", ["/login", "/register", "/password/forgot", "/no-such-page"])
def test_signed_out_pages_carry_security_headers(client, make, path):
    """Do public pages (and error pages) send the CSP without inline script, nosniff, no framing, no caching?"""
    make.user()
    _check_page_headers(client.get(path))


@pytest.mark.parametrize("path", ["/", "/profile", "/join", "/circles/new"])
def test_signed_in_pages_carry_security_headers(client, make, login, path):
    """Do signed-in pages (personal data) carry the same headers, including no-store?"""
    login(make.user())
    response = client.get(path)
    assert response.status_code == 200
    _check_page_headers(response)


def test_setup_page_carries_security_headers(client):
    """Does the first-run page carry the headers too?"""
    _check_page_headers(client.get("/setup"))


@pytest.mark.parametrize("path", ["/", "/profile", "/join", "/circles/new"])
def test_pages_have_no_inline_script_or_style(client, make, login, path):
    """Do our pages avoid inline script and style attributes, which the CSP would block?"""
    login(make.user())
    html = client.get(path).get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html)  # no script body
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert " style=" not in html


def test_session_cookie_is_httponly_and_lax(client, make):
    """Is the session cookie set after sign-in HttpOnly and SameSite=Lax?"""
    make.user(email="bob@example.org")
    response = client.post("/login", data={"email": "bob@example.org", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        flags = [f.strip().lower() for f in cookies[name].split(";")]
        assert "httponly" in flags, name
        assert "samesite=lax" in flags, name


def test_websockets_only_to_this_site(client, make, login):
    """Does the CSP let a page open websockets (Socket.IO) to this site only, not to any host?"""
    login(make.user())
    connect = _directives(client.get("/"))["connect-src"]
    assert "ws:" not in connect and "wss:" not in connect
    assert set(connect) == {"'self'", "ws://localhost", "wss://localhost"}
