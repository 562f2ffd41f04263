"""The audit log's filter form (a GET form: no CSRF token, nothing changes)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from lms.audit.models import ACTION_LABELS, AuditAction
from lms.audit.queries import AuditFilter


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = SearchField(_l("Who"), filters=[_strip], validators=[Optional(), Length(max=200)],
                        render_kw={"placeholder": _l("Name or email")})
    action = SelectField(_l("Action"), validators=[Optional()])
    circle = SearchField(_l("Circle"), filters=[_strip], validators=[Optional(), Length(max=120)],
                         render_kw={"placeholder": _l("Name or number")})
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", _l("Any action"))] + sorted(
            (SelectChoice(a.value, ACTION_LABELS[a]) for a in AuditAction), key=lambda c: str(c.label))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def to_filter(self, tz: str) -> AuditFilter:
        """The filter the form asks for (call after validate)."""
        return AuditFilter(actor=self.actor.data or "", action=AuditAction(self.action.data) if self.action.data else None,
                           circle=self.circle.data or "", date_from=self.date_from.data, date_to=self.date_to.data,
                           tz=tz)
