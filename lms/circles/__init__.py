"""Circles: creating them, joining them, and the roster (one identity per person)."""
from flask import Blueprint

bp = Blueprint("circles", __name__)

from lms.circles import routes  # noqa: E402,F401
