"""Identity: school sign-in through OpenID Connect providers, and the external identities linked to accounts."""
from flask import Blueprint

bp = Blueprint("identity", __name__)


@bp.record_once
def _register_hooks(state) -> None:
    """Tell accounts which password sign-ins an organization's provider replaces, and the audit log how
    this domain's events read."""
    from lms.accounts.hooks import register_password_gate
    from lms.identity import audit_details
    from lms.identity.queries import exclusive_provider_for

    def gate(user):
        provider = exclusive_provider_for(user)
        return provider.name if provider is not None else None

    register_password_gate(state.app, "identity", gate)
    audit_details.register(state.app)
