"""Views of grading (thin: parse, scoped lookup, permission check, one operation, commit)."""
from lms.grading import bp
from lms.grading import models  # noqa: F401  (mappers are configured together)
