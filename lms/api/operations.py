"""Creating, revoking and touching personal access tokens (flush, never commit)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _, ngettext

from lms.accounts.models import User
from lms.api.models import TOKEN_PREFIX, ApiToken, Scope
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.core.types import utcnow
from lms.extensions import db

#: the choices of lifetime offered (days), as GitHub's fine-grained tokens: 30 days unless chosen
EXPIRY_DAYS = (7, 30, 60, 90, 365)
DEFAULT_EXPIRY_DAYS = 30
MAX_EXPIRY_DAYS = 366
#: live (not revoked, not expired) tokens one person may hold
MAX_LIVE_TOKENS = 50
#: last_used_at is written at most this often, not on every request
TOUCH_SECONDS = 60


class TokenError(ValueError):
    """A token cannot be made as asked; the message is for the person."""


def create_token(user: User, *, name: str, scopes, days: int, now: datetime | None = None
                 ) -> tuple[ApiToken, str]:
    """Make a token for `user` (who acts: people make their own tokens) with `scopes` (Scope values)
    valid `days` days, and audit it. Returns the row and the secret, which is never stored and is
    shown once. Raises TokenError for no scope, an unknown scope, a lifetime out of 1..MAX_EXPIRY_DAYS
    days, or too many live tokens."""
    now = now or utcnow()
    wanted = sorted({str(Scope(s)) for s in scopes}) if scopes else []
    if not wanted:
        raise TokenError(_("Choose at least one thing the token may read."))
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise TokenError(_("A token lasts from 1 day to 1 year."))
    live = db.session.scalar(db.select(db.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now))
    if live >= MAX_LIVE_TOKENS:
        raise TokenError(ngettext("You have %(num)d token already. Revoke one you no longer use first.",
                                  "You have %(num)d tokens already. Revoke one you no longer use first.", live))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:100], token_hash=ApiToken.hash_token(secret), scopes=wanted,
                     expires_at=now + timedelta(days=days), created_at=now)
    db.session.add(token)
    db.session.flush()
    record_event(AuditAction.api_token_created, user, target=token,
                 details={"scopes": wanted, "expires_at": token.expires_at})
    return token, secret


def revoke_token(token: ApiToken, actor: User, now: datetime | None = None) -> bool:
    """Revoke `token` (by its owner or an admin who manages them) and audit it. Returns False, and
    changes nothing, when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    db.session.flush()
    record_event(AuditAction.api_token_revoked, actor, target=token,
                 details={"owner": token.user.email, "scopes": token.scopes})
    return True


def touch_token(token: ApiToken, now: datetime | None = None) -> bool:
    """Note that `token` was used now, at most once a TOUCH_SECONDS. Returns whether it wrote."""
    now = now or utcnow()
    if token.last_used_at is not None and (now - token.last_used_at).total_seconds() < TOUCH_SECONDS:
        return False
    token.last_used_at = now
    db.session.flush()
    return True
