"""Chat forms: the circle's chat settings, a new channel, a message (the page without scripts)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.chat.models import MESSAGE_MAX, ChannelVisibility
from lms.chat.operations import NAME_MAX
from lms.core.inputs import SingleLine, prepare_line

VISIBILITY_LABELS = {ChannelVisibility.all: _l("Every member of the circle"),
                     ChannelVisibility.chosen: _l("Only the members I choose (and the staff)")}


class SettingsForm(FlaskForm):
    is_enabled = BooleanField(_l("Chat is on in this circle"))
    members_may_message_members = BooleanField(
        _l("Members may send direct messages to each other (not only to the staff)"))


class ChannelForm(FlaskForm):
    name = StringField(_l("Channel name"), filters=[prepare_line],
                       validators=[DataRequired(), Length(max=NAME_MAX), SingleLine()])
    visibility = RadioField(_l("Who sees it"),
                            choices=[SelectChoice(v.value, label) for v, label in VISIBILITY_LABELS.items()],
                            default=ChannelVisibility.all.value)
    members = SelectMultipleField(_l("Members"), coerce=int, choices=[], validate_choice=False,
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class RenameForm(FlaskForm):
    name = StringField(_l("Channel name"), filters=[prepare_line],
                       validators=[DataRequired(), Length(max=NAME_MAX), SingleLine()])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MESSAGE_MAX)])
