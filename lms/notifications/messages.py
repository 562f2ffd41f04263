"""A notification's words: its kind's message formatted with its params in the reader's language."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from lms.notifications.kinds import find_kind


class _Params(dict):
    """Params for %-formatting; a placeholder the call did not fill reads as nothing, not an error."""

    def __missing__(self, key):
        return ""


def format_message(kind_name: str, params: dict | None) -> str:
    """The message in the current locale, as plain text (escaped wherever it is shown)."""
    kind = find_kind(kind_name)
    if kind is None:  # a kind no loaded module registers (any more): still say something
        return (params or {}).get("title") or _("You have a new notification.")
    return str(kind.message_for(params)) % _Params(params or {})


def render_message(kind_name: str, params: dict | None, locale: str) -> str:
    """The message written for a reader of `locale` (mail and pushes, whose reader is not the request's)."""
    with force_locale(locale):
        return format_message(kind_name, params)
