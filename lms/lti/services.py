"""Calls to a platform's LTI Advantage services: an OAuth2 access token (client credentials with a
JWT client assertion signed by the tool's key, IMS Security Framework §4.1) and Names and Role
Provisioning Services (the course's roster)."""
from __future__ import annotations

import secrets
import time
from typing import Any

import requests
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from joserfc import jwt
from joserfc.jwk import RSAKey

from lms.core import outbound
from lms.lti import keys
from lms.lti.launch import LaunchError
from lms.lti.models import LtiPlatform

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
#: at most this many pages of a roster are read (a loop guard)
MAX_PAGES = 100
#: members asked for per roster page (NRPS `limit`; Moodle pages only when asked, then links the next page)
NRPS_PAGE_SIZE = 500


class ServiceError(LaunchError):
    """A platform service that failed; the message is for the teacher."""


def _request(platform: LtiPlatform, method: str, url: str, **kwargs: Any) -> requests.Response:
    """One call to `platform`: an organization's platform (its admin typed the addresses, its launches
    name the service URLs) may only reach the public internet (lms.core.outbound)."""
    with outbound.session(guarded=platform.org_id is not None) as http:
        return http.request(method, url, **kwargs)


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
        response = _request(platform, "POST", platform.auth_token_url, timeout=15, data={
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
    for page_number in range(MAX_PAGES):
        if not url:
            break
        try:
            # the first page asks for a page size; the next ones follow the platform's Link as given
            response = _request(platform, "GET", url, timeout=30, params={"limit": NRPS_PAGE_SIZE} if page_number == 0 else None,
                                    headers={"Authorization": f"Bearer {token}", "Accept": NRPS_MEDIA_TYPE})
            response.raise_for_status()
            page = response.json()
        except (requests.RequestException, ValueError):
            raise ServiceError(_l("The platform's roster could not be read.")) from None
        if isinstance(page, dict) and isinstance(page.get("members"), list):
            members.extend(m for m in page["members"] if isinstance(m, dict))
        url = response.links.get("next", {}).get("url")
    return members


# -- Assignment and Grade Services -----------------------------------------------------------------

AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"


def _with_path(url: str, suffix: str) -> str:
    """`url` with `suffix` appended to its path, before any query (the scores URL of a line item)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _line_item(platform: LtiPlatform, lineitems_url: str, token: str, resource_id: str, label: str, maximum: float) -> str:
    """The URL of the course's line item for `resource_id`, created when there is none."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        response = _request(platform, "GET", lineitems_url, timeout=15, params={"resource_id": resource_id},
                                headers={**headers, "Accept": LINEITEMS_MEDIA_TYPE})
        response.raise_for_status()
        items = response.json()
        found = [i for i in items if isinstance(i, dict) and i.get("resourceId") == resource_id and i.get("id")] \
            if isinstance(items, list) else []
        if found:
            return found[0]["id"]
        response = _request(platform, "POST", lineitems_url, timeout=15, headers={**headers, "Content-Type": LINEITEM_MEDIA_TYPE},
                                 data=_json({"label": label, "scoreMaximum": maximum, "resourceId": resource_id}))
        response.raise_for_status()
        created = response.json()
    except (requests.RequestException, ValueError):
        raise ServiceError(_l("The course's gradebook column could not be found or made on the platform.")) from None
    if not isinstance(created, dict) or not isinstance(created.get("id"), str):
        raise ServiceError(_l("The course's gradebook column could not be found or made on the platform."))
    return created["id"]


def _json(value) -> str:
    import json

    return json.dumps(value)


def send_scores(platform: LtiPlatform, lineitems_url: str, resource_id: str, label: str, maximum: float,
                scores: list[tuple[str, float]]) -> int:
    """Post each (platform user id, score) to the course's line item for `resource_id` (made if needed);
    how many were accepted. Raises ServiceError when the token or the line item fails, or a score is refused.
    A 409 Conflict (Moodle: the gradebook holds a score with the same or a later timestamp, e.g. a second
    send within the same second) keeps the platform's score and is no error."""
    from datetime import UTC, datetime

    token = access_token(platform, [AGS_LINEITEM, AGS_SCORE])
    lineitem = _line_item(platform, lineitems_url, token, resource_id, label, maximum)
    scores_url = _with_path(lineitem, "/scores")
    sent = 0
    for user_id, score in scores:
        body = {"userId": user_id, "scoreGiven": score, "scoreMaximum": maximum, "activityProgress": "Completed",
                "gradingProgress": "FullyGraded",
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        try:
            response = _request(platform, "POST", scores_url, timeout=15, data=_json(body),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_MEDIA_TYPE})
            if response.status_code == 409:
                continue
            response.raise_for_status()
        except requests.RequestException:
            raise ServiceError(lazy_ngettext("The platform refused a score after %(num)d was sent.",
                                             "The platform refused a score after %(num)d were sent.", sent)) from None
        sent += 1
    return sent


# -- Deep Linking ---------------------------------------------------------------------------------

def deep_linking_response(platform: LtiPlatform, deployment_id: str, data: str | None,
                          items: list[dict[str, Any]]) -> str:
    """The LtiDeepLinkingResponse JWT (Deep Linking 2.0 §4.2) carrying `items`, signed by the tool's key."""
    key = keys.tool_key()
    private = RSAKey.import_key(key.private_pem, parameters={"kid": key.kid})
    now = int(time.time())
    claims = {"iss": platform.client_id, "aud": platform.issuer, "iat": now, "exp": now + 600,
              "nonce": secrets.token_urlsafe(16),
              "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
              "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
              "https://purl.imsglobal.org/spec/lti/claim/deployment_id": deployment_id,
              "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items}
    if data:
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = data
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, private)
