"""LTI 1.3 tool: platforms (Canvas, Moodle, ...) launch Circles; a launch signs the person in through the
identity they have at the platform and maps the platform's course onto a circle."""
import click
from flask import Blueprint

bp = Blueprint("lti", __name__)


@bp.record_once
def _register_home_section(state) -> None:
    """The staff's "linked course" card (and roster sync button) on a circle made from an LTI course."""
    from lms.circles.home import HomeSection, register_home_section
    from lms.lti.queries import home_section

    register_home_section(state.app, HomeSection("lti", "side", 50, "lti/_home.html", home_section))


@bp.record_once
def _register_grade_passback(state) -> None:
    """Released grades of a circle linked to an LMS course go to its gradebook (the session hook in passback)."""
    import lms.lti.passback  # noqa: F401 (registers the hook)


@bp.cli.command("rotate-key")
@click.option("--keep-days", default=7, show_default=True, type=int,
                            help="Days the old key stays in the JWKS (platforms cache it).")
def rotate_key(keep_days: int) -> None:
    """Make a new tool signing key current; the old one stays published until it expires."""
    from datetime import timedelta

    from lms.extensions import db
    from lms.lti import keys

    new, old = keys.rotate(timedelta(days=max(0, keep_days)))
    db.session.commit()
    click.echo(f"new current key {new.kid}; " + (", ".join(f"{k.kid} published until {k.retire_at:%Y-%m-%d %H:%M} UTC"
                                                        for k in old) or "no earlier key"))
