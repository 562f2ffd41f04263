"""The console's forms: a new term, classes put in a term, classes copied into a term."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from lms.orgs.forms import _id


class TermForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the term a name.")), Length(max=120)])
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the term's first day."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the term's last day."))])


def _ids(values) -> list[int]:
    return [i for i in (_id(v) for v in values or []) if i is not None]


class ClassesForm(FlaskForm):
    """Classes ticked in a table and a term: put them in it (0: in no term), or copy them into it. The class ids
    are looked up in the organization by the route (ids of other organizations 404)."""

    class_ids = SelectMultipleField(_l("Classes"), coerce=_id, validate_choice=False,
                                    validators=[DataRequired(message=_l("Tick at least one class."))])
    term_id = SelectField(_l("Term"), coerce=_id, validate_choice=False,
                          validators=[InputRequired(message=_l("Choose a term."))])

    def chosen_ids(self) -> list[int]:
        return _ids(self.class_ids.data)
