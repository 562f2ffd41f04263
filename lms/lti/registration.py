"""LTI Dynamic Registration 1.0: a platform (Moodle: "Register a tool" with the tool's registration URL)
opens /lti/register?openid_configuration=...&registration_token=...; a site admin signed in to Circles reads
the platform's OpenID configuration, confirms, and Circles posts its client registration to the platform's
registration endpoint; the answer (client id, deployment id) becomes an LtiPlatform."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import lazy_gettext as _l

from lms.lti.launch import LaunchError

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = ("https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score")


class RegistrationError(LaunchError):
    pass


def _url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500


def platform_configuration(config_url: str) -> dict[str, Any]:
    """The platform's OpenID configuration, checked: the endpoints the tool needs are there, and the issuer
    is the configuration URL's own site (Dynamic Registration §3.5.1), so a configuration cannot speak for
    another platform."""
    if not _url(config_url):
        raise RegistrationError(_l("The registration request names no OpenID configuration."))
    try:
        response = requests.get(config_url, timeout=10, headers={"Accept": "application/json"})
        response.raise_for_status()
        config = response.json()
    except (requests.RequestException, ValueError):
        raise RegistrationError(_l("The platform's configuration could not be read.")) from None
    if not isinstance(config, dict) or not all(_url(config.get(k)) for k in (
            "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")):
        raise RegistrationError(_l("The platform's configuration lacks an address Circles needs."))
    issuer = config["issuer"]
    if urlsplit(issuer).netloc != urlsplit(config_url).netloc or not config_url.startswith(issuer.rstrip("/")):
        raise RegistrationError(_l("The platform's configuration names another site as its issuer."))
    return config


def client_registration(urls: dict[str, str], domain: str, name: str) -> dict[str, Any]:
    """The tool's client registration (Dynamic Registration §3.3), as the platform stores it."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls["login"],
        "redirect_uris": [urls["launch"]],
        "client_name": name,
        "jwks_uri": urls["jwks"],
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": domain,
            "target_link_uri": urls["launch"],
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [{"type": "LtiResourceLinkRequest", "target_link_uri": urls["launch"]},
                         {"type": "LtiDeepLinkingRequest", "target_link_uri": urls["launch"]}],
        },
    }


def register(config: dict[str, Any], token: str, registration: dict[str, Any]) -> dict[str, Any]:
    """Post the registration with the platform's one-time token; the settings of the LtiPlatform to save."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.post(config["registration_endpoint"], json=registration, headers=headers, timeout=15)
        response.raise_for_status()
        answer = response.json()
    except (requests.RequestException, ValueError):
        raise RegistrationError(_l("The platform refused the registration.")) from None
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    tool = answer.get(TOOL_CONFIGURATION) if isinstance(answer, dict) else None
    deployment = tool.get("deployment_id") if isinstance(tool, dict) else None
    if not isinstance(client_id, str) or not client_id or len(client_id) > 255:
        raise RegistrationError(_l("The platform's answer to the registration has no client ID."))
    platform_info = config.get(PLATFORM_CONFIGURATION) if isinstance(config.get(PLATFORM_CONFIGURATION), dict) else {}
    family = str(platform_info.get("product_family_code") or "").strip()[:40]
    name = (family.title() + " " if family else "") + urlsplit(config["issuer"]).netloc
    return {"name": name[:120], "issuer": config["issuer"], "client_id": client_id,
            "deployment_ids": [str(deployment)[:255]] if deployment not in (None, "") else [],
            "auth_login_url": config["authorization_endpoint"], "auth_token_url": config["token_endpoint"],
            "keyset_url": config["jwks_uri"], "trust_email": False, "is_enabled": True}
