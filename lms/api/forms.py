"""The form that makes a personal access token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l, ngettext
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.api.models import Scope
from lms.api.operations import DEFAULT_EXPIRY_DAYS, EXPIRY_DAYS
from lms.core.inputs import SingleLine, prepare_line


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CreateTokenForm(FlaskForm):
    name = StringField(_l("Name:"), filters=[prepare_line], validators=[DataRequired(), Length(max=100), SingleLine()])
    scopes = CheckboxesField(_l("What it may read:"), validators=[DataRequired(_l("Choose at least one."))])
    days = SelectField(_l("Expires after:"), coerce=int, default=DEFAULT_EXPIRY_DAYS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes.choices = [(str(s), f"{s} — {s.label}") for s in Scope]
        self.days.choices = [(d, ngettext("%(num)d day", "%(num)d days", d)) for d in EXPIRY_DAYS]
