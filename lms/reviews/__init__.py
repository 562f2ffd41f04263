"""Peer review of video homework: set-up per assignment, allocation in rounds, reviews with
timestamped comments, calibration (issue 13)."""
from flask import Blueprint

bp = Blueprint("reviews", __name__)


@bp.record_once
def _register_with_audit(state) -> None:
    """How peer review's events read on the audit log."""
    from lms.reviews import audit_details

    audit_details.register(state.app)
