"""Forms of school sign-in: a provider's settings."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from lms.core.inputs import SingleLine, prepare_line

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CLAIM = Regexp(r"^[A-Za-z0-9_.:/-]*$", message=_l("A claim name has letters, digits and _ . : / - only."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def split_domains(text: str | None) -> list[str]:
    """The domains typed one per line or separated by commas or spaces, lower-cased, without "@"."""
    return [part.lstrip("@").lower() for part in re.split(r"[\s,;]+", text or "") if part.strip()]


class ProviderForm(FlaskForm):
    name = StringField(_l("Name on the button"), validators=[DataRequired(), Length(max=120), SingleLine()],
                       filters=[prepare_line])
    issuer = StringField(_l("Issuer address"), validators=[DataRequired(), Length(max=500)], filters=[_strip])
    client_id = StringField(_l("Client ID"), validators=[DataRequired(), Length(max=255)], filters=[_strip])
    client_secret = PasswordField(_l("Client secret"), validators=[Optional(), Length(max=1000)])
    scopes = StringField(_l("Scopes"), default="openid email profile", validators=[Length(max=500)],
                         filters=[_strip])
    email_claim = StringField(_l("Email claim"), default="email", validators=[DataRequired(), Length(max=100), _CLAIM],
                              filters=[_strip])
    name_claim = StringField(_l("Name claim"), default="name", validators=[DataRequired(), Length(max=100), _CLAIM],
                             filters=[_strip])
    student_number_claim = StringField(_l("Student number claim"), validators=[Optional(), Length(max=100), _CLAIM],
                                       filters=[_strip])
    role_claim = StringField(_l("Role claim"), validators=[Optional(), Length(max=100), _CLAIM], filters=[_strip])
    allowed_domains = TextAreaField(_l("Allowed email domains (one a line; empty: any)"),
                                    validators=[Length(max=2000)])
    is_enabled = BooleanField(_l("Show the button and let people sign in"), default=True)
    is_exclusive = BooleanField(_l("The only way in for the organization's members (no password sign-in)"))
    confirm_exclusive = BooleanField(_l("I understand: the members' password sign-in stops, and they sign in only "
                                        "with this provider"))
    save = SubmitField(_l("Save"))
    test = SubmitField(_l("Test the connection"))

    def validate_allowed_domains(self, field):
        bad = [d for d in split_domains(field.data) if not _DOMAIN.match(d)]
        if bad:
            raise ValidationError(_l("Not a domain: %(domains)s", domains=", ".join(bad[:5])))

    def settings(self) -> dict:
        """The provider's settings as operations.create_provider takes them."""
        return {"name": self.name.data, "issuer": self.issuer.data, "client_id": self.client_id.data,
                "scopes": self.scopes.data, "email_claim": self.email_claim.data, "name_claim": self.name_claim.data,
                "student_number_claim": self.student_number_claim.data, "role_claim": self.role_claim.data,
                "allowed_domains": split_domains(self.allowed_domains.data), "is_enabled": bool(self.is_enabled.data),
                "is_exclusive": bool(self.is_exclusive.data)}
