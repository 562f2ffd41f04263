"""Views of homework (thin: parse, scoped lookup, permission check, one operation, commit)."""
from lms.homework import bp
from lms.homework import models  # noqa: F401  (mappers are configured together)
