"""Circle forms."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateTimeLocalField, IntegerField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.accounts.forms import TimezoneField
from lms.circles.models import CircleKind, JoinPolicy, Role
from lms.core.i18n import zone_label
from lms.core.inputs import SingleLine, prepare_line


def _strip(value):
    return value.strip() if isinstance(value, str) else value


KIND_LABELS = {
    CircleKind.teaching: _l("Teaching (a class with homework and grades)"),
    CircleKind.internal: _l("Internal (a company or team)"),
    CircleKind.community: _l("Community (members, posts and events, no grades)"),
}
#: what a circle is, in a word, where the circle is named (its header, the join page, a school's list of classes);
#: KIND_LABELS explains each kind where one is chosen
KIND_NAMES = {
    CircleKind.teaching: lazy_pgettext("kind of circle", "Class"),
    CircleKind.internal: lazy_pgettext("kind of circle", "Team"),
    CircleKind.community: lazy_pgettext("kind of circle", "Community"),
}
POLICY_LABELS = {
    JoinPolicy.code: _l("By join code (or invite link)"),
    JoinPolicy.invite: _l("Only by invite link or course code"),
    JoinPolicy.approval: _l("By request: staff approve each person"),
    JoinPolicy.open: _l("Open: anyone with the link joins"),
}
ROLE_LABELS = {
    Role.owner: _l("Owner"),
    Role.teacher: _l("Teacher"),
    Role.assistant: _l("Assistant"),
    Role.student: _l("Student"),
    Role.member: _l("Member"),
}


class CircleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), SingleLine()], filters=[prepare_line])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=5000)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
                       default=CircleKind.teaching.value)
    join_policy = SelectField(_l("How people join"),
                              choices=[SelectChoice(p.value, label) for p, label in POLICY_LABELS.items()],
                              default=JoinPolicy.code.value)
    require_real_name = BooleanField(_l("Ask for the real name on joining"))
    require_student_no = BooleanField(_l("Ask for the student number on joining"))
    cover = FileField(_l("Cover image (optional)"))
    #: only on the settings page; a new circle takes its creator's time zone
    timezone = TimezoneField(_l("Time zone"), validators=[Optional(), Length(max=64)], filters=[_strip],
                             blank=lambda: _("Not set: the site's time zone, %(zone)s",
                                             zone=zone_label(current_app.config["BABEL_DEFAULT_TIMEZONE"])))


class JoinCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=200)], filters=[_strip])  # or a pasted invite link


class IdentityForm(FlaskForm):
    """How a person appears inside one circle."""

    display_name = StringField(_l("Name shown in this circle"),
                               validators=[DataRequired(), Length(max=100), SingleLine()], filters=[prepare_line])
    real_name = StringField(_l("Real name"), validators=[Optional(), Length(max=100), SingleLine()],
                            filters=[prepare_line])
    # Normalized (full-width digits, dashes, spaces, case) by the model when stored.
    student_no = StringField(_l("Student number"), validators=[Optional(), Length(max=40), SingleLine()],
                             filters=[prepare_line])


class JoinForm(IdentityForm):
    message = TextAreaField(_l("Message to the teacher (optional)"), validators=[Optional(), Length(max=500)])


class InviteForm(FlaskForm):
    role = SelectField(_l("Joins as"), choices=[])
    max_uses = IntegerField(_l("Use limit (empty: no limit)"), validators=[Optional(), NumberRange(min=1, max=100000)])
    expires_at = DateTimeLocalField(_l("Expires (empty: never)"), validators=[Optional()])


class CourseCodesForm(FlaskForm):
    # InputRequired, not DataRequired: 0 is typed input and deserves the range message, not "required".
    count = IntegerField(_l("How many codes"), validators=[InputRequired(), NumberRange(min=1, max=500)], default=30)
    batch = StringField(_l("Batch name"), validators=[DataRequired(), Length(max=40), SingleLine()],
                        filters=[prepare_line])
    expires_at = DateTimeLocalField(_l("Expires (empty: never)"), validators=[Optional()])


class RosterImportForm(FlaskForm):
    file = FileField(_l("Roster file (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))])
    readmit = BooleanField(_l("Readmit people in the file whom the staff removed"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons: carries the CSRF token."""
