"""Peer-review forms: the set-up of an assignment, a teacher's reassignment and task added by hand."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, FloatField, IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from lms.core.i18n import to_local
from lms.homework.forms import LOCAL_FORMATS
from lms.reviews.models import Anonymity, PeerReviewSettings
from lms.reviews.operations import MAX_COMMENT_LENGTH, MAX_K, MAX_TIMESTAMPED

ANONYMITY_LABELS = {
    Anonymity.double_blind: _l("Double blind: reviewers and authors do not see each other's names"),
    Anonymity.reviewers_named: _l("Reviewers named: authors see who reviewed them"),
    Anonymity.authors_named: _l("Authors named: reviewers see whose work they review"),
}


class SettingsForm(FlaskForm):
    """An assignment's peer-review set-up. Ranges are checked here for the message next to the field and
    again by the operation (lms/reviews/operations.py, save_settings), which also checks what spans fields."""

    is_enabled = BooleanField(_l("Students review each other's work"))
    reviews_per_submission = IntegerField(
        _l("Reviews per submission"),
        validators=[InputRequired(_l("Give the number of reviews per submission.")),
                    NumberRange(min=1, max=MAX_K, message=_l("Give a whole number from 1 to %(max)d.", max=MAX_K))],
        default=3)
    opens_at = DateTimeLocalField(_l("Review window opens (empty: at the due time)"), validators=[Optional()],
                                  format=LOCAL_FORMATS)
    closes_at = DateTimeLocalField(_l("Review window closes"), validators=[Optional()], format=LOCAL_FORMATS)
    anonymity = SelectField(_l("Names"), choices=[SelectChoice(str(v), label) for v, label in ANONYMITY_LABELS.items()],
                            default=Anonymity.double_blind.value)
    rubric_id = SelectField(_l("Rubric reviewers score with"), coerce=int, choices=[], validate_choice=True)
    comment_min_length = IntegerField(
        _l("Shortest overall comment, in characters (0: none required)"),
        validators=[InputRequired(_l("Give a whole number.")),
                    NumberRange(min=0, max=MAX_COMMENT_LENGTH,
                                message=_l("Give a whole number from 0 to %(max)d.", max=MAX_COMMENT_LENGTH))],
        default=0)
    min_timestamped_comments = IntegerField(
        _l("Comments pinned to moments of the video, at least"),
        validators=[InputRequired(_l("Give a whole number.")),
                    NumberRange(min=0, max=MAX_TIMESTAMPED,
                                message=_l("Give a whole number from 0 to %(max)d.", max=MAX_TIMESTAMPED))],
        default=0)
    score_share = FloatField(
        _l("Share of the grade from the peer score received (%)"),
        validators=[InputRequired(_l("Give a percentage.")),
                    NumberRange(min=0, max=100, message=_l("Give a percentage from 0 to 100."))], default=0)
    reviewing_share = FloatField(
        _l("Share of the grade from reviewing well (%)"),
        validators=[InputRequired(_l("Give a percentage.")),
                    NumberRange(min=0, max=100, message=_l("Give a percentage from 0 to 100."))], default=0)
    non_submitters_review = BooleanField(_l("Students who handed nothing in may review too"))
    separate_groups = BooleanField(_l("Members of one group never review each other"))

    def set_rubrics(self, rubrics) -> None:
        """The circle's rubrics as (id, title); 0 means the assignment's own."""
        self.rubric_id.choices = [SelectChoice(0, _l("The assignment's rubric"))] + [
            SelectChoice(i, title) for i, title in rubrics]

    def fill(self, settings: PeerReviewSettings) -> None:
        """The fields from a set-up, times in the viewer's time zone."""
        for name in ("is_enabled", "reviews_per_submission", "comment_min_length", "min_timestamped_comments",
                     "score_share", "reviewing_share", "non_submitters_review", "separate_groups"):
            getattr(self, name).data = getattr(settings, name)
        for name in ("opens_at", "closes_at"):
            value = getattr(settings, name)
            getattr(self, name).data = to_local(value).replace(tzinfo=None) if value else None
        self.anonymity.data = Anonymity(settings.anonymity or Anonymity.double_blind).value
        self.rubric_id.data = settings.rubric_id or 0


class ReassignForm(FlaskForm):
    """Give a task to another student (`reviewer_id`, a user id chosen from the circle's students)."""

    reviewer_id = SelectField(_l("New reviewer"), coerce=int, choices=[], validate_choice=False)


class AddTaskForm(FlaskForm):
    """Add a review task by hand."""

    reviewer_id = SelectField(_l("Reviewer"), coerce=int, choices=[], validate_choice=False)
    author_id = SelectField(_l("Work of"), coerce=int, choices=[], validate_choice=False)


class ExtensionForm(FlaskForm):
    """A later close of the review window for one student (`user_id`, chosen from the circle's students)."""

    user_id = SelectField(_l("Student"), coerce=int, choices=[], validate_choice=False)
    closes_at = DateTimeLocalField(_l("Their review window closes"), format=LOCAL_FORMATS,
                                   validators=[InputRequired(_l("Give the time their review window closes."))])

    def fill(self, extension) -> None:
        """The time of an extension, in the viewer's time zone."""
        self.user_id.data = extension.user_id
        self.closes_at.data = to_local(extension.closes_at).replace(tzinfo=None)


class ReopenForm(FlaskForm):
    """Reopen a handed-in review; when the reviewer's review window has closed, with the time their own
    window now closes (an extension given in the same action, so the reopened review can be changed)."""

    closes_at = DateTimeLocalField(_l("They can change it until"), format=LOCAL_FORMATS, validators=[Optional()])
