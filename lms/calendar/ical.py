"""The iCalendar (RFC 5545) text of some calendar events, built with the `icalendar` package: one
VCALENDAR with PRODID and VERSION, a VEVENT per event with a stable UID, DTSTAMP, DTSTART in UTC
(a "Z" time: every calendar app shows it in the reader's own zone, daylight saving included),
SUMMARY naming the circle, an absolute URL and a DESCRIPTION."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from flask import current_app
from icalendar import Calendar, Event

from lms.calendar.sources import CalendarEvent
from lms.core.urls import DEVELOPMENT_SERVER_NAME

PRODID = "-//Circles//Circles calendar//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def absolute(path: str) -> str:
    """`path` on this site as an absolute URL, host and scheme from configuration only (as external_url)."""
    config = current_app.config
    host = config.get("SERVER_NAME") or DEVELOPMENT_SERVER_NAME
    scheme = config.get("PREFERRED_URL_SCHEME") or "http"
    return f"{scheme}://{host}{path}"


def build_calendar(events: Iterable[CalendarEvent], circle_names: Mapping[int, str], *, name: str,
                   now: datetime | None = None) -> bytes:
    """The iCalendar file of `events` (UTF-8, CRLF lines folded at 75 octets by the package)."""
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for event in events:
        vevent = Event()
        vevent.add("uid", event.uid)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", event.starts_at.astimezone(timezone.utc))
        if event.ends_at is not None and event.ends_at > event.starts_at:
            vevent.add("dtend", event.ends_at.astimezone(timezone.utc))
        circle = circle_names.get(event.circle_id)
        vevent.add("summary", f"{event.title} · {circle}" if circle else event.title)
        url = absolute(event.url)
        vevent.add("url", url)
        vevent.add("description", "\n\n".join(part for part in (event.description, url) if part))
        vevent.add("categories", [event.kind])
        vevent.add("transp", "TRANSPARENT")  # a due time does not make the person busy
        cal.add_component(vevent)
    return cal.to_ical()
