"""Circle views, one module per aggregate; importing this package attaches them all to `bp`."""
from lms.circles import bp
from lms.circles.routes import circles, enrolment, joining, roster  # noqa: F401  (registers the views)

__all__ = ["bp"]
