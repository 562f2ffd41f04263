"""Homework forms: an assignment's settings, handing in work."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, FloatField, IntegerField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core.inputs import SingleLine, prepare_line
from lms.core.i18n import to_local
from lms.homework.models import Accepts, LatePolicy, PeerVisibility


def _strip(value):
    return value.strip() if isinstance(value, str) else value


ACCEPTS_LABELS = {
    Accepts.video: _l("A video (with an optional note and attachments)"),
    Accepts.text: _l("Text and files only"),
}
LATE_LABELS = {
    LatePolicy.accept: _l("Accept late work, marked late"),
    LatePolicy.penalty: _l("Accept late work with a penalty per started day"),
    LatePolicy.refuse: _l("Refuse late work"),
}
VISIBILITY_LABELS = {
    PeerVisibility.hidden: _l("Hidden: only the staff see submissions"),
    PeerVisibility.after_submit: _l("A student sees classmates' work once they have handed in theirs"),
    PeerVisibility.after_due: _l("Everyone sees everyone's work after the due time"),
}
#: What browsers send for datetime-local (with or without seconds); the first is how values are shown,
#: since a browser's datetime-local input ignores a value with a space instead of the "T".
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
STATUS_LABELS = {"draft": _l("Draft (only the staff see it)"), "published": _l("Published")}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class AssignmentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[prepare_line])
    instructions_md = TextAreaField(_l("Instructions (Markdown)"), validators=[Optional(), Length(max=20000)])
    accepts = SelectField(_l("Students hand in"), choices=_choices(ACCEPTS_LABELS), default=Accepts.video.value)
    allow_attachments = BooleanField(_l("Allow attachments"), default=True)
    max_video_minutes = FloatField(_l("Longest video, in minutes (empty: the site's limit)"),
                                   validators=[Optional(), NumberRange(min=0.1)])
    opens_at = DateTimeLocalField(_l("Opens (empty: at once)"), validators=[Optional()], format=LOCAL_FORMATS)
    due_at = DateTimeLocalField(_l("Due"), validators=[Optional()], format=LOCAL_FORMATS)
    closes_at = DateTimeLocalField(_l("Closes for good (empty: never)"), validators=[Optional()],
                                   format=LOCAL_FORMATS)
    late_policy = SelectField(_l("Late work"), choices=_choices(LATE_LABELS), default=LatePolicy.accept.value)
    late_penalty_per_day = FloatField(_l("Penalty per started day late (%)"),
                                      validators=[Optional(), NumberRange(min=0, max=100)])
    late_penalty_cap = FloatField(_l("Largest penalty (%)"), validators=[Optional(), NumberRange(min=0, max=100)],
                                  default=100)
    points = FloatField(_l("Points"), validators=[InputRequired(), NumberRange(min=0, max=100000)], default=100)
    rubric_id = SelectField(_l("Rubric"), coerce=int, choices=[], validate_choice=True)
    category_id = SelectField(_l("Grade category"), coerce=int, choices=[], validate_choice=True)
    peer_visibility = SelectField(_l("Classmates' work"), choices=_choices(VISIBILITY_LABELS),
                                  default=PeerVisibility.hidden.value)
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS), default="draft")

    def set_options(self, rubrics, categories) -> None:
        """The circle's rubrics and grade categories as (id, label) pairs (lms/homework/grades.py); 0 means none."""
        self.rubric_id.choices = [SelectChoice(0, _l("No rubric"))] + [SelectChoice(i, title) for i, title in rubrics]
        self.category_id.choices = [SelectChoice(0, _l("No category"))] + [
            SelectChoice(i, name) for i, name in categories]


class SubmitForm(FlaskForm):
    """Handing in: the ids of finished uploads (the uploader fills them in) and a note."""

    media_id = IntegerField(validators=[Optional()])
    # Attachments arrive as repeated `file_id` inputs (the uploader's multiple mode): read with getlist.
    text = TextAreaField(_l("Note (Markdown, optional)"), validators=[Optional(), Length(max=20000)])


class ExtensionForm(FlaskForm):
    """A later due (and maybe close) time for the students ticked (`student_id`, repeated: read with getlist)."""

    due_at = DateTimeLocalField(_l("New due time"), validators=[DataRequired()], format=LOCAL_FORMATS)
    closes_at = DateTimeLocalField(_l("Closes for good (empty: the assignment's)"), validators=[Optional()],
                                   format=LOCAL_FORMATS)
    reason = StringField(_l("Reason (staff only, optional)"), validators=[Optional(), Length(max=500), SingleLine()],
                         filters=[prepare_line])

    @classmethod
    def filled(cls, extension) -> ExtensionForm:
        """A form showing an extension's times in the viewer's time zone (blank for None), for changing it."""
        if extension is None:
            return cls(formdata=None)
        form = cls(formdata=None)
        form.due_at.data = to_local(extension.due_at).replace(tzinfo=None)
        form.closes_at.data = to_local(extension.closes_at).replace(tzinfo=None) if extension.closes_at else None
        form.reason.data = extension.reason
        return form
