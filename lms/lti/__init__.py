"""LTI 1.3 tool: platforms (Canvas, Moodle, ...) launch Circles; a launch signs the person in through the
identity they have at the platform and maps the platform's course onto a circle."""
from flask import Blueprint

bp = Blueprint("lti", __name__)


@bp.record_once
def _register_home_section(state) -> None:
    """The staff's "linked course" card (and roster sync button) on a circle made from an LTI course."""
    from lms.circles.home import HomeSection, register_home_section
    from lms.lti.queries import home_section

    register_home_section(state.app, HomeSection("lti", "side", 50, "lti/_home.html", home_section))
