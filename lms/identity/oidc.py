"""The OpenID Connect relying party, on Authlib: discovery, the authorization request (code flow with
PKCE, state and nonce kept in the signed Flask session) and the callback (code exchange, ID token checked
by Authlib: signature against the provider's JWKS, issuer, audience, expiry, nonce)."""
from __future__ import annotations

import ipaddress
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import request
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError

from lms.core import outbound
from lms.identity.models import IdentityProvider

#: seconds to wait for the provider (discovery, token, keys)
HTTP_TIMEOUT = 10
#: how long a discovery document is reused in this process before it is fetched again
DISCOVERY_TTL = 600
#: endpoints a provider's discovery document must name for the code flow
REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")

_cache: dict[str, tuple[float, dict]] = {}
_cache_lock = threading.Lock()


class OIDCError(Exception):
    """The provider could not be used, or its answer was refused; the message is for the user."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_issuer(issuer: str) -> str:
    """The issuer URL as configured: stripped, without a trailing slash. Raises OIDCError unless it is an
    https URL (plain http only on this machine, for development and the tests) without query or fragment."""
    issuer = (issuer or "").strip().rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise OIDCError(_l("The issuer must be an https:// address, such as https://login.example.edu/realms/school."))
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise OIDCError(_l("The issuer must use https://."))
    return issuer


def discovery_url(issuer: str) -> str:
    return normalize_issuer(issuer) + "/.well-known/openid-configuration"


def discover(issuer: str, *, fresh: bool = False, guarded: bool = False) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0), fetched from
    `<issuer>/.well-known/openid-configuration` and reused for DISCOVERY_TTL seconds unless `fresh`.
    Raises OIDCError saying what failed: the address, the connection, the answer, or an issuer that is
    not the one configured (a document must name itself).
    `guarded` (an organization's provider): the issuer and the endpoints the server calls (token,
    UserInfo, keys) must be on the public internet or listed in OUTBOUND_ALLOWED_HOSTS
    (lms.core.outbound); otherwise OIDCError says so."""
    issuer = normalize_issuer(issuer)
    url = issuer + "/.well-known/openid-configuration"
    if guarded:
        _refuse_private(url)
    now = time.monotonic()
    if not fresh:
        with _cache_lock:
            cached = _cache.get(issuer)
        if cached and now - cached[0] < DISCOVERY_TTL:
            if guarded:
                _refuse_private_endpoints(cached[1])
            return dict(cached[1])
    try:
        with outbound.session(guarded=guarded) as http:
            response = http.get(url, timeout=HTTP_TIMEOUT, allow_redirects=False,
                                headers={"Accept": "application/json"})
    except requests.RequestException as error:
        raise OIDCError(_l("Could not reach %(url)s (%(reason)s).", url=url, reason=type(error).__name__)) from None
    if response.status_code != 200:
        raise OIDCError(_l("%(url)s answered HTTP %(status)d, not the provider's configuration.",
                           url=url, status=response.status_code))
    try:
        metadata = response.json()
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict):
        raise OIDCError(_l("%(url)s did not answer a JSON configuration document.", url=url))
    missing = [key for key in REQUIRED_METADATA if not metadata.get(key)]
    if missing:
        raise OIDCError(_l("The provider's configuration lacks %(names)s.", names=", ".join(missing)))
    if "{tenantid}" in str(metadata["issuer"]).lower():
        # Microsoft Entra's common, organizations and consumers endpoints name no one tenant: ID tokens then
        # carry each tenant's own issuer, which could not be checked against one configured issuer.
        raise OIDCError(_l("This is Microsoft Entra's multi-tenant address; its configuration names no tenant "
                           "({tenantid}). Use your tenant's own issuer instead: "
                           "https://login.microsoftonline.com/<tenant id>/v2.0"))
    if str(metadata["issuer"]).rstrip("/") != issuer:
        raise OIDCError(_l("The provider calls itself %(found)s, not %(issuer)s: check the issuer address.",
                           found=metadata["issuer"], issuer=issuer))
    if guarded:
        _refuse_private_endpoints(metadata)
    with _cache_lock:
        _cache[issuer] = (now, metadata)
    return dict(metadata)


def _refuse_private(url: str) -> None:
    if outbound.refusal(url):
        raise OIDCError(_l("%(url)s is on a private network, which an organization's provider may not use. "
                           "The site's administrator can allow its host by adding it to the LMS_OUTBOUND_ALLOWED_HOSTS "
                           "setting (comma-separated host names).", url=url))


def _refuse_private_endpoints(metadata: dict[str, Any]) -> None:
    """The endpoints the server itself calls (not the browser's authorization endpoint)."""
    for key in ("token_endpoint", "userinfo_endpoint", "jwks_uri"):
        if metadata.get(key):
            _refuse_private(str(metadata[key]))


def forget(issuer: str) -> None:
    """Drop the cached discovery document of `issuer` (after its provider was edited)."""
    with _cache_lock:
        _cache.pop(issuer.rstrip("/"), None)


def client_for(provider: IdentityProvider) -> FlaskOAuth2App:
    """An Authlib client for `provider`, its state kept in the Flask session under its own name.
    Raises OIDCError when discovery fails."""
    metadata = discover(provider.issuer, guarded=provider.org_id is not None)
    metadata["_loaded_at"] = time.time()  # Authlib fetches nothing more but the keys (and again on a new kid)
    return FlaskOAuth2App(
        FlaskIntegration(f"oidc{provider.id}"),
        name=f"oidc{provider.id}",
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        client_kwargs={"scope": provider.scopes or "openid email profile", "code_challenge_method": "S256",
                       "timeout": HTTP_TIMEOUT, "token_endpoint_auth_method": _auth_method(metadata)},
        **metadata,
    )


def _auth_method(metadata: dict[str, Any]) -> str:
    """How the client authenticates at the token endpoint: HTTP Basic (the default of the specification)
    unless the provider says it only takes the secret in the form body."""
    supported = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in supported and "client_secret_post" in supported:
        return "client_secret_post"
    return "client_secret_basic"


def authorization_url(provider: IdentityProvider, redirect_uri: str) -> tuple[str, str]:
    """The provider's authorization endpoint URL for a new sign-in: code flow, PKCE S256, a fresh state and
    nonce (both kept in the signed session). Returns (url, state)."""
    client = client_for(provider)
    data = client.create_authorization_url(redirect_uri)
    client.save_authorize_data(redirect_uri=redirect_uri, **data)
    return data["url"], data["state"]


def finish_authorization(provider: IdentityProvider) -> dict[str, Any]:
    """Exchange the callback's code and return the validated ID token's claims. Raises OIDCError for an
    error answer, a state this browser did not start, a failed exchange, or an ID token that is missing
    or fails Authlib's checks (signature, issuer, audience, expiry, nonce)."""
    answered_by = request.args.get("iss")
    if answered_by is not None and answered_by.rstrip("/") != provider.issuer.rstrip("/"):
        # RFC 9207: the answer names its issuer; another one than the browser was sent to is a mix-up
        raise OIDCError(_l("The sign-in answer came from another provider than %(provider)s.", provider=provider.name))
    client = client_for(provider)
    try:
        token = client.authorize_access_token()
    except AuthlibBaseError as error:
        if getattr(error, "error", "") == "mismatching_state":
            raise OIDCError(_l("This sign-in was not started in this browser, or it took too long. Please try again.")) from None
        raise OIDCError(_l("%(provider)s refused the sign-in (%(reason)s).", provider=provider.name,
                           reason=getattr(error, "error", "") or type(error).__name__)) from None
    except JoseError as error:
        raise OIDCError(_l("The sign-in answer from %(provider)s failed its checks (%(reason)s).",
                           provider=provider.name, reason=getattr(error, "error", "") or type(error).__name__)) from None
    except requests.RequestException as error:
        raise OIDCError(_l("Could not reach %(provider)s (%(reason)s).", provider=provider.name,
                           reason=type(error).__name__)) from None
    userinfo = token.get("userinfo")
    if not token.get("id_token") or userinfo is None:
        raise OIDCError(_l("%(provider)s sent no ID token.", provider=provider.name))
    claims = dict(userinfo)
    if provider.email_claim not in claims and client.server_metadata.get("userinfo_endpoint"):
        claims = _with_userinfo(client, token, claims, provider)
    return claims


#: claims only the validated ID token may give, never the UserInfo answer
_ID_TOKEN_ONLY = frozenset({"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash"})


def _with_userinfo(client: FlaskOAuth2App, token: dict, claims: dict[str, Any],
                   provider: IdentityProvider) -> dict[str, Any]:
    """The ID token's claims completed from the UserInfo endpoint (providers that keep the ID token small put
    the email there). Its `sub` must be the ID token's (OpenID Connect Core 5.3.2)."""
    try:
        info = client.userinfo(token=token)
    except (AuthlibBaseError, requests.RequestException) as error:
        raise OIDCError(_l("Could not read your details from %(provider)s (%(reason)s).", provider=provider.name,
                           reason=type(error).__name__)) from None
    if str(info.get("sub")) != str(claims["sub"]):
        raise OIDCError(_l("%(provider)s described another person than the one who signed in.",
                           provider=provider.name))
    merged = {key: value for key, value in info.items() if key not in _ID_TOKEN_ONLY}
    merged.update(claims)
    return merged
