"""Notice pages: list, write, edit, read, confirm, receipts, reminders."""
from __future__ import annotations

from lms.feed.notices import bp  # noqa: F401
