"""Account forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from lms.accounts.passwords import MAX_LENGTH, password_problem
from lms.core.i18n import LANGUAGE_NAMES, is_timezone, timezone_options
from lms.core.inputs import SingleLine, prepare_line


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class StrongPassword:
    """Checks the password policy against the form's email and name fields, or, on forms without
    them (reset, change), against the account the route set as `form.account`."""

    def __call__(self, form, field):
        account = getattr(form, "account", None)
        email = form.email.data if "email" in form else (account.email if account else "")
        name = form.name.data if "name" in form else (account.name if account else "")
        problem = password_problem(field.data or "", email or "", name or "")
        if problem:
            raise ValidationError(problem)


def _known_timezone(value):
    """The browser's guess, filled in by JavaScript: kept only if it names a real timezone."""
    value = _strip(value)
    return value if value and is_timezone(value) else None


class TimezoneField(SelectField):
    """A list of every IANA zone, labelled in the viewer's language with its offset, the common zones first
    (lms.core.i18n.timezone_options); the value is the IANA id, "" for none. `blank` says what none means
    (a text, or a function giving it when the list is drawn)."""

    def __init__(self, label=None, validators=None, *, blank=_l("Not set"), **kwargs):
        super().__init__(label, validators, choices=[], **kwargs)
        self.blank = blank

    def _options(self) -> list[SelectChoice]:
        common, rest = timezone_options()
        choices = [SelectChoice("", str(self.blank() if callable(self.blank) else self.blank))]
        known = {zone for zone, _label in common} | {zone for zone, _label in rest}
        if self.data and self.data not in known:  # kept as it is until changed
            choices.append(SelectChoice(self.data, self.data))
        common_group, all_group = str(_l("Common time zones")), str(_l("All time zones"))
        choices += [SelectChoice(zone, text, optgroup=common_group) for zone, text in common]
        choices += [SelectChoice(zone, text, optgroup=all_group) for zone, text in rest]
        return choices

    def __call__(self, **kwargs):
        self.choices = self._options()  # built when drawn, in the viewer's language
        return super().__call__(**kwargs)

    def pre_validate(self, form):
        if self.data and not is_timezone(self.data):
            raise ValidationError(_l("Choose a timezone from the list."))


class RegisterForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100), SingleLine()],
                       filters=[prepare_line])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH), StrongPassword()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    timezone = HiddenField(filters=[_known_timezone])
    next = HiddenField()


class ConfirmRegistrationForm(FlaskForm):
    """Finishing a registration from the mailed link: the password chosen when registering."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class SetupForm(RegisterForm):
    """The first-run form: the first account becomes the site administrator."""


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)], filters=[_strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH), StrongPassword()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), SingleLine()], filters=[prepare_line])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("Same as my browser"))]
        + [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[Optional()],
    )
    timezone = TimezoneField(_l("Timezone"), validators=[Optional(), Length(max=64)], filters=[_strip],
                             blank=_l("Not set: your browser's time zone"))
    avatar = FileField(_l("Avatar (PNG, JPEG, GIF or WebP, up to 5 MB)"))
    remove_avatar = BooleanField(_l("Remove my avatar"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH), StrongPassword()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class LanguageForm(FlaskForm):
    """The language switcher in the page footer (works signed in or out)."""

    locale = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()])
    next = HiddenField()
