"""Audit log pages for site admins and organization admins. There is no edit or delete view."""
from __future__ import annotations

from lms.audit import bp
from lms.audit import models  # noqa: F401  (so create_all and migrations see the table)
