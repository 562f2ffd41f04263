"""Peer review of video homework: set-up per assignment, allocation in rounds, reviews with
timestamped comments, calibration (issue 13)."""
from flask import Blueprint

bp = Blueprint("reviews", __name__)


@bp.record_once
def _register_with_audit(state) -> None:
    """How peer review's events read on the audit log."""
    from lms.reviews import audit_details

    audit_details.register(state.app)


@bp.record_once
def _register_examples(state) -> None:
    """Calibration's example videos: uploaded by the assignment's teachers, served to the circle's staff and
    to the learners who may practise on them."""
    from lms.reviews import calibration
    from lms.uploads.access import register_subject, register_upload_purpose

    register_subject(state.app, calibration.MEDIA_SUBJECT, calibration.may_fetch_example_media)
    register_upload_purpose(state.app, calibration.UPLOAD_PURPOSE, calibration.may_upload_example)
