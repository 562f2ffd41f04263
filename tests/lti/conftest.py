"""A test LTI 1.3 platform: its own RSA key, its JWKS served by a small HTTP server on 127.0.0.1, and
helpers that run the login initiation and post a launch it signed, as a browser would."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from lms.extensions import db
from lms.lti import keys
from lms.lti.models import LtiPlatform

ISSUER = "https://canvas.test.example"
CLIENT_ID = "10000000000042"
DEPLOYMENT = "7:deployment-of-circles"
AUTH_URL = "https://canvas.test.example/api/lti/authorize_redirect"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = ROLE + "Instructor"
LEARNER = ROLE + "Learner"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


class _JWKSHandler(BaseHTTPRequestHandler):
    jwks: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps(type(self).jwks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def platform_key():
    return RSAKey.generate_key(2048, parameters={"kid": "platform-key-1", "alg": "RS256", "use": "sig"},
                               private=True)


@pytest.fixture(scope="session")
def jwks_url(platform_key):
    handler = type("Handler", (_JWKSHandler,), {"jwks": {"keys": [platform_key.as_dict(private=False)]}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/lti/security/jwks"
    server.shutdown()
    server.server_close()


@dataclass
class TestPlatform:
    __test__ = False  # not a test class for pytest

    client: object
    key: RSAKey
    record: LtiPlatform
    context: dict = field(default_factory=lambda: {"id": "course-101", "label": "BIO101", "title": "Biology 101"})

    def login(self, **overrides) -> tuple[str, str]:
        """The login initiation; the (state, nonce) the tool sends to the platform's authorize URL."""
        params = {"iss": ISSUER, "login_hint": "hint-1", "target_link_uri": "http://localhost/lti/launch",
                  "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT, **overrides}
        response = self.client.get("/lti/login", query_string=params)
        assert response.status_code == 302, response.get_data(as_text=True)
        location = urlsplit(response.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == AUTH_URL
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert query["client_id"] == CLIENT_ID and query["response_mode"] == "form_post"
        assert query["redirect_uri"] == "http://localhost/lti/launch"
        return query["state"], query["nonce"]

    def claims(self, nonce: str, sub: str = "canvas-user-1", roles=(LEARNER,), **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": ISSUER, "aud": CLIENT_ID, "azp": CLIENT_ID, "sub": sub, "nonce": nonce,
            "iat": now, "exp": now + 300,
            "name": "Ann Lee", "given_name": "Ann", "family_name": "Lee", "email": "ann@school.example",
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT, LTI + "target_link_uri": "http://localhost/lti/launch",
            LTI + "resource_link": {"id": "link-1", "title": "Circles"},
            LTI + "roles": list(roles), LTI + "context": dict(self.context),
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict, key: RSAKey | None = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)

    def post(self, id_token: str, state: str):
        return self.client.post("/lti/launch", data={"id_token": id_token, "state": state}, csrf=False)

    def launch(self, sub: str = "canvas-user-1", roles=(LEARNER,), **overrides):
        state, nonce = self.login()
        return self.post(self.sign(self.claims(nonce, sub=sub, roles=roles, **overrides)), state)


@pytest.fixture
def platform_record(app, jwks_url, make):
    make.user("Site Admin", "admin@example.org", is_admin=True)  # past the first-run set-up
    keys.forget()
    record = LtiPlatform(name="Canvas Test", issuer=ISSUER, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT],
                         auth_login_url=AUTH_URL, auth_token_url=ISSUER + "/login/oauth2/token",
                         keyset_url=jwks_url)
    db.session.add(record)
    db.session.commit()
    return record


@pytest.fixture
def platform(app, platform_record, platform_key):
    return TestPlatform(client=app.test_client(), key=platform_key, record=platform_record)


@pytest.fixture
def new_platform(app, platform_record, platform_key):
    """Another browser on the same platform (another person launching)."""
    def _new():
        return TestPlatform(client=app.test_client(), key=platform_key, record=platform_record)
    return _new


def unique() -> str:
    return uuid.uuid4().hex
