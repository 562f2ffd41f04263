"""Accounts: users, sign-in, registration, password reset, profiles, first-run set-up."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)


@bp.record_once
def _register_with_audit(state) -> None:
    """How the accounts' events read on the audit log, and how it finds people."""
    from lms.accounts import audit_details

    audit_details.register(state.app)
