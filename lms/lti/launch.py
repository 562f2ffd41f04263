"""Validating an LTI 1.3 launch: the id_token a platform posts to /lti/launch (IMS Security Framework 1.0
§5.1.3 and LTI Core 1.3 §5.3). Only signatures, claims and message checks; who signs in is operations'."""
from __future__ import annotations

import time
from typing import Any

from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from lms.lti import keys
from lms.lti.models import LtiPlatform

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_MESSAGE_TYPE = LTI + "message_type"
CLAIM_VERSION = LTI + "version"
CLAIM_DEPLOYMENT = LTI + "deployment_id"
CLAIM_TARGET = LTI + "target_link_uri"
CLAIM_RESOURCE_LINK = LTI + "resource_link"
CLAIM_ROLES = LTI + "roles"
CLAIM_CONTEXT = LTI + "context"
CLAIM_LIS = LTI + "lis"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_CUSTOM = LTI + "custom"
CLAIM_DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
#: seconds of clock difference allowed between the platform and this server
LEEWAY = 60
#: an id_token issued longer ago than this is refused even if its exp is later
MAX_AGE = 3600


class LaunchError(ValueError):
    """A refused launch; the message is for the person (and the platform's admin)."""

    def __init__(self, message, status: int = 400):
        super().__init__(str(message))
        self.status = status


def unverified_header(id_token: str) -> dict[str, Any]:
    try:
        return dict(extract_compact(id_token.encode()).protected)
    except (JoseError, ValueError, TypeError):
        raise LaunchError(_l("The launch message is not a valid LTI id_token.")) from None


def validate(platform: LtiPlatform, id_token: str, nonce: str) -> dict[str, Any]:
    """The claims of `id_token` if it is a valid resource link launch from `platform` carrying `nonce`.
    Raises LaunchError naming what is wrong."""
    header = unverified_header(id_token)
    if header.get("alg") != "RS256":
        raise LaunchError(_l("The launch is not signed with RS256."))
    try:
        keyset = keys.platform_keyset(platform.keyset_url, header.get("kid"), guarded=platform.org_id is not None)
    except keys.KeysetError:
        raise LaunchError(_l("The platform's public keys could not be fetched from %(url)s.",
                             url=platform.keyset_url), 502) from None
    try:
        token = jwt.decode(id_token, keyset, algorithms=["RS256"])
    except (JoseError, ValueError):
        raise LaunchError(_l("The launch's signature does not match the platform's public keys.")) from None
    claims = dict(token.claims)

    if claims.get("iss") != platform.issuer:
        raise LaunchError(_l("The launch comes from the wrong issuer."))
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if platform.client_id not in audiences:
        raise LaunchError(_l("The launch is meant for another tool (wrong audience)."))
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != platform.client_id:
        raise LaunchError(_l("The launch is meant for another tool (wrong authorized party)."))
    now = time.time()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
        raise LaunchError(_l("The launch has no issue or expiry time."))
    if exp < now - LEEWAY:
        raise LaunchError(_l("The launch has expired. Open Circles again from your course."))
    if iat > now + LEEWAY or iat < now - MAX_AGE:
        raise LaunchError(_l("The launch's issue time is not valid. Check the platform's clock."))
    if not nonce or claims.get("nonce") != nonce:
        raise LaunchError(_l("The launch's nonce does not match this sign-in. Open Circles again from your course."))
    deployment = claims.get(CLAIM_DEPLOYMENT)
    if not platform.has_deployment(deployment if isinstance(deployment, str) else None):
        raise LaunchError(_l("This deployment of Circles (%(deployment)s) is not registered. Ask the site "
                             "administrator to add it.", deployment=str(deployment or "")[:100]), 403)
    message_type = claims.get(CLAIM_MESSAGE_TYPE)
    if message_type not in (RESOURCE_LINK, DEEP_LINKING):
        raise LaunchError(_l("Circles cannot handle this kind of LTI message yet."))
    if claims.get(CLAIM_VERSION) != "1.3.0":
        raise LaunchError(_l("Only LTI version 1.3.0 launches are accepted."))
    if message_type == RESOURCE_LINK and (not isinstance(claims.get(CLAIM_RESOURCE_LINK), dict)
                                          or not claims[CLAIM_RESOURCE_LINK].get("id")):
        raise LaunchError(_l("The launch names no resource link."))
    settings = claims.get(CLAIM_DL_SETTINGS)
    return_url = settings.get("deep_link_return_url") if isinstance(settings, dict) else None
    if message_type == DEEP_LINKING and not (isinstance(return_url, str)
                                             and return_url.startswith(("https://", "http://"))):
        raise LaunchError(_l("The deep linking request names no return address."))
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise LaunchError(_l("Anonymous launches are not accepted: the platform must say who you are."))
    context = claims.get(CLAIM_CONTEXT)
    if not isinstance(context, dict) or not context.get("id"):
        raise LaunchError(_l("The launch names no course."))
    return claims
