"""Bearer-token authentication of /api/v1: the token's owner acts, within the token's scopes.

No cookies are read and no CSRF token is asked for: the API is reached with `Authorization: Bearer
circles_pat_...` only. Every view is declared with `api_view`, which authenticates, checks the scope,
rate-limits by token, and records the documentation the OpenAPI document is built from
(lms/api/spec.py), so an undocumented view cannot be written by accident.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from lms.api import limits
from lms.api.models import ApiToken, Scope
from lms.api.operations import touch_token
from lms.api.queries import find_live_token
from lms.core.errors import abort_with
from lms.extensions import db, limiter


@dataclass
class ViewDoc:
    """What the OpenAPI document says of one view (lms/api/spec.py)."""

    summary: object  #: a lazy string
    scope: Scope | None
    schema: type | None  #: the marshmallow schema of the item (None: the view documents itself)
    many: bool = False
    errors: tuple[int, ...] = (401, 403, 404)
    description: object = None
    params: dict = field(default_factory=dict)  #: extra query parameters {name: (schema, lazy description)}


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_key() -> str:
    """Requests count per token (by a hash of what was sent, so a wrong one counts too), else per address."""
    secret = bearer_secret()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "api-ip:" + (request.remote_addr or "")


def authenticate(scope: Scope | None) -> ApiToken:
    """The live token of this request, touched; 401 without one, 403 when it lacks `scope`."""
    secret = bearer_secret()
    if secret is None:
        abort_with(401, _("Send a personal access token: Authorization: Bearer <token>."))
    token = find_live_token(secret)
    if token is None:
        abort_with(401, _("This token is not valid: it may have expired or been revoked."))
    if scope is not None and not token.has_scope(scope):
        abort_with(403, _("This token may not read this. It needs the scope %(scope)s.", scope=str(scope)))
    if touch_token(token):
        db.session.commit()
    g.api_token = token
    g.api_user = token.user
    return token


def api_view(*, summary, scope: Scope | None, schema=None, many: bool = False, description=None,
             params: dict | None = None, errors: tuple[int, ...] = (401, 403, 404)):
    """Declare an API view: authenticated by token with `scope`, limited per token, documented."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            authenticate(scope)
            return view(*args, **kwargs)

        limited = limiter.limit(limits.API_REQUESTS, key_func=rate_key)(wrapped)
        limited.api_doc = ViewDoc(summary=summary, scope=scope, schema=schema, many=many, errors=errors,
                                  description=description, params=params or {})
        return limited

    return decorate
