"""The notifications page, the preferences and the signed unsubscribe link."""
from __future__ import annotations

from lms.notifications import bp  # noqa: F401
