"""Calibration forms: the two switches of the set-up, and an example's title and the teacher's comment
(its video arrives as the uploader's `media_id`, its reference scores as the rubric's `score-<key>` radios)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from lms.reviews.calibration import MAX_TITLE


class CalibrationForm(FlaskForm):
    calibration_required = BooleanField(_l("Students practise on the examples before reviewing classmates"))
    weight_by_accuracy = BooleanField(_l("Weight each reviewer's scores by their accuracy"))


class ExampleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Give the example a title.")),
                                                 Length(max=MAX_TITLE)])
    teacher_comment = TextAreaField(_l("Your comment, shown after the practice is handed in (Markdown)"))
