"""Site administration views."""
from lms.admin import bp  # noqa: F401
