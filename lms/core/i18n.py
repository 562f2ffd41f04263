"""Language and timezone choice, and localized date formatting for templates."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, has_request_context, request, session
from flask_babel import format_datetime, get_timezone
from flask_login import current_user

LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}


def normalize_locale(tag: str | None) -> str | None:
    """Map a browser or user language tag (zh-CN, zh-Hans, en-GB, ...) to a shipped locale."""
    if not tag:
        return None
    tag = tag.replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_Hans"
    if tag.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    if not has_request_context():  # a job: it chooses with force_locale for whom it writes
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = normalize_locale(session.get("locale"))
    if chosen:
        return chosen
    if request:
        for tag, _quality in request.accept_languages:
            found = normalize_locale(tag)
            if found:
                return found
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    guessed = unquote(request.cookies.get("tz", "")) if request else None
    if guessed and is_timezone(guessed):
        return guessed
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


_ZONES: frozenset[str] | None = None


def timezones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def is_timezone(name: str) -> bool:
    return name in timezones()


def local_datetime(value: datetime | None, format: str = "medium") -> str:
    """Template filter: a UTC datetime shown in the viewer's timezone and language."""
    if value is None:
        return ""
    return format_datetime(value, format)


def to_local(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(str(get_timezone())))


def from_local(value: datetime | None) -> datetime | None:
    """A naive datetime typed by the user in their timezone, as an aware UTC datetime."""
    if value is None:
        return None
    from datetime import timezone as dt_timezone

    return value.replace(tzinfo=ZoneInfo(str(get_timezone()))).astimezone(dt_timezone.utc)
