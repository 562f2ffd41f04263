"""The circle's Files tab (thin views: parse, scoped lookup, permission check, one operation, commit),
split by aggregate: pages, folders, files, and the bytes of a version (serving)."""
from lms.files import bp
from lms.files.routes import files, folders, pages, serving  # noqa: F401  (attach the views to bp)

__all__ = ["bp"]
