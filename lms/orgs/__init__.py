"""Organizations (schools): their admins, classes and teachers."""
from flask import Blueprint

bp = Blueprint("orgs", __name__)



@bp.record_once
def _register_with_accounts(state) -> None:
    """People of one organization see each other's avatars, and its admins those of its classes; whether
    the signed-in person teaches in or runs a school is read with their session (the top bar's link)."""
    from lms.accounts.hooks import register_avatar_rule, register_session_fact
    from lms.orgs.queries import TEACHES_IN_AN_ORG, shares_an_organization_with, teaches_in_an_org

    register_avatar_rule(state.app, "orgs", shares_an_organization_with)
    register_session_fact(state.app, TEACHES_IN_AN_ORG, teaches_in_an_org)


@bp.record_once
def _register_with_audit(state) -> None:
    """How the organizations' events read on the audit log."""
    from lms.orgs import audit_details

    audit_details.register(state.app)
