"""Live lesson forms: scheduling and editing a lesson, the stream key and the gradebook column."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core.i18n import to_local
from lms.core.inputs import SingleLine, prepare_line
from lms.live.models import LiveLesson
from lms.live.operations import LIMITS, MAX_DESCRIPTION

#: What browsers send for datetime-local (as lms/homework/forms.py reads it).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _range(name: str) -> NumberRange:
    low, high = LIMITS[name]
    return NumberRange(min=low, max=high)


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[prepare_line])
    starts_at = DateTimeLocalField(_l("Starts at"), validators=[InputRequired()], format=LOCAL_FORMATS)
    expected_minutes = IntegerField(_l("Expected length (minutes)"), validators=[InputRequired(),
                                                                                  _range("expected_minutes")], default=60)
    description = TextAreaField(_l("Description (Markdown, optional)"),
                                validators=[Optional(), Length(max=MAX_DESCRIPTION)])
    reminder_minutes = IntegerField(_l("Remind the members this many minutes before (0: no reminder)"),
                                    validators=[InputRequired(), _range("reminder_minutes")], default=15)
    late_after_minutes = IntegerField(_l("Late when joining more than this many minutes after it goes live"),
                                      validators=[InputRequired(), _range("late_after_minutes")], default=10)
    present_min_percent = IntegerField(_l("Present when attending at least this percentage of the live time"),
                                       validators=[InputRequired(), _range("present_min_percent")], default=50)

    def fill(self, lesson: LiveLesson) -> None:
        """The fields from a lesson, its time in the editor's time zone."""
        self.title.data = lesson.title
        self.starts_at.data = to_local(lesson.starts_at).replace(tzinfo=None)
        self.expected_minutes.data = lesson.expected_minutes
        self.description.data = lesson.description
        self.reminder_minutes.data = lesson.reminder_minutes
        self.late_after_minutes.data = lesson.late_after_minutes
        self.present_min_percent.data = lesson.present_min_percent


class GradebookForm(FlaskForm):
    """Turn a lesson's attendance into a gradebook item (or update it)."""

    points = FloatField(_l("Points for attending"), validators=[InputRequired(), NumberRange(min=0.5, max=1000)],
                        default=10)
    late_percent = IntegerField(_l("A late arrival earns this percentage of the points"),
                                validators=[InputRequired(), NumberRange(min=0, max=100)], default=50)
    release = BooleanField(_l("Let the students see it now"), default=True)
    #: like the assignment form's: in a category, the column counts in the weighted total
    category_id = SelectField(_l("Grade category"), coerce=int, choices=[], validate_choice=True, default=0)

    def set_categories(self, categories) -> None:
        """The circle's grade categories as (id, name) pairs (lms.homework.grades); 0 means none."""
        self.category_id.choices = [(0, _l("No category"))] + [(i, name) for i, name in categories]
