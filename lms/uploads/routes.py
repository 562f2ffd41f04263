"""Views of uploads (thin: parse, scoped lookup, permission check, one operation, commit)."""
from lms.uploads import bp
from lms.uploads import models  # noqa: F401  (mappers are configured together)
