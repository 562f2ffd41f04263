"""Organization views."""
from lms.orgs import bp  # noqa: F401
