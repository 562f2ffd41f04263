"""Forms of the circle's files: a name (new folder, rename), a move, the uploads to add, the settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from lms.core.inputs import SingleLine, prepare_line
from lms.files.models import NAME_MAX


class NameForm(FlaskForm):
    name = StringField(_l("Name"),
                       validators=[DataRequired(_l("Give it a name.")),
                                   Length(max=NAME_MAX, message=_l("At most %(max)d characters.", max=NAME_MAX)),
                                   SingleLine()],
                       filters=[prepare_line])


class MoveForm(FlaskForm):
    target_id = SelectField(_pl("files: put into another folder", "Move to"), coerce=int, choices=[],
                            validate_choice=False)


class AddFilesForm(FlaskForm):
    """The finished uploads (media ids) the uploader put in the form; the operation checks each."""

    media_id = SelectMultipleField(_l("Files"), coerce=int, choices=[], validate_choice=False)


class SettingsForm(FlaskForm):
    members_may_upload = BooleanField(_l("Members may upload files"))
    member_folder_id = SelectField(_l("Into the folder"), coerce=int, choices=[], validate_choice=False)
