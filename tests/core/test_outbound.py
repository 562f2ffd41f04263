"""Addresses an organization's admin or a remote platform chose may not reach the server's own network
(lms.core.outbound): the rule itself and a redirect into the private network. The organization's
school sign-in provider and LTI platform: tests/identity and tests/lti, test_private_addresses.py."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from lms.core import outbound


@pytest.fixture
def strict(app, monkeypatch):
    """No host allowed by name: every private address is refused (the tests' default allows loopback)."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ())
    with app.app_context():
        yield


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/x", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.1/",
    "http://172.16.5.5/", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/", "http://0.0.0.0/",
    "file:///etc/passwd", "gopher://example.com/", "http:///nohost",
])
def test_private_reserved_and_non_http_addresses_are_refused(strict, url):
    assert outbound.refusal(url)


@pytest.mark.parametrize("url", ["https://93.184.216.34/", "http://[2606:4700::1111]/keys"])
def test_public_addresses_pass(strict, url):
    assert outbound.refusal(url) is None


def test_a_listed_host_may_be_private(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ["Keycloak.School.Internal", "127.0.0.1"])
    with app.app_context():
        assert outbound.refusal("https://keycloak.school.internal/realms/x") is None
        assert outbound.refusal("http://127.0.0.1:9/") is None
        assert outbound.refusal("http://127.0.0.2:9/")


class _Redirect(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(302)
        self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/inside")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_into_the_private_network_is_refused(app, monkeypatch):
    """The first address is allowed (by name); the redirect's is not, and is never requested."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ["localhost"])
    try:
        with app.app_context(), outbound.session(guarded=True) as http:
            with pytest.raises(outbound.OutboundRefused, match="127.0.0.1"):
                http.get(f"http://localhost:{server.server_port}/start", timeout=5)
            with requests.Session() as plain:  # the same request unguarded follows it
                assert plain.get(f"http://localhost:{server.server_port}/start", timeout=5,
                                 allow_redirects=False).status_code == 302
    finally:
        server.shutdown()
        server.server_close()
