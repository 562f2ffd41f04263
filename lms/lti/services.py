"""Calls to a platform's LTI Advantage services: an OAuth2 access token (client credentials with a
JWT client assertion signed by the tool's key, IMS Security Framework §4.1) and Names and Role
Provisioning Services (the course's roster)."""
from __future__ import annotations

import secrets
import time
from typing import Any

import requests
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.jwk import RSAKey

from lms.lti import keys
from lms.lti.launch import LaunchError
from lms.lti.models import LtiPlatform

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
#: at most this many pages of a roster are read (a loop guard; a page holds what the platform chooses)
MAX_PAGES = 100


class ServiceError(LaunchError):
    """A platform service that failed; the message is for the teacher."""


def client_assertion(platform: LtiPlatform) -> str:
    key = keys.tool_key()
    private = RSAKey.import_key(key.private_pem, parameters={"kid": key.kid})
    now = int(time.time())
    claims = {"iss": platform.client_id, "sub": platform.client_id, "aud": platform.auth_token_url,
              "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16)}
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, private)


def access_token(platform: LtiPlatform, scopes: list[str]) -> str:
    if not platform.auth_token_url:
        raise ServiceError(_l("The platform's access token URL is not set."))
    try:
        response = requests.post(platform.auth_token_url, timeout=15, data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(platform), "scope": " ".join(scopes)})
        response.raise_for_status()
        token = response.json().get("access_token")
    except (requests.RequestException, ValueError, AttributeError):
        raise ServiceError(_l("The platform refused Circles an access token.")) from None
    if not isinstance(token, str) or not token:
        raise ServiceError(_l("The platform refused Circles an access token."))
    return token


def roster(platform: LtiPlatform, memberships_url: str) -> list[dict[str, Any]]:
    """Every member the platform lists for the course, following its `Link: rel="next"` pages."""
    token = access_token(platform, [NRPS_SCOPE])
    members: list[dict[str, Any]] = []
    url: str | None = memberships_url
    for _page in range(MAX_PAGES):
        if not url:
            break
        try:
            response = requests.get(url, timeout=30, headers={"Authorization": f"Bearer {token}",
                                                              "Accept": NRPS_MEDIA_TYPE})
            response.raise_for_status()
            page = response.json()
        except (requests.RequestException, ValueError):
            raise ServiceError(_l("The platform's roster could not be read.")) from None
        if isinstance(page, dict) and isinstance(page.get("members"), list):
            members.extend(m for m in page["members"] if isinstance(m, dict))
        url = response.links.get("next", {}).get("url")
    return members
