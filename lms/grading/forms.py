"""Grading forms: rubrics (criteria with levels), categories, grades, regrade requests."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, FloatField, Form, FormField, HiddenField, IntegerField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.grading.operations import MAX_CRITERIA, MAX_LEVELS
from lms.core.inputs import SingleLine, prepare_line


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LevelForm(Form):
    title = StringField(_l("Level"), validators=[Optional(), Length(max=200), SingleLine()], filters=[prepare_line])
    points = FloatField(_l("Points"), validators=[Optional()])  # the range is checked by the operation
    description = StringField(_l("What it looks like"), validators=[Optional(), Length(max=2000), SingleLine()],
                              filters=[prepare_line])


class CriterionForm(Form):
    id = HiddenField()
    title = StringField(_l("Criterion"), validators=[Optional(), Length(max=200), SingleLine()],
                        filters=[prepare_line])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    levels = FieldList(FormField(LevelForm), min_entries=1, max_entries=MAX_LEVELS + 4)


class RubricForm(FlaskForm):
    """A rubric; blank criterion and level rows are ignored, so the page offers spare ones (no JS needed)."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[prepare_line])
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=MAX_CRITERIA + 4)

    def criteria_data(self) -> list[dict]:
        # FormField has `id` and `description` attributes of its own: read the inner form's fields.
        return [{"id": c.form.id.data, "title": c.form.title.data, "description": c.form.description.data,
                 "levels": [{"title": lv.form.title.data, "points": lv.form.points.data,
                             "description": lv.form.description.data} for lv in c.form.levels]}
                for c in self.criteria]

    def add_spare_rows(self, criteria: int = 1, levels: int = 4) -> None:
        """Blank rows to fill in: each criterion gets at least `levels` level rows (one spare)."""
        for _ in range(criteria):
            if len(self.criteria) < self.criteria.max_entries:
                self.criteria.append_entry()
        for criterion in self.criteria:
            rows = criterion.form.levels
            target = max(levels, len([lv for lv in rows if lv.form.title.data]) + 1)
            while len(rows) < min(target, rows.max_entries):
                rows.append_entry()


class CategoryForm(FlaskForm):
    name = StringField(_l("Category"), validators=[DataRequired(), Length(max=100), SingleLine()],
                       filters=[prepare_line])
    weight = FloatField(_l("Weight (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])


class GradeForm(FlaskForm):
    """The SpeedGrader's form. Rubric scores arrive as fields `c<criterion id>` (read by the view)."""

    submission_id = IntegerField(validators=[Optional()])
    score = FloatField(_l("Score"), validators=[Optional()])
    feedback = TextAreaField(_l("Overall comment (Markdown)"), validators=[Optional(), Length(max=20000)])
    waive_penalty = BooleanField(_l("Waive the late penalty"))
    regrade_response = TextAreaField(_l("Answer to the regrade request"), validators=[Optional(), Length(max=5000)])


class DeclineRegradeForm(FlaskForm):
    response = TextAreaField(_l("Why the grade stays as it is"), validators=[DataRequired(), Length(max=5000)])


class RegradeRequestForm(FlaskForm):
    reason = TextAreaField(_l("Why should the grade be looked at again?"),
                           validators=[DataRequired(), Length(max=5000)])


class ReleaseForm(FlaskForm):
    """Release or hide grades: of one student (`student_id`) or, without it, of everyone graded."""

    student_id = IntegerField(validators=[Optional()])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons that post (delete, excuse)."""
