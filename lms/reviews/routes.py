"""Peer review pages: the teacher's set-up and allocation view."""
from __future__ import annotations

from lms.reviews import bp  # noqa: F401
