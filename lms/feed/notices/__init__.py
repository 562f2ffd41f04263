"""Notices: Markdown posts by staff, scheduled, pinned, must-read, with read receipts and reminders."""
from flask import Blueprint

bp = Blueprint("notices", __name__)
