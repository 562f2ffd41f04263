"""Language and timezone choice, and localized date formatting for templates."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import unquote
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from flask import current_app, g, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import format_datetime, get_locale, get_timezone
from flask_login import current_user

LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}
#: Regions whose Chinese is written in traditional characters (BCP 47 tags without a script subtag).
TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})


def normalize_locale(tag: str | None) -> str | None:
    """Map a browser or user language tag to a shipped locale: zh-TW, zh-HK, zh-MO and zh-Hant(-*)
    (and Cantonese, yue) to zh_Hant; zh, zh-CN, zh-SG, zh-Hans(-*) and any other Chinese to zh_Hans;
    en(-*) to en. A script subtag wins over the region (zh-Hans-HK is simplified)."""
    if not tag:
        return None
    parts = tag.replace("-", "_").lower().split("_")
    if parts[0] in ("zh", "yue"):
        script = next((p for p in parts[1:] if len(p) == 4), None)
        if script in ("hant", "hans"):
            return "zh_Hant" if script == "hant" else "zh_Hans"
        if parts[0] == "yue" or any(p in TRADITIONAL_REGIONS for p in parts[1:]):
            return "zh_Hant"
        return "zh_Hans"
    if parts[0] == "en":
        return "en"
    return None


def select_locale() -> Locale:
    """Flask-Babel's locale selector: the profile's language, else the browser's, else the site's."""
    if not has_request_context():  # a job: it chooses with force_locale for whom it writes
        return _parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.locale:
        return _parsed_locale(current_user.locale)
    return _parsed_locale(browser_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=32)
def _parsed_locale(code: str) -> Locale:
    """One Locale per code for the process (Flask-Babel parsed the selector's answer again on every request,
    and each new Locale loaded its locale data again on first use); Babel takes a Locale as it is."""
    return Locale.parse(code)


def browser_locale() -> str | None:
    """The shipped locale this browser reads when the profile says "same as my browser": the language
    picked on the site in this session, else the first of the browser's languages (Accept-Language,
    by preference) that the site ships; None when none matches or outside a request."""
    if not has_request_context():
        return None
    chosen = normalize_locale(session.get("locale"))
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        found = normalize_locale(tag)
        if found:
            return found
    return None


def recipient_locale(user) -> str:
    """The language to write to `user` in, for mail and pushed notifications, whose reader is often not
    the request's user (a teacher releases a grade; a job finishes): the profile's language; else, when
    `user` is the one asking, the request's; else the browser's language remembered on the account
    (`User.browser_locale`, see accounts.queries.remember_browser_locale); else the request's or the
    site's default."""
    if user.locale:
        return user.locale
    if has_request_context() and current_user and current_user.is_authenticated and current_user.id == user.id:
        return str(get_locale())
    if user.browser_locale:
        return user.browser_locale
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    """The one zone every time on the page is shown and read in, server- and script-rendered alike
    (base.html hands it to scripts as <meta name="time-zone">): the profile's zone, else the browser's zone that
    static/js/core/app.js remembers in the `tz` cookie, else the zone of the circle the page is about
    (`g.circle_timezone`, set by the circle's scoped lookup), else the site's default."""
    default = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if not has_request_context():
        return default
    candidates = [current_user.timezone if current_user and current_user.is_authenticated else None,
                  unquote(request.cookies.get("tz", "")), g.get("circle_timezone")]
    for name in candidates:
        if name and is_timezone(name):
            return name
    return default


def zone_name(zone: str, locale: str | Locale | None = None) -> str:
    """A zone's name in `locale` (default: the request's), the one name it has on every page, beside a time
    and in the lists people pick it from: in English its IANA id, "Asia/Shanghai" (as Moodle lists zones);
    in another language the place as CLDR's region format names it, "中国（上海）时间", "美國（紐約）時間".
    UTC and a zone without a place (Etc/GMT+5) keep their id.

    Babel finds a city's name under the zone's current IANA id only, while CLDR keeps some under the id the
    zone had before (America/Buenos_Aires for America/Argentina/Buenos_Aires, Europe/Kiev for Europe/Kyiv):
    those cities are looked up under the older ids too, so Argentina's zones read 阿根廷（布宜诺斯艾利斯）时间,
    not 阿根廷（Argentina/Buenos Aires）时间."""
    from babel.dates import get_timezone_location

    if zone in ("UTC", "Etc/UTC"):
        return "UTC"
    locale = _parsed_locale(str(locale)) if locale else get_locale()
    if locale is None or locale.language == "en" or zone.startswith("Etc/"):
        return zone
    tz = ZoneInfo(zone)
    place = get_timezone_location(tz, locale=locale)
    city = get_timezone_location(tz, locale=locale, return_city=True)
    if city not in place or city != zone.split("/", 1)[-1].replace("_", " "):
        return place  # a country's one zone, or a city CLDR names under this id (every page's footer: no search)
    found = _cldr_city(zone, locale)
    return place.replace(city, found) if found else (zone if "/" in place else place)


def _cldr_city(zone: str, locale: Locale) -> str | None:
    """`zone`'s city in `locale` as CLDR names it, under the zone's id or any older id of it."""
    from babel.core import get_global

    names = locale.time_zones
    canonical = get_global("zone_aliases").get(zone, zone)
    for key in [zone, *(old for old, new in get_global("zone_aliases").items() if new == canonical)]:
        city = names.get(key, {}).get("city")
        if city:
            return city
    return None


def zone_label(zone: str | None = None, locale: str | Locale | None = None, at: datetime | None = None) -> str:
    """A zone as people read it beside a time: its name (zone_name) and its offset at `at` (default: now),
    "Asia/Shanghai (GMT+08:00)", "中国（上海）时间（GMT+08:00）". A time in July names New York's summer offset,
    GMT-04:00, whenever it is read. Default zone: the viewer's (select_timezone); default `locale`: the
    request's (a mail passes its reader's)."""
    from babel.dates import get_timezone_gmt

    name = zone or str(get_timezone())
    if name in ("UTC", "Etc/UTC"):
        return "UTC"
    locale = _parsed_locale(str(locale)) if locale else get_locale()
    tz = ZoneInfo(name)
    moment = (at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC"))).astimezone(tz) if at else datetime.now(tz)
    offset = get_timezone_gmt(moment, "long", locale=locale)
    if locale is not None and locale.language in ("zh", "ja"):
        return f"{zone_name(name, locale)}（{offset}）"
    return f"{zone_name(name, locale)} ({offset})"


def time_with_zone(time: str, zone: str | ZoneInfo | None = None, locale: str | None = None,
                   at: datetime | None = None) -> str:
    """A time already written for its reader, followed by its zone as `zone_label` names it, offset at `at`
    (the moment shown): "8:00 PM America/New_York (GMT-04:00)", "2026/12/2 上午9:21 台湾时间（GMT+08:00）".
    `zone` and `locale`: the reader's (mail, pushes, jobs); default the request's. The two are joined by a
    message of its own, so each catalogue says how its language writes them side by side."""
    from contextlib import nullcontext

    from flask_babel import force_locale, gettext

    name = getattr(zone, "key", None) or (str(zone) if zone else None)
    label = zone_label(name, locale, at)
    with force_locale(str(locale)) if locale else nullcontext():
        # TRANSLATORS: a time, then its time zone: "8:00 PM Asia/Shanghai (GMT+08:00)", "下午8:00 中国（上海）时间（GMT+08:00）"
        return gettext("%(time)s %(zone)s", time=time, zone=label)


def moment_in_zone(moment: datetime | None, format: str = "short", zone: str | ZoneInfo | None = None,
                   locale: str | None = None) -> str:
    """`moment` (UTC) written for a reader with its zone named, offset as at that moment: in `zone` and `locale`
    (mail, pushes, jobs), default the request's, like `local_datetime` (and the `localtime_zoned` template filter):
    "3/12/31, 6:00 PM Asia/Shanghai (GMT+08:00)"."""
    from babel.dates import format_datetime

    if moment is None:
        return ""
    if zone is None and locale is None:
        return time_with_zone(local_datetime(moment, format), None, None, moment)
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone or str(get_timezone()))
    text = format_datetime(moment, format, tzinfo=tz, locale=str(locale or get_locale()))
    return time_with_zone(text, tz, locale, moment)


_ZONES: frozenset[str] | None = None


def timezones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def is_timezone(name: str) -> bool:
    return name in timezones()


_LISTED: frozenset[str] | None = None


def listed_timezones() -> frozenset[str]:
    """The zones a list offers: tzdata's zone.tab (one canonical IANA name per country and region) and UTC.
    available_timezones() also holds some 180 aliases (PRC, Asia/Chongqing, US/Eastern, GB, Zulu) that Babel
    labels as the zone they stand for, so a list of all of them showed "China Time – Shanghai" five times.
    An alias stays a valid choice (is_timezone): a browser may report one."""
    global _LISTED
    if _LISTED is None:
        names = _zone_tab()
        _LISTED = frozenset((names | {"UTC"}) & timezones()) if names else timezones()
    return _LISTED


def _zone_tab() -> set[str]:
    """The zone names of zone.tab, from the tzdata package (a requirement) or else the system's zoneinfo."""
    from importlib import resources
    from pathlib import Path
    from zoneinfo import TZPATH

    texts = []
    try:
        texts.append(resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8"))
    except (ModuleNotFoundError, OSError):
        texts += [path.read_text(encoding="utf-8") for path in (Path(d, "zone.tab") for d in TZPATH)
                  if path.is_file()][:1]
    return {line.split("\t")[2] for text in texts for line in text.splitlines()
            if line and not line.startswith("#") and line.count("\t") >= 2}


_CJK = "[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"


def tight_in_chinese(text: str, *values: str) -> str:
    """`text` without the ASCII spaces that stand between a Chinese character and one of `values` (times put
    into a translated sentence). Translations keep a space on each side of a placeholder ("在该时区的 %(time)s
    结束"), which reads as a stray gap around a time, the more so when the time itself starts with a word
    (Traditional Chinese's "清晨6:32": "該時區的 清晨6:32 結束"). English and other text are left alone."""
    import re

    for value in values:
        if value:
            text = re.sub(f"(?<={_CJK}) (?={re.escape(value)})", "", text)
            text = re.sub(f"(?<={re.escape(value)}) (?={_CJK})", "", text)
    return text


def join_sentences(*sentences: str) -> str:
    """Translated sentences one after another, as the reader's language writes them: English puts a space
    between them, Chinese none ("…的上限。请先剪短或压缩视频。"). The joiner is a message of its own, so each
    catalogue says how (static/js/core/i18n.js `sentences` uses the same message)."""
    from flask_babel import gettext

    parts = [s for s in sentences if s]
    if not parts:
        return ""
    text = parts[0]
    for part in parts[1:]:
        # Translators: two whole sentences one after the other; Chinese writes them without a space.
        text = gettext("%(sentence)s %(next_sentence)s", sentence=text, next_sentence=part)
    return text


def _joined(parts: list[str], style: str, locale) -> str:
    from babel.lists import format_list

    if str(locale).startswith("zh"):
        return "、".join(parts)
    return format_list(parts, style, locale=locale)


def in_parentheses(note) -> str:
    """Plain text (a form's choice, a spreadsheet cell) with `note` between the reader's language's parentheses,
    set after the text before it: " (Owner)" in English, "（班主任）" in Chinese (lms.core.templating.parenthesized
    is the same for pages)."""
    from flask_babel import pgettext

    return spaced_after_text(pgettext("a note in parentheses", "(%(note)s)", note=note))


def spaced_after_text(note: str) -> str:
    """A note in its own parentheses set after the text before it: a space before an ASCII "(" (English), none
    before a full-width "（" (Chinese, where a space shows as a gap). The one rule for pages and plain text."""
    return " " + note if note.startswith("(") else note


def format_names(items, style: str = "standard"):
    """Several names (or other short items) joined as the reader's language writes a list (Babel's
    format_list): "Mei Chen and David Okafor", "Ann, Bo, and Cy". Chinese takes the enumeration comma alone,
    "陈美、David Okafor", "甲、乙、丙": CLDR's "和" before the last name reads as part of it ("陈美和David" is
    someone called 陈美和). In a template (the `names` filter) items may be Markup (a member_name() link): each
    is escaped unless it is Markup, and the result is Markup; plain strings in, a plain string out."""
    from markupsafe import Markup, escape

    items = list(items)
    if not items:
        return ""
    locale = get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]
    if not any(isinstance(item, Markup) for item in items):
        return _joined([str(item) for item in items], style, locale)
    tokens = [f"\x00{n}\x00" for n in range(len(items))]
    text = str(escape(_joined(tokens, style, locale)))
    for token, item in zip(tokens, items):
        text = text.replace(str(escape(token)), str(escape(item)), 1)
    return Markup(text)


def format_some_names(items, limit: int = 10) -> str:
    """The first `limit` of `items` as a list in the reader's language, the rest counted: "Ann, Bo, and 3 others"."""
    from flask_babel import ngettext

    items = [str(item) for item in items]
    if len(items) <= limit:
        return format_names(items)
    rest = len(items) - limit
    return format_names([*items[:limit], ngettext("%(num)d other", "%(num)d others", rest)])


def local_datetime(value: datetime | None, format: str = "medium") -> str:
    """Template filter: a UTC datetime shown in the viewer's timezone and language."""
    if value is None:
        return ""
    return _local_datetime(value, format, *_locale_and_zone())


def _locale_and_zone():
    """get_locale() and get_timezone(), read straight from where Flask-Babel keeps them once chosen in
    this context (g._flask_babel: force_locale and refresh change them there); each function finds
    that place anew, which cost more than the rest of a kept date."""
    app_context = _cv_app.get(None)
    chosen = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
    locale, zone = getattr(chosen, "babel_locale", None), getattr(chosen, "babel_tzinfo", None)
    if locale is None or zone is None:
        return get_locale(), get_timezone()
    return locale, zone


# A feed page formats twenty times, and Babel takes about 50 µs for each; the same posts' times are
# shown to every member who opens the page. The locale and zone are part of the key: the answer
# is the one format_datetime gives under them.
@lru_cache(maxsize=4096)
def _local_datetime(value: datetime, format: str, locale, zone) -> str:
    return format_datetime(value, format)


def keep_wtforms_catalogues() -> None:
    """Flask-WTF reads WTForms' own catalogue (its validators' messages) from disk again in every
    request that builds a form, 0.25-0.4 ms a page (scripts/bench/pages): keep one per locale instead,
    read once. Answers as Flask-WTF's own look-up does (flask_wtf.i18n._get_translations), by the
    request's locale."""
    import flask_wtf.i18n as wtf_i18n

    wtf_i18n._get_translations = _wtforms_translations


def _wtforms_translations():
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    return _wtforms_catalogue(str(get_locale()))


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str):
    from babel.support import Translations
    from wtforms.i18n import messages_path

    return Translations.load(messages_path(), [locale], domain="wtforms")


def format_in_zone(value: datetime, zone: ZoneInfo, locale: str) -> str:
    """`value` (UTC) as the wall-clock date and time in `zone`, written for `locale`, with the zone named
    (time_with_zone): "Friday, December 4, 2026, 8:00 PM Asia/Shanghai (GMT+08:00)". For mail and pushes, whose
    reader is not the request's user, so neither the request's locale nor its time zone applies."""
    from babel.dates import format_date, format_time, get_datetime_format

    local = value.astimezone(zone)
    text = get_datetime_format("medium", locale=locale).replace("{1}", format_date(local, "full", locale=locale))
    return time_with_zone(text.replace('{0}', format_time(local, 'short', tzinfo=zone, locale=locale)), zone, locale,
                          value)


def to_local(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(str(get_timezone())))


def from_local(value: datetime | None) -> datetime | None:
    """A naive datetime typed by the user in their timezone, as an aware UTC datetime."""
    if value is None:
        return None
    from datetime import timezone as dt_timezone

    return value.replace(tzinfo=ZoneInfo(str(get_timezone()))).astimezone(dt_timezone.utc)


#: Offered first in time zone lists: where this site's schools mostly are, then the large English-speaking
#: ones. Every other listed zone follows (listed_timezones), so any place's IANA zone can be chosen.
COMMON_ZONES = ("Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Macau", "Asia/Singapore", "Asia/Kuala_Lumpur",
                "Asia/Tokyo", "Asia/Seoul", "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York",
                "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto", "America/Vancouver",
                "Australia/Sydney", "Pacific/Auckland", "UTC")


def timezone_label(zone: str, locale: str | None = None, now: datetime | None = None) -> str:
    """A zone as people pick it from a list, in `locale` (default: the viewer's): its offset now, then the name
    it has beside times (zone_name), "(GMT-05:00) America/New_York", "(GMT+00:00) UTC"; in Chinese between
    full-width parentheses, "（GMT+08:00）中国（上海）时间", as zone_label writes the offset after it."""
    from babel.dates import get_timezone_gmt

    locale = str(locale or get_locale())
    tz = ZoneInfo(zone)
    offset = get_timezone_gmt((now or datetime.now(tz)).astimezone(tz), "long", locale=locale)
    if _parsed_locale(locale).language in ("zh", "ja"):
        return f"（{offset}）{zone_name(zone, locale)}"
    return f"({offset}) {zone_name(zone, locale)}"


def timezone_options(locale: str | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Every listed IANA zone (listed_timezones: canonical names, no aliases) as (id, label) pairs in `locale`
    (default: the viewer's), split into the common zones (in COMMON_ZONES' order) and all the others (by offset,
    then id). Offsets are those of the current hour, so a list read in summer shows summer time."""
    now = datetime.now(ZoneInfo("UTC")).replace(minute=0, second=0, microsecond=0)
    return _timezone_options(str(locale or get_locale()), now)


@lru_cache(maxsize=6)
def _timezone_options(locale: str, now: datetime) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    listed = listed_timezones()
    common = [(zone, timezone_label(zone, locale, now)) for zone in COMMON_ZONES if zone in listed]
    rest = [zone for zone in listed if zone not in COMMON_ZONES]
    rest.sort(key=lambda zone: (now.astimezone(ZoneInfo(zone)).utcoffset(), zone))
    return common, [(zone, timezone_label(zone, locale, now)) for zone in rest]
