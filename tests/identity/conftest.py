"""A real OpenID provider for the school sign-in tests: Node's oidc-provider (tests/node/oidc_provider.mjs)
started once for the session on a free port, and a scripted person who signs in on its pages."""
from __future__ import annotations

import html
import json
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from lms.extensions import db
from lms.identity.models import IdentityProvider
from tests.fixtures.services import require_service

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
#: the app's callback address under TestConfig (SERVER_NAME "localhost")
REDIRECT_URI = "http://localhost/login/oidc/callback"
CLIENT_ID = "circles-test"
CLIENT_SECRET = "a-long-client-secret-for-the-tests-0123456789"

#: the provider's people, by login: claims it gives (email verified or not, a foreign domain, a student number)
ACCOUNTS = {
    "ann": {"email": "ann@school.example", "email_verified": True, "name": "Ann Lee", "student_number": "S-1001",
            "school_role": "student"},
    "ben": {"email": "Ben@School.example", "email_verified": True, "name": "Ben Ode"},
    "una": {"email": "una@school.example", "email_verified": False, "name": "Una Verified"},
    "fay": {"email": "fay@elsewhere.example", "email_verified": True, "name": "Fay Far"},
    "cat": {"email": "cat@school.example", "email_verified": True, "name": "Cat Kim"},
    "dan": {"email": "dan@school.example", "email_verified": True, "name": "Dan Oak"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class OpenIDProvider:
    issuer: str

    def sign_in(self, authorize_url: str, login: str) -> str:
        """Follow `authorize_url` as a browser would, sign in as `login` on the provider's form, consent,
        and return the address the provider sends the browser back to (the app's callback, with the code)."""
        browser = requests.Session()
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        for _ in range(12):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if target.startswith(REDIRECT_URI):
                    return target
                response = browser.get(target, allow_redirects=False, timeout=10)
                continue
            assert response.status_code == 200, response.text[:500]
            action = re.search(r'<form[^>]*action="([^"]+)"', response.text).group(1)
            prompt = re.search(r'name="prompt" value="(\w+)"', response.text).group(1)
            data = {"prompt": prompt}
            if prompt == "login":
                data.update(login=login, password="anything")
            response = browser.post(urljoin(response.url, html.unescape(action)), data=data, allow_redirects=False,
                                    timeout=10)
        raise AssertionError("the provider never sent the browser back")


@pytest.fixture(scope="session")
def openid_provider(tmp_path_factory):
    """oidc-provider on 127.0.0.1, one client registered with the app's callback, the ACCOUNTS above."""
    node = shutil.which("node")
    installed = (NODE_DIR / "node_modules" / "oidc-provider" / "package.json").exists()
    require_service("Node with oidc-provider", bool(node) and installed,
                    "node is not installed or tests/node/node_modules is missing (run scripts/setup)")
    port = _free_port()
    config = {"port": port, "accounts": ACCOUNTS,
              "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI],
                           "grant_types": ["authorization_code"], "response_types": ["code"]}]}
    # Its warnings go to a file: a pipe nobody reads could fill and stall the provider.
    log = tmp_path_factory.mktemp("oidc-provider") / "stderr.log"
    with log.open("w") as errors:
        process = subprocess.Popen([node, str(NODE_DIR / "oidc_provider.mjs"), json.dumps(config)], cwd=NODE_DIR,
                                   stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        line = process.stdout.readline()  # blocks until it listens, or it exits (then the line is empty)
        assert line.startswith("ready "), f"oidc-provider did not start: {line!r} {log.read_text()[-2000:]}"
        yield OpenIDProvider(issuer=line.split()[1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stdout.close()


@pytest.fixture
def add_provider(app, openid_provider):
    """Set up a provider in the app for the test provider (site-wide unless `org` is given)."""

    def _add(org=None, **settings) -> IdentityProvider:
        provider = IdentityProvider(org_id=org.id if org else None, name=settings.pop("name", "Springfield High"),
                                    issuer=openid_provider.issuer, client_id=CLIENT_ID,
                                    scopes=settings.pop("scopes", "openid email profile school"),
                                    student_number_claim="student_number", role_claim="school_role", **settings)
        provider.client_secret = CLIENT_SECRET
        db.session.add(provider)
        db.session.commit()
        return provider

    return _add


def callback_path(url: str) -> str:
    """The app-relative part of the provider's redirect back to the app."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def authorization_url_of(start) -> str:
    """Where the answer to a sign-in button sends the browser: a page (200, not a redirect, which the page's
    CSP form-action 'self' would block in Chromium) that moves on by its Refresh header, or by its link."""
    assert start.status_code == 200, start.data[:500]
    assert start.headers["Cache-Control"] == "no-store"
    refresh = start.headers["Refresh"]
    assert refresh.startswith("0; url="), refresh
    url = refresh[len("0; url="):]
    assert f'href="{html.escape(url)}"' in start.get_data(as_text=True)
    return url


@pytest.fixture
def oidc_sign_in(openid_provider):
    """Run the whole round trip on `client`: press the provider's button (or link), sign in as `login` at the
    provider, land on the app's callback. Returns the callback's response."""

    def _run(client, provider, login, *, path=None, data=None, tamper=None):
        start = client.post(path or f"/login/oidc/{provider.id}", data=data or {})
        authorize_url = authorization_url_of(start)
        assert authorize_url.startswith(openid_provider.issuer), authorize_url
        if tamper:
            authorize_url = tamper(authorize_url)
        back = openid_provider.sign_in(authorize_url, login)
        return client.get(callback_path(back))

    return _run
