"""Circles: creating them, joining them, and the roster (one identity per person)."""
from flask import Blueprint

bp = Blueprint("circles", __name__)



@bp.record_once
def _register_upload_purpose(state) -> None:
    """A member who may see a circle may upload for it (lms.uploads.access)."""
    from lms.uploads.access import register_upload_purpose

    register_upload_purpose(state.app, "circle", _may_upload_for_circle)


def _may_upload_for_circle(user, circle_id: int) -> int | None:
    from werkzeug.exceptions import NotFound

    from lms.circles.queries import get_circle_or_404

    try:
        return get_circle_or_404(circle_id, user).id
    except NotFound:
        return None
