"""Grading: rubrics, grades with history and release, regrade requests, the gradebook and its export."""
from flask import Blueprint

bp = Blueprint("grading", __name__)


@bp.record_once
def _register_with_audit(state) -> None:
    """How grading's events read on the audit log."""
    from lms.grading import audit_details

    audit_details.register(state.app)
