"""Organizations (schools): their admins, classes and teachers."""
from flask import Blueprint

bp = Blueprint("orgs", __name__)



@bp.record_once
def _register_with_accounts(state) -> None:
    """People of one organization see each other's avatars, and its admins those of its classes."""
    from lms.accounts.hooks import register_avatar_rule
    from lms.orgs.queries import shares_an_organization_with

    register_avatar_rule(state.app, "orgs", shares_an_organization_with)


@bp.record_once
def _register_with_audit(state) -> None:
    """How the organizations' events read on the audit log."""
    from lms.orgs import audit_details

    audit_details.register(state.app)
