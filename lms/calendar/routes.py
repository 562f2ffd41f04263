"""The circle calendar page and the personal iCalendar feed."""
from __future__ import annotations

from lms.calendar import bp  # noqa: F401
