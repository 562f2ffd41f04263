"""LTI Dynamic Registration against a platform that answers as Moodle does: its OpenID configuration as
moodle/moodle mod/lti/openid-configuration.php publishes it (issuer = wwwroot, token.php, certs.php,
auth.php, openid-registration.php, the lti-platform-configuration with product_family_code "moodle"), and a
registration endpoint that checks the tool's registration as mod/lti/classes/local/ltiopenid/
registration_helper.php does (a domain, and a target_link_uri on it; response_types with id_token;
grant_types implicit and client_credentials; redirect_uris a list; token_endpoint_auth_method
private_key_jwt; application_type web) and answers with a client_id and the deployment id in the
lti-tool-configuration."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.lti.models import LtiPlatform

TOOL = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class _Moodle(BaseHTTPRequestHandler):
    state: dict = {}

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        base = type(self).state["base"]
        if self.path == "/mod/lti/openid-configuration.php":
            return self._send(200, {
                "issuer": type(self).state.get("issuer", base), "token_endpoint": base + "/mod/lti/token.php",
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "jwks_uri": base + "/mod/lti/certs.php", "authorization_endpoint": base + "/mod/lti/auth.php",
                "registration_endpoint": base + "/mod/lti/openid-registration.php",
                "scopes_supported": ["openid"], "response_types_supported": ["id_token"],
                "subject_types_supported": ["public", "pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle", "version": "4.5", "messages_supported":
                        ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"], "placements": ["AddContentMenu"]}})
        return self._send(404, {})

    def do_POST(self):  # noqa: N802
        state = type(self).state
        if self.path != "/mod/lti/openid-registration.php":
            return self._send(404, {})
        if self.headers.get("Authorization") != "Bearer reg-token-1":
            return self._send(401, {"error": "unauthorized"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        tool = body.get(TOOL) or {}
        errors = []
        if not tool.get("domain"):
            errors.append("missing_domain")
        elif urlsplit(tool.get("target_link_uri") or "").netloc.removeprefix("www.") != tool["domain"]:
            errors.append("domain_targetlinkuri_mismatch")
        if "id_token" not in body.get("response_types", []):
            errors.append("invalid_response_types")
        if not {"implicit", "client_credentials"} <= set(body.get("grant_types", [])):
            errors.append("invalid_grant_types")
        if not isinstance(body.get("redirect_uris"), list):
            errors.append("invalid_redirect_uris")
        if body.get("token_endpoint_auth_method") != "private_key_jwt":
            errors.append("invalid_token_endpoint_auth_method")
        if body.get("application_type", "web") != "web":
            errors.append("invalid_application_type")
        if errors:
            return self._send(400, {"error": errors[0]})
        state["registered"].append(body)
        return self._send(200, {**body, "client_id": "dynReg7xK", TOOL: {**tool, "deployment_id": "3"}})


@pytest.fixture(scope="module")
def moodle_registration():
    handler = type("Handler", (_Moodle,), {"state": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.state["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler.state
    server.shutdown()
    server.server_close()


def test_a_site_admin_registers_circles_with_moodle(app, make, client_as, moodle_registration):
    moodle_registration.update(registered=[])
    moodle_registration.pop("issuer", None)
    admin = make.user(is_admin=True)
    query = {"openid_configuration": moodle_registration["base"] + "/mod/lti/openid-configuration.php",
             "registration_token": "reg-token-1"}
    # signed out (as inside Moodle's frame): asked to open it in a new window
    assert app.test_client().get("/lti/register", query_string=query).status_code == 403
    client = client_as(admin)
    page = client.get("/lti/register", query_string=query)
    assert page.status_code == 200 and moodle_registration["base"] in page.get_data(as_text=True)
    done = client.post("/lti/register", data=query)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "data-registered" in done.get_data(as_text=True)
    [sent] = moodle_registration["registered"]
    assert sent["initiate_login_uri"] == "http://localhost/lti/login"
    assert sent["redirect_uris"] == ["http://localhost/lti/launch"] and sent["jwks_uri"].endswith("/lti/jwks.json")
    platform = db.session.scalar(sa.select(LtiPlatform))
    assert (platform.issuer, platform.client_id, platform.deployment_ids) == \
        (moodle_registration["base"], "dynReg7xK", ["3"])
    assert platform.auth_login_url.endswith("/mod/lti/auth.php") and platform.keyset_url.endswith("/certs.php")
    assert platform.name.startswith("Moodle ") and not platform.trust_email
    # a teacher (no site admin) cannot register
    assert client_as(make.user()).post("/lti/register", data=query).status_code == 403


def test_a_configuration_speaking_for_another_site_is_refused(app, make, client_as, moodle_registration):
    moodle_registration.update(registered=[], issuer="https://moodle.elsewhere.example")
    client = client_as(make.user(is_admin=True))
    query = {"openid_configuration": moodle_registration["base"] + "/mod/lti/openid-configuration.php",
             "registration_token": "reg-token-1"}
    page = client.post("/lti/register", data=query)
    assert page.status_code == 400 and "another site as its issuer" in page.get_data(as_text=True)
    assert moodle_registration["registered"] == [] and db.session.scalar(sa.select(LtiPlatform)) is None
