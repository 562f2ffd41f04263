"""Organization forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from lms.circles.forms import KIND_LABELS, POLICY_LABELS
from lms.circles.models import CircleKind, JoinPolicy
from lms.core.inputs import SingleLine, line_problem, prepare_line
from lms.orgs.models import OrgRole

#: Most classes one bulk form creates; a school year is a few hundred at most.
MAX_BULK_CLASSES = 200
CLASS_NAME_MAX = 120

ORG_ROLE_LABELS = {
    OrgRole.admin: _l("Organization admin"),
    OrgRole.teacher: _l("Teacher"),
    OrgRole.student: _l("Student"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _id(value) -> int | None:
    """An id chosen from a select; None for the "Choose…" entry or anything that is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def class_names(text: str | None) -> list[str]:
    """One class name per line: surrounding spaces and blank lines dropped, repeats kept once
    (case-insensitively, the first spelling wins), order kept."""
    names: list[str] = []
    seen: set[str] = set()
    for line in (text or "").splitlines():
        name = " ".join(line.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


class ClassNames:
    """Validates the bulk list: at least one name, none too long, not too many."""

    def __call__(self, form, field):
        names = class_names(field.data)
        if not names:
            raise ValidationError(_l("Enter at least one class name, one per line."))
        if len(names) > MAX_BULK_CLASSES:
            raise ValidationError(_l("At most %(n)d classes at a time. Split the list and send the rest next.",
                                     n=MAX_BULK_CLASSES))
        for name in names:
            problem = line_problem(name)
            if problem:
                raise ValidationError(_l("%(problem)s (%(name)s)", problem=problem, name=name[:40]))
            if len(name) > CLASS_NAME_MAX:
                raise ValidationError(_l("This name is longer than %(n)d characters: %(name)s",
                                         n=CLASS_NAME_MAX, name=name[:40] + "…"))


class OrgForm(FlaskForm):
    name = StringField(_pl("a thing's name, not a person's", "Name"),
                       validators=[DataRequired(), Length(max=120), SingleLine()], filters=[prepare_line])
    description = TextAreaField(_l("Description (Markdown, optional)"), validators=[Optional(), Length(max=5000)])


class AddOrgMemberForm(FlaskForm):
    """Add someone who already has an account, by email; the route sets the role choices."""

    email = EmailField(_l("Email of their account"), validators=[DataRequired(), Email(), Length(max=254)],
                       filters=[_strip])
    role = SelectField(_l("Role"), choices=[])


class BulkClassesForm(FlaskForm):
    names = TextAreaField(_l("Class names, one per line"), validators=[ClassNames()])
    #: choices are the org's teachers; an id outside them is refused by the operation, with a reason
    teacher_id = SelectField(_l("Teacher (owns the classes)"), coerce=_id, validate_choice=False,
                             validators=[DataRequired(message=_l("Choose a teacher."))])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
                       default=CircleKind.teaching.value)
    join_policy = SelectField(_l("How students join"),
                              choices=[SelectChoice(p.value, label) for p, label in POLICY_LABELS.items()],
                              default=JoinPolicy.code.value)


class AssignTeacherForm(FlaskForm):
    class_id = SelectField(_l("Class"), coerce=_id, validate_choice=False,
                           validators=[DataRequired(message=_l("Choose a class."))])
    assignee_id = SelectField(_l("Teacher"), coerce=_id, validate_choice=False,
                              validators=[DataRequired(message=_l("Choose a teacher."))])


class PlaceCircleForm(FlaskForm):
    """Put one's own circle into an organization where one teaches; the choices are those organizations,
    and an id outside them is refused by the route's permission check."""

    org_id = SelectField(_l("Organization"), coerce=_id, validate_choice=False,
                         validators=[DataRequired(message=_l("Choose an organization."))])
