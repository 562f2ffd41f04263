"""Check-in forms: a task, a check-in, a comment, a reminder time, the gradebook column."""
from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, DateField, FloatField, IntegerField, RadioField, SelectChoice, SelectField,
                     SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.checkins.models import DAY_MINUTES, CheckinTask, RequirementKind, ScheduleKind
from lms.checkins.operations import LIMITS, MAX_COMMENT, MAX_INSTRUCTIONS, MAX_TEXT, MAX_TITLE
from lms.core.inputs import SingleLine, prepare_line

SCHEDULE_LABELS = {
    ScheduleKind.daily: _l("Every day"),
    ScheduleKind.weekdays: _l("Weekdays (Monday to Friday)"),
    ScheduleKind.chosen: _l("Chosen days of the week"),
    ScheduleKind.date_range: _l("Every day of a date range"),
}
REQUIREMENT_LABELS = {
    RequirementKind.text: _l("A text"),
    RequirementKind.photo: _l("Photos"),
    RequirementKind.video: _l("A short video"),
    RequirementKind.number: _l("A number (e.g. minutes read)"),
}
#: Monday first, as datetime.weekday() counts (short: they are column heads of the calendar too)
WEEKDAY_LABELS = (_pl("weekday", "Mon"), _pl("weekday", "Tue"), _pl("weekday", "Wed"), _pl("weekday", "Thu"),
                  _pl("weekday", "Fri"), _pl("weekday", "Sat"), _pl("weekday", "Sun"))


def _range(name: str) -> NumberRange:
    low, high = LIMITS[name]
    return NumberRange(min=low, max=high)


def minutes_of(value: time | None, *, end: bool = False) -> int | None:
    """A wall time as minutes after midnight; an end of 00:00 is midnight at the end of the day (24:00)."""
    if value is None:
        return None
    minute = value.hour * 60 + value.minute
    return DAY_MINUTES if end and minute == 0 else minute


def time_of(minute: int) -> time:
    return time(0, 0) if minute >= DAY_MINUTES else time(minute // 60, minute % 60)


class TaskForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE), SingleLine()],
                        filters=[prepare_line])
    instructions_md = TextAreaField(_l("Instructions (Markdown, optional)"),
                                    validators=[Optional(), Length(max=MAX_INSTRUCTIONS)], render_kw={"rows": 4})
    schedule = RadioField(_l("Days"), choices=[SelectChoice(k.value, v) for k, v in SCHEDULE_LABELS.items()],
                          default=ScheduleKind.daily.value)
    weekdays = SelectMultipleField(_l("Days of the week"), coerce=int,
                                   choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAY_LABELS)],
                                   default=[0, 1, 2, 3, 4], widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day (optional; needed for a date range)"), validators=[Optional()])
    window_start = TimeField(_l("Window opens at"), validators=[InputRequired()], default=time(0, 0))
    window_end = TimeField(_l("Window closes at (00:00: midnight)"), validators=[InputRequired()], default=time(0, 0))
    requirement = RadioField(_l("A check-in needs"),
                             choices=[SelectChoice(k.value, v) for k, v in REQUIREMENT_LABELS.items()],
                             default=RequirementKind.text.value)
    min_words = IntegerField(_l("Fewest words of the text (a Chinese, Japanese or Korean character counts as a word)"),
                             validators=[InputRequired(), _range("min_words")], default=10)
    min_photos = IntegerField(_l("Fewest photos"), validators=[InputRequired(), _range("min_photos")], default=1)
    unit_label = StringField(_l("What the number counts (e.g. minutes read)"),
                             validators=[Optional(), Length(max=60)], filters=[prepare_line])
    min_value = FloatField(_l("Least number accepted"), validators=[InputRequired(), NumberRange(min=0, max=1e6)],
                           default=0)
    makeup_allowance = IntegerField(_l("Make-up check-ins a member may do for missed days (0: none)"),
                                    validators=[InputRequired(), _range("makeup_allowance")], default=0)
    makeup_days_back = IntegerField(_l("How many days back a make-up may reach"),
                                    validators=[InputRequired(), _range("makeup_days_back")], default=3)
    #: a first day before today is taken only when the teacher says the days before today count
    count_past_days = BooleanField(_l("Count the days before today too (members who did not check in on them "
                                      "have missed them)"), default=False)
    members_see_each_other = BooleanField(_l("Members see each other's check-ins"), default=True)

    #: today in the circle's time zone, and the first day as it was (an edit), set by the route: a first day
    #: moved into the past needs count_past_days
    today = None
    first_day_before = None
    reminders_enabled = BooleanField(_l("Members may choose a daily reminder time"), default=True)

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks and the checks across fields (lms.checkins.operations.task_errors) at
        once, so every mistake shows on the first try."""
        from lms.checkins.operations import task_errors

        valid = super().validate(extra_validators)
        values = self.values()
        values["schedule"] = self.schedule.data if self.schedule.data in set(ScheduleKind) else None
        values["requirement"] = self.requirement.data if self.requirement.data in set(RequirementKind) else None
        for error in task_errors(values):
            field = getattr(self, error.field)
            if str(error) not in field.errors:
                field.errors = [*field.errors, str(error)]
            valid = False
        first = self.starts_on.data
        if (self.today is not None and first is not None and first < self.today and not self.count_past_days.data
                and (self.first_day_before is None or first < self.first_day_before)):
            self.starts_on.errors = [*self.starts_on.errors, _l(
                "This day is past: members could not check in on the days before today. Start today or later, "
                "or tick “Count the days before today too”.")]
            valid = False
        return valid

    def values(self) -> dict:
        mask = 0
        for day in self.weekdays.data or []:
            if 0 <= int(day) < 7:
                mask |= 1 << int(day)
        return {"title": self.title.data or "", "instructions_md": self.instructions_md.data or "",
                "schedule": self.schedule.data, "weekday_mask": mask, "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data, "window_start_minute": minutes_of(self.window_start.data),
                "window_end_minute": minutes_of(self.window_end.data, end=True),
                "requirement": self.requirement.data, "min_words": self.min_words.data,
                "min_photos": self.min_photos.data, "unit_label": self.unit_label.data or "",
                "min_value": self.min_value.data or 0, "makeup_allowance": self.makeup_allowance.data,
                "makeup_days_back": self.makeup_days_back.data,
                "members_see_each_other": self.members_see_each_other.data,
                "reminders_enabled": self.reminders_enabled.data}

    def fill(self, task: CheckinTask) -> None:
        for name in ("title", "instructions_md", "starts_on", "ends_on", "min_words", "min_photos", "unit_label",
                     "min_value", "makeup_allowance", "makeup_days_back", "members_see_each_other",
                     "reminders_enabled"):
            getattr(self, name).data = getattr(task, name)
        self.schedule.data = task.schedule.value
        self.requirement.data = task.requirement.value
        self.weekdays.data = [d for d in range(7) if task.weekday_mask & (1 << d)]
        self.window_start.data = time_of(task.window_start_minute)
        self.window_end.data = time_of(task.window_end_minute)


class CheckinForm(FlaskForm):
    text = TextAreaField(_l("Your check-in"), validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 4})
    number = FloatField(validators=[Optional()])
    #: photos are accepted by their content (lms.core.images), never by name or type
    photos = MultipleFileField(_l("Photos"))
    #: the id of the member's own video, set by the upload widget
    media_id = IntegerField(validators=[Optional()])
    #: a make-up: the missed day (ISO date); empty: today
    day = DateField(_l("Day"), validators=[Optional()])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Write a comment"), validators=[DataRequired(), Length(max=MAX_COMMENT)],
                         render_kw={"rows": 2})


class ReminderForm(FlaskForm):
    at = TimeField(_l("Remind me every check-in day at"), validators=[Optional()])
    off = BooleanField(_l("No reminder"))


class GradebookForm(FlaskForm):
    """Turn a task's completion rate into a gradebook item (or update it)."""

    points = FloatField(_l("Points for a full record"), validators=[InputRequired(), NumberRange(min=0.5, max=1000)],
                        default=10)
    #: off by default: the rates of the first days would reach every student as "your grade is ready"
    release = BooleanField(_l("Let the students see it now"), default=False)
    category_id = SelectField(_l("Grade category"), coerce=int, choices=[], validate_choice=True, default=0)

    def set_categories(self, categories) -> None:
        self.category_id.choices = [SelectChoice(0, _l("No category"))] + [SelectChoice(i, name)
                                                                          for i, name in categories]
