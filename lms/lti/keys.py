"""The tool's own RSA key pair (made once, stored encrypted) and the platforms' public keys (their JWKS,
fetched over HTTPS and kept briefly)."""
from __future__ import annotations

import secrets
import threading
import time

import requests
import sqlalchemy as sa
from joserfc.jwk import KeySet, RSAKey

from lms.extensions import db
from lms.lti.models import LtiToolKey

#: how long a platform's JWKS is reused before it is fetched again (a kid not in it refetches at once)
JWKS_TTL = 300
_jwks_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


class KeysetError(ValueError):
    pass


def tool_key() -> LtiToolKey:
    """The active key pair, made (and flushed) on first need."""
    key = db.session.scalar(sa.select(LtiToolKey).where(LtiToolKey.is_active.is_(True))
                            .order_by(LtiToolKey.id.desc()).limit(1))
    if key is not None and key.private_pem:
        return key
    kid = secrets.token_urlsafe(16)
    private = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)
    public = private.as_dict(private=False)
    key = LtiToolKey(kid=kid, public_jwk=public, is_active=True)
    key.private_pem = private.as_pem(private=True).decode()
    db.session.add(key)
    db.session.flush()
    return key


def public_jwks() -> dict:
    """The JWKS of the tool's active keys, for /lti/jwks.json."""
    keys = db.session.scalars(sa.select(LtiToolKey).where(LtiToolKey.is_active.is_(True)).order_by(LtiToolKey.id))
    return {"keys": [key.public_jwk for key in keys]}


def _fetch(url: str) -> dict:
    try:
        response = requests.get(url, timeout=10, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise KeysetError(str(error)) from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeysetError("not a JWKS")
    return data


def platform_keyset(url: str, kid: str | None) -> KeySet:
    """The platform's public keys; fetched again when the cache is stale or lacks `kid` (key rotation)."""
    now = time.monotonic()
    with _lock:
        cached = _jwks_cache.get(url)
    fresh = cached is not None and now - cached[0] < JWKS_TTL
    if not fresh or (kid and kid not in {k.get("kid") for k in cached[1]["keys"]}):
        data = _fetch(url)
        with _lock:
            _jwks_cache[url] = (now, data)
    else:
        data = cached[1]
    rsa_keys = [k for k in data["keys"] if k.get("kty") == "RSA"]
    try:
        return KeySet.import_key_set({"keys": rsa_keys})
    except ValueError as error:
        raise KeysetError(str(error)) from None


def forget(url: str | None = None) -> None:
    with _lock:
        if url is None:
            _jwks_cache.clear()
        else:
            _jwks_cache.pop(url, None)
