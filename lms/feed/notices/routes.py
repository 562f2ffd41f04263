"""Notice pages: list, write, edit, read, confirm, receipts, reminders."""
from __future__ import annotations

from lms.feed.notices import bp  # noqa: F401
from lms.feed.notices import models  # noqa: F401  (the tables exist once the blueprint does)
