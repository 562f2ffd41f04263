"""The merge confirmation form (CSRF only: the two accounts are in the URL)."""
from __future__ import annotations

from flask_wtf import FlaskForm


class MergeForm(FlaskForm):
    pass
