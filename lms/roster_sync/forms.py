"""The roster sync's forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class RosterUploadForm(FlaskForm):
    file = FileField(_l("OneRoster zip:"), validators=[FileRequired(_l("Choose a zip file."))])
