"""Groups inside a circle: the teacher's sets of students (peer review keeps group mates apart)."""
from flask import Blueprint

bp = Blueprint("groups", __name__)


@bp.record_once
def _register_with_audit(state) -> None:
    """How the groups' events read on the audit log."""
    from lms.groups import audit_details

    audit_details.register(state.app)


@bp.record_once
def _register_home_section(state) -> None:
    """A student's own group in the side column of the circle's home page."""
    from lms.circles.home import register_home_section
    from lms.groups.home_section import SECTION

    register_home_section(state.app, SECTION)


__all__ = ["bp"]
