"""Notification forms: mail preferences per kind, the digest hour and quiet hours."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from lms.notifications.kinds import Channel

CHANNEL_LABELS = {
    Channel.now: _l("Mail me at once"),
    Channel.digest: _l("In my daily digest"),
    Channel.off: _l("No mail"),
}


def _hours() -> list[SelectChoice]:
    return [SelectChoice(str(hour), f"{hour:02d}:00") for hour in range(24)]


def _optional_hours() -> list[SelectChoice]:
    return [SelectChoice("", _l("None")), *_hours()]


def channel_choices() -> list[tuple[str, str]]:
    return [(str(channel), label) for channel, label in CHANNEL_LABELS.items()]


class SettingsForm(FlaskForm):
    """The hours; the per-kind choices are read from the same POST (one select per registered kind)."""

    digest_hour = SelectField(_l("Daily digest at"), choices=_hours(), validators=[InputRequired()])
    quiet_start = SelectField(_l("Quiet hours from"), choices=_optional_hours())
    quiet_end = SelectField(_l("Quiet hours until"), choices=_optional_hours())

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if bool(self.quiet_start.data) != bool(self.quiet_end.data):
            self.quiet_end.errors.append(_l("Choose both ends of the quiet hours, or neither."))
            return False
        return True

    @staticmethod
    def hour(value: str | None) -> int | None:
        return int(value) if value not in (None, "") else None
