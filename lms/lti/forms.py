"""The site admin's form for an LTI platform's registration."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from lms.core.inputs import SingleLine, prepare_line


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def split_lines(text: str | None) -> list[str]:
    """Deployment ids, one a line (they may hold spaces and colons, so only lines separate them)."""
    return list(dict.fromkeys(line.strip() for line in re.split(r"[\r\n]+", text or "") if line.strip()))


class PlatformForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), SingleLine()], filters=[prepare_line])
    issuer = StringField(_l("Issuer"), validators=[DataRequired(), Length(max=500)], filters=[_strip])
    client_id = StringField(_l("Client ID"), validators=[DataRequired(), Length(max=255)], filters=[_strip])
    deployment_ids = TextAreaField(_l("Deployment IDs (one a line)"), validators=[DataRequired(), Length(max=4000)])
    auth_login_url = StringField(_l("Authentication request URL"),
                                 validators=[DataRequired(), Length(max=500), URL(require_tld=False)], filters=[_strip])
    auth_token_url = StringField(_l("Access token URL"),
                                 validators=[Optional(), Length(max=500), URL(require_tld=False)], filters=[_strip])
    keyset_url = StringField(_l("Public keyset URL"),
                             validators=[DataRequired(), Length(max=500), URL(require_tld=False)], filters=[_strip])
    trust_email = BooleanField(_l("Trust the platform's email addresses: link a launch to the account with the same "
                                  "address"))
    is_enabled = BooleanField(_l("Accept launches from this platform"), default=True)
    save = SubmitField(_l("Save"))

    def validate_deployment_ids(self, field):
        if any(len(d) > 255 for d in split_lines(field.data)):
            raise ValidationError(_l("A deployment ID is at most 255 characters."))

    def settings(self) -> dict:
        return {"name": self.name.data, "issuer": self.issuer.data, "client_id": self.client_id.data,
                "deployment_ids": split_lines(self.deployment_ids.data), "auth_login_url": self.auth_login_url.data,
                "auth_token_url": self.auth_token_url.data or "", "keyset_url": self.keyset_url.data,
                "trust_email": bool(self.trust_email.data), "is_enabled": bool(self.is_enabled.data)}


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (rotating the tool key)."""
