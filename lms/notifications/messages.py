"""A notification's words: its kind's message formatted with its params in the reader's language."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from lms.core.i18n import moment_in_zone
from lms.notifications.kinds import find_kind


class _Params(dict):
    """Params for %-formatting; a placeholder the call did not fill reads as nothing, not an error."""

    def __missing__(self, key):
        return ""


#: a param whose name ends so holds a UTC time (ISO 8601); it is written in the reader's zone and language
TIME_SUFFIX = "_at"


def notification_time(moment: datetime, zone: ZoneInfo | None = None, locale: str | None = None) -> str:
    """A time inside a notification's text: the pages' short format ("2026/12/2 上午9:21", the `localtime("short")`
    filter) in the reader's zone, with the zone named for the reader, offset as at that time (moment_in_zone):
    "2026/12/2 上午9:21 台湾时间（GMT+08:00）". `zone` and `locale`: the reader's (mail, pushes); default the
    request's (the bell, the page)."""
    if zone is None and locale is None:
        return moment_in_zone(moment, "short")
    return moment_in_zone(moment, "short", zone, locale or str(get_locale()))


def local_params(params: dict | None, zone: ZoneInfo | None = None, locale: str | None = None) -> _Params:
    """The params with every time (a name ending in TIME_SUFFIX) written for the reader: in `zone` and
    `locale` (mail, pushes), else the request's (pages)."""
    found = _Params(params or {})
    for name, value in found.items():
        if name.endswith(TIME_SUFFIX) and value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
            found[name] = notification_time(moment, zone, locale)
    return found


def format_message(kind_name: str, params: dict | None, *, zone: ZoneInfo | None = None,
                   locale: str | None = None) -> str:
    """The message in the current locale, as plain text (escaped wherever it is shown); times in `zone`
    (default: the request's)."""
    kind = find_kind(kind_name)
    if kind is None:  # a kind no loaded module registers (any more): still say something
        return (params or {}).get("title") or _("You have a new notification.")
    return str(kind.message_for(params)) % local_params(params, zone, locale)


def render_message(kind_name: str, params: dict | None, locale: str, zone: ZoneInfo | None = None) -> str:
    """The message written for a reader of `locale` in `zone` (mail and pushes, whose reader is not the
    request's)."""
    with force_locale(locale):
        return format_message(kind_name, params, zone=zone, locale=locale)
