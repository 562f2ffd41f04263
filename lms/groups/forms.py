"""Group forms: a group's name, people to put in a group, a move, the random split."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from lms.core.inputs import SingleLine, prepare_line
from lms.groups.models import NAME_MAX
from lms.groups.operations import MAX_GROUPS


class GroupForm(FlaskForm):
    name = StringField(_l("Group name"),
                       validators=[DataRequired(_l("Give the group a name.")),
                                   Length(max=NAME_MAX, message=_l("At most %(max)d characters.", max=NAME_MAX)),
                                   SingleLine()],
                       filters=[prepare_line])


class AddMembersForm(FlaskForm):
    """The students ticked on the add page (user ids; the operation checks each is a student of the circle)."""

    user_ids = SelectMultipleField(_l("Students"), coerce=int, choices=[], validate_choice=False)


class MoveForm(FlaskForm):
    group_id = SelectField(_l("Move to"), coerce=int, choices=[], validate_choice=False)


class SplitForm(FlaskForm):
    count = IntegerField(_l("Number of new groups"),
                         validators=[InputRequired(_l("Give the number of groups.")),
                                     NumberRange(min=1, max=MAX_GROUPS,
                                                 message=_l("Give a whole number from 1 to %(max)d.", max=MAX_GROUPS))],
                         default=2)
    name_start = StringField(_l("Names begin with"),
                         validators=[DataRequired(_l("Give the start of the groups' names.")),
                                     Length(max=NAME_MAX - 6,
                                            message=_l("At most %(max)d characters.", max=NAME_MAX - 6)),
                                     SingleLine()],
                         filters=[prepare_line])


class ImportForm(FlaskForm):
    file = FileField(_l("Groups file (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))])
