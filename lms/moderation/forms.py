"""Moderation forms: a report, a queue action with its reason, a circle's moderation settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.moderation.models import MEMBER_REASONS, ReportReason
from lms.moderation.operations import MAX_DETAILS, MAX_MUTE_MINUTES, MAX_REASON, MAX_WORDS

REASON_LABELS = {
    ReportReason.spam: lazy_pgettext("report reason", "Spam"),
    ReportReason.abuse: lazy_pgettext("report reason", "Abuse or harassment"),
    ReportReason.inappropriate: lazy_pgettext("report reason", "Inappropriate"),
    ReportReason.other: lazy_pgettext("report reason", "Other"),
    ReportReason.word_list: _l("Held: a word on the circle's list"),
    ReportReason.first_post: _l("Held: a new member's first post"),
}


class ReportForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    object_id = IntegerField(validators=[DataRequired()])
    reason = RadioField(_l("Why are you reporting this?"),
                        choices=[SelectChoice(str(r), REASON_LABELS[r]) for r in MEMBER_REASONS],
                        validators=[DataRequired()])
    details = TextAreaField(_l("Anything the staff should know (needed for “Other”):"),
                            validators=[Optional(), Length(max=MAX_DETAILS)], render_kw={"rows": 3})
    next = HiddenField()


class ActionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the author sees it):"), validators=[Optional(), Length(max=MAX_REASON)],
                           render_kw={"rows": 2})
    mute_minutes = IntegerField(_l("Mute for (minutes):"),
                                validators=[Optional(), NumberRange(min=1, max=MAX_MUTE_MINUTES)])
    next = HiddenField()


class SettingsForm(FlaskForm):
    first_posts_need_approval = BooleanField(_l("New members' first posts wait for the staff's approval"))
    links_allowed = BooleanField(_l("Members may post links"))
    word_list = TextAreaField(_l("Words that hold a post, comment or message for review (one a line):"),
                              validators=[Optional(), Length(max=MAX_WORDS)], render_kw={"rows": 6})
    posts_per_hour = IntegerField(_l("Posts per member per hour:"),
                                  validators=[Optional(), NumberRange(min=1, max=10000)])
    comments_per_hour = IntegerField(_l("Comments per member per hour:"),
                                     validators=[Optional(), NumberRange(min=1, max=10000)])
    chat_per_minute = IntegerField(_l("Chat messages per member per minute:"),
                                   validators=[Optional(), NumberRange(min=1, max=10000)])
