"""Site administration forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class UserActionForm(FlaskForm):
    """A POST button on the user list; `next` brings the admin back to the same page and search."""

    next = HiddenField()
