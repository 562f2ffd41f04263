"""The tool's own RSA key pair (made once, stored encrypted) and the platforms' public keys (their JWKS,
fetched over HTTPS and kept briefly)."""
from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta

import requests
import sqlalchemy as sa
from joserfc.jwk import KeySet, RSAKey

from lms.core import outbound
from lms.core.types import utcnow
from lms.extensions import db
from lms.lti.models import LtiToolKey

#: how long a platform's JWKS is reused before it is fetched again (a kid not in it refetches at once)
JWKS_TTL = 300
_jwks_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


class KeysetError(ValueError):
    pass


def _current_query():
    return (sa.select(LtiToolKey).where(LtiToolKey.is_active.is_(True), LtiToolKey.retire_at.is_(None))
            .order_by(LtiToolKey.id.desc()).limit(1))


def _new_key() -> LtiToolKey:
    kid = secrets.token_urlsafe(16)
    private = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)
    public = private.as_dict(private=False)
    key = LtiToolKey(kid=kid, public_jwk=public, is_active=True)
    key.private_pem = private.as_pem(private=True).decode()
    db.session.add(key)
    db.session.flush()
    return key


def tool_key() -> LtiToolKey:
    """The current key pair (the newest active one not rotated out): it signs. Made (and flushed) on first
    need, or when SECRET_KEY changed and the stored one cannot be read."""
    key = db.session.scalar(_current_query())
    if key is not None and key.private_pem:
        return key
    return _new_key()


#: how long a rotated-out key stays in the JWKS by default: platforms cache a tool's JWKS (Moodle and
#: Canvas refetch on an unknown kid, but a token signed just before the rotation must still verify)
DEFAULT_KEEP = timedelta(days=7)


def rotate(keep: timedelta = DEFAULT_KEEP) -> tuple[LtiToolKey, list[LtiToolKey]]:
    """Make a new current key; the keys current until now stay published (but no longer sign) until
    `keep` from now. Returns (the new key, the keys rotated out). Expired keys are withdrawn."""
    withdraw_expired()
    old = list(db.session.scalars(sa.select(LtiToolKey).where(LtiToolKey.is_active.is_(True),
                                                               LtiToolKey.retire_at.is_(None))))
    retire_at = utcnow() + keep
    for key in old:
        key.retire_at = retire_at
    db.session.flush()
    return _new_key(), old


def withdraw_expired() -> int:
    """Take rotated-out keys whose time is over out of the JWKS; how many."""
    expired = list(db.session.scalars(sa.select(LtiToolKey).where(LtiToolKey.is_active.is_(True),
                                                                   LtiToolKey.retire_at <= utcnow())))
    for key in expired:
        key.is_active = False
    db.session.flush()
    return len(expired)


def published_keys() -> list[LtiToolKey]:
    """The keys in the JWKS: the current one and those rotated out but not yet expired, oldest first."""
    now = utcnow()
    return [key for key in db.session.scalars(sa.select(LtiToolKey).where(LtiToolKey.is_active.is_(True))
                                              .order_by(LtiToolKey.id))
            if key.retire_at is None or key.retire_at > now]


def public_jwks() -> dict:
    """The JWKS of the published keys (each with its kid), for /lti/jwks.json."""
    return {"keys": [key.public_jwk for key in published_keys()]}


def _fetch(url: str, guarded: bool) -> dict:
    try:
        with outbound.session(guarded=guarded) as http:
            response = http.get(url, timeout=10, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise KeysetError(str(error)) from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeysetError("not a JWKS")
    return data


def platform_keyset(url: str, kid: str | None, *, guarded: bool = False) -> KeySet:
    """The platform's public keys; fetched again when the cache is stale or lacks `kid` (key rotation).
    `guarded` (an organization's platform): the keys URL must be on the public internet (lms.core.outbound)."""
    if guarded and (reason := outbound.refusal(url)):
        raise KeysetError(reason)
    now = time.monotonic()
    with _lock:
        cached = _jwks_cache.get(url)
    fresh = cached is not None and now - cached[0] < JWKS_TTL
    if not fresh or (kid and kid not in {k.get("kid") for k in cached[1]["keys"]}):
        data = _fetch(url, guarded)
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
