"""The words of an import's preview and report. A line is stored as a message id and its parameters (never
as translated text), and rendered here in the reader's language when the page is shown."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l

from lms.circles.forms import ROLE_LABELS
from lms.circles.models import Role

#: every line's message by id; parameters are plain values (names, emails, numbers, line numbers), a
#: circle role's value under "role", and a list of [field, value] pairs under "changes"
MESSAGES = {
    "class_deleted": _l("%(name)s is marked to be deleted: the circle is archived (read-only), not deleted."),
    "class_dropped": _l("%(name)s is no longer in the file: the circle is archived (read-only), not deleted."),
    "class_new": _l("New circle: %(name)s"),
    "class_renamed": _l("Renamed: %(old)s → %(new)s"),
    "class_no_teacher": _l("%(name)s has no teacher in the file: you will own it."),
    "user_deleted": _l("%(name)s is marked to be deleted: the account stays (accounts are never deleted)."),
    "user_linked": _l("%(name)s: linked to the existing account %(email)s"),
    "user_disabled": _l("%(name)s is disabled in the school's system (enabledUser false): no account is made, and "
                        "their enrollments are skipped."),
    "user_no_email": _l("%(name)s has no email and no linked account: no account is made, and their enrollments "
                        "are skipped. Add an email in the school's system, or link them by hand."),
    "user_new": _l("New account: %(name)s (%(email)s)"),
    "user_changed": _l("%(name)s: %(changes)s"),
    "user_email_taken": _l("%(name)s: the new email %(email)s belongs to another account; the email is left as "
                           "it is."),
    "enrol_unknown_role": _l("%(name)s in %(circle)s: the role %(value)s is not one Circles knows; skipped."),
    "enrol_no_account": _l("%(name)s in %(circle)s: skipped, as they have no account."),
    "enrol_no_class": _l("%(name)s in %(circle)s: skipped, as the class is not imported."),
    "enrol_twice": _l("%(name)s is enrolled in %(circle)s on line %(line)d already; this line is skipped."),
    "enrol_changed": _l("%(name)s in %(circle)s: %(changes)s"),
    "enrol_linked": _l("%(name)s in %(circle)s: already a member; linked."),
    "enrol_readmit": _l("%(name)s in %(circle)s: readmitted (was removed) as %(role)s."),
    "enrol_add": _l("%(name)s in %(circle)s: added as %(role)s."),
    "enrol_keep_owner": _l("%(name)s in %(circle)s: dropped from the class, but the owner (or you) is not removed."),
    "enrol_remove": _l("%(name)s in %(circle)s: dropped from the class; removed."),
}

#: the preview's words (nothing is applied yet) where the report's say what happened
PLANNED = {
    "class_deleted": _l("%(name)s is marked to be deleted: the circle will be archived (read-only), not deleted."),
    "class_dropped": _l("%(name)s is no longer in the file: the circle will be archived (read-only), not deleted."),
    "class_new": _l("Circle to create: %(name)s"),
    "class_renamed": _l("To rename: %(old)s → %(new)s"),
    "user_linked": _l("%(name)s: will be linked to the existing account %(email)s"),
    "user_new": _l("Account to create: %(name)s (%(email)s)"),
    "user_changed": _l("%(name)s will change: %(changes)s"),
    "enrol_changed": _l("%(name)s in %(circle)s will change: %(changes)s"),
    "enrol_linked": _l("%(name)s in %(circle)s: already a member; will be linked."),
    "enrol_readmit": _l("%(name)s in %(circle)s: will be readmitted (was removed) as %(role)s."),
    "enrol_add": _l("%(name)s in %(circle)s: will join as %(role)s."),
    "enrol_keep_owner": _l("%(name)s in %(circle)s: dropped from the class, but the owner (or you) will not be "
                           "removed."),
    "enrol_remove": _l("%(name)s in %(circle)s: dropped from the class; will be removed."),
}

#: how each changed field reads inside "changes"
CHANGE_WORDS = {
    "role": _l("role %(value)s"),
    "real_name": _l("real name %(value)s"),
    "student_no": _l("student number %(value)s"),
    "name": _l("name %(value)s"),
    "email": _l("email %(value)s"),
}


def _role_label(value: Any) -> Any:
    try:
        return str(ROLE_LABELS[Role(value)])
    except (ValueError, KeyError):
        return value


def _param(key: str, value: Any) -> Any:
    if key == "role":
        return _role_label(value)
    if key == "changes" and isinstance(value, list):
        parts = []
        for field, new in value:
            if field == "role":
                new = _role_label(new)
            parts.append(str(CHANGE_WORDS[field]) % {"value": new} if field in CHANGE_WORDS else f"{field} {new}")
        return ", ".join(parts)
    return value


def line_text(line: dict[str, Any], planned: bool = False) -> str:
    """A stored line's message in the current language: as a plan ("will join as…") when `planned` (the
    import is not applied), else as done. Lines kept before messages were stored by id carry their text,
    shown as it was."""
    msg = line.get("msg") or ""
    message = (PLANNED.get(msg) if planned else None) or MESSAGES.get(msg)
    if message is None:
        return line.get("text") or ""
    params = {key: _param(key, value) for key, value in (line.get("params") or {}).items()}
    try:
        return str(message) % params
    except (KeyError, TypeError, ValueError):  # a catalog entry that lost a placeholder must not break the page
        return _("(unreadable line)")
