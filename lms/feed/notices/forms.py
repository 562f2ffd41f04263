"""Notice forms: writing and editing a notice (with its schedule, pin, must-read and deadline), confirming it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.core.i18n import to_local
from lms.core.inputs import SingleLine, prepare_line
from lms.feed.notices.models import Notice, ReceiptLevel

#: What browsers send for datetime-local (as lms/homework/forms.py reads it).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

WHEN_LABELS = {
    "now": _l("Publish now"),
    "later": _l("Publish at a set time"),
    "draft": _l("Keep as a draft (only the staff see it)"),
}
LEVEL_LABELS = {
    ReceiptLevel.opened: _l("Opened (a member has read it once they open it)"),
    ReceiptLevel.confirmed: _l("Confirmed (a member presses “I have read this”)"),
}
#: the longest a body may be (a syllabus with tables fits)
MAX_BODY = 50000


class NoticeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), SingleLine()], filters=[prepare_line])
    body_md = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=MAX_BODY)])
    when = SelectField(_l("When"), choices=[SelectChoice(k, v) for k, v in WHEN_LABELS.items()], default="now")
    publish_at = DateTimeLocalField(_l("Publish at"), validators=[Optional()], format=LOCAL_FORMATS)
    is_pinned = BooleanField(_l("Pin to the top"))
    is_must_read = BooleanField(_l("Must-read (stays on top for each member until they confirm it)"))
    receipt_level = SelectField(_l("What counts as read"), choices=[SelectChoice(k.value, v) for k, v in LEVEL_LABELS.items()],
                                default=ReceiptLevel.opened.value)
    confirm_by = DateTimeLocalField(_l("Deadline to confirm (must-read, optional)"), validators=[Optional()],
                                    format=LOCAL_FORMATS)
    remind_hours = IntegerField(_l("Remind those who have not confirmed, hours before the deadline"),
                                validators=[Optional(), NumberRange(min=0, max=24 * 60)], default=24)
    escalate_hours = IntegerField(_l("Then mail those still not confirmed, hours after the reminder (empty: no mail)"),
                                  validators=[Optional(), NumberRange(min=0, max=24 * 60)])
    # Only when editing a published notice (templates/feed/notices/form.html): both off unless ticked.
    notify_change = BooleanField(_l("Notify members of this change"))
    confirm_again = BooleanField(_l("Ask members to confirm again (clears their confirmations and tells them)"))
    # Attachments arrive as repeated `file_id` inputs (the uploader's multiple mode): read with getlist.

    def fill(self, notice: Notice) -> None:
        """The fields from a notice, local times in the editor's time zone."""
        self.title.data = notice.title
        self.body_md.data = notice.body_md
        self.when.data = "draft" if notice.is_draft else ("later" if notice.is_scheduled() else "now")
        self.publish_at.data = to_local(notice.publish_at).replace(tzinfo=None) if notice.publish_at else None
        self.is_pinned.data = notice.is_pinned
        self.is_must_read.data = notice.is_must_read
        self.receipt_level.data = notice.receipt_level.value
        self.confirm_by.data = to_local(notice.confirm_by).replace(tzinfo=None) if notice.confirm_by else None
        self.remind_hours.data = notice.remind_hours
        self.escalate_hours.data = notice.escalate_hours


class PreviewForm(FlaskForm):
    """The text to preview (the form's "Preview" button, static/js/feed/notices_form.js); CSRF checked."""

    body_md = TextAreaField(validators=[Optional(), Length(max=MAX_BODY)])


class ConfirmReadForm(FlaskForm):
    """The "I have read this" button (CSRF only)."""


class RemindForm(FlaskForm):
    """The "Remind those who have not read" button (CSRF only)."""
