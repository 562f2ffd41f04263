"""The console's forms: a new term, classes put in a term, classes copied into a term, the school's class settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.circles.forms import POLICY_LABELS
from lms.feed.posts.forms import WHO_LABELS
from lms.orgs.console.settings import MAX_WORDS, QUOTA_MAX
from lms.orgs.forms import _id
from lms.orgs.models import ClassSetting


class TermForm(FlaskForm):
    name = StringField(_pl("a thing's name, not a person's", "Name"),
                       validators=[DataRequired(message=_l("Give the term a name.")), Length(max=120)])
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter the term's first day."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the term's last day."))])


def _ids(values) -> list[int]:
    return [i for i in (_id(v) for v in values or []) if i is not None]


class ClassesForm(FlaskForm):
    """Classes ticked in a table and a term: put them in it (0: in no term), or copy them into it. The class ids
    are looked up in the organization by the route (ids of other organizations 404)."""

    class_ids = SelectMultipleField(_l("Classes"), coerce=_id, validate_choice=False,
                                    validators=[DataRequired(message=_l("Tick at least one class."))])
    term_id = SelectField(_l("Term"), coerce=_id, validate_choice=False,
                          validators=[InputRequired(message=_l("Choose a term."))])

    def chosen_ids(self) -> list[int]:
        return _ids(self.class_ids.data)


#: the chat choice: "" as the kind of class has it, else on or off
CHAT_CHOICES = {"": _l("As the kind of class has it (on for teaching classes)"), "on": _pl("chat", "On"),
                "off": _pl("chat", "Off")}
MB = 1024 * 1024


class ClassDefaultsForm(FlaskForm):
    """What every new class of the school takes, a lock beside each setting (the classes may not change it),
    and whether the locked settings go onto the existing classes too."""

    join_policy = SelectField(_l("How students join"),
                              choices=[SelectChoice(p.value, label) for p, label in POLICY_LABELS.items()])
    require_real_name = BooleanField(_l("Ask for the real name on joining"))
    require_student_no = BooleanField(_l("Ask for the student number on joining"))
    who_may_post = SelectField(_l("Who may post in the feed"),
                               choices=[SelectChoice(k.value, label) for k, label in WHO_LABELS.items()])
    chat_enabled = SelectField(_l("Chat"), choices=[SelectChoice(k, label) for k, label in CHAT_CHOICES.items()])
    file_quota_mb = IntegerField(
        _l("File space per class (MB)"),
        validators=[Optional(), NumberRange(min=0, max=QUOTA_MAX // MB,
                                            message=_l("Enter a whole number of MB from 0 to %(max)d.",
                                                       max=QUOTA_MAX // MB))])
    word_list = TextAreaField(_l("Words that hold a post, comment or message for review (one a line)"),
                              validators=[Optional(), Length(max=MAX_WORDS)], render_kw={"rows": 6})
    lock_join_policy = BooleanField(_l("Classes may not change how students join"))
    lock_require_real_name = BooleanField(_l("Classes may not change whether the real name is asked"))
    lock_require_student_no = BooleanField(_l("Classes may not change whether the student number is asked"))
    lock_who_may_post = BooleanField(_l("Classes may not change who may post"))
    lock_chat_enabled = BooleanField(_l("Classes may not turn chat on or off"))
    lock_file_quota = BooleanField(_l("Classes keep this file space"))
    lock_word_list = BooleanField(_l("Classes may not change the word list"))
    #: locking a setting already puts it on the classes; this puts every locked one on them once more
    apply_existing = BooleanField(_l("Put the locked settings on the existing classes again"))

    def fill(self, defaults) -> None:
        """Show `defaults` (an OrgClassDefaults) in the form."""
        self.join_policy.data = defaults.join_policy.value
        self.require_real_name.data = defaults.require_real_name
        self.require_student_no.data = defaults.require_student_no
        self.who_may_post.data = defaults.who_may_post.value
        self.chat_enabled.data = "" if defaults.chat_enabled is None else ("on" if defaults.chat_enabled else "off")
        self.file_quota_mb.data = None if defaults.file_quota_bytes is None else defaults.file_quota_bytes // MB
        self.word_list.data = defaults.word_list
        for setting in ClassSetting:
            getattr(self, f"lock_{setting.value}").data = defaults.is_locked(setting)

    def locked(self) -> list[str]:
        return [setting.value for setting in ClassSetting if getattr(self, f"lock_{setting.value}").data]

    def chat_value(self) -> bool | None:
        return {"on": True, "off": False}.get(self.chat_enabled.data)

    def quota_bytes(self) -> int | None:
        return None if self.file_quota_mb.data is None else self.file_quota_mb.data * MB
