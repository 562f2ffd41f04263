"""The JSON API v1 (personal access tokens, /api/v1, its OpenAPI document) and the token pages."""
from flask import Blueprint

#: /api/v1: Bearer tokens only (no cookies, no CSRF), problem+json errors
bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: the "API tokens" pages of the profile (and the admins' view of a person's tokens)
pages_bp = Blueprint("api_tokens", __name__)


@pages_bp.record_once
def _register_with_audit(state) -> None:
    """How the token events read on the audit log."""
    from flask_babel import lazy_gettext as _l

    from lms.audit.registry import describe_details

    describe_details(state.app, labels={"scopes": _l("Scopes"), "expires_at": _l("Expires"), "owner": _l("Owner")})
