"""How a month of events is laid out for a viewer: the weeks of the month grid and the days of the
agenda, each event on its date in the viewer's one time zone. Plain values in, plain values out."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from lms.calendar.sources import CalendarEvent

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass
class Day:
    day: date
    in_month: bool
    is_today: bool
    events: list[CalendarEvent] = field(default_factory=list)


def parse_month(value: str | None, today: date) -> date:
    """The first day of the month `value` names ("2026-03"); this month when it names none."""
    found = _MONTH.match(value or "")
    if found:
        year, month = int(found[1]), int(found[2])
        if 1 <= month <= 12 and 1900 <= year <= 2999:
            return date(year, month, 1)
    return today.replace(day=1)


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_key(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def grid_bounds(first: date, first_weekday: int) -> tuple[date, date]:
    """The first and the day after the last day the month's grid shows (whole weeks starting on
    `first_weekday`, 0 = Monday)."""
    start = first - timedelta(days=(first.weekday() - first_weekday) % 7)
    last = shift_month(first, 1) - timedelta(days=1)
    end = last + timedelta(days=(first_weekday + 6 - last.weekday()) % 7 + 1)
    return start, end


def utc_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Midnight of `start` and of `end` in `tz`, as UTC: the window of events whose dates fall between."""
    return (datetime.combine(start, time(), tzinfo=tz).astimezone(timezone.utc),
            datetime.combine(end, time(), tzinfo=tz).astimezone(timezone.utc))


def local_day(event: CalendarEvent, tz: ZoneInfo) -> date:
    return event.starts_at.astimezone(tz).date()


def month_grid(first: date, first_weekday: int, events: list[CalendarEvent], tz: ZoneInfo, today: date
               ) -> list[list[Day]]:
    """The weeks of the month starting `first`, each a list of 7 days with their events (soonest first)."""
    start, end = grid_bounds(first, first_weekday)
    days = {start + timedelta(days=n): None for n in range((end - start).days)}
    by_day = {d: Day(d, d.month == first.month, d == today) for d in days}
    for event in events:
        shown = by_day.get(local_day(event, tz))
        if shown is not None:
            shown.events.append(event)
    ordered = list(by_day.values())
    return [ordered[i:i + 7] for i in range(0, len(ordered), 7)]


def agenda(events: list[CalendarEvent], tz: ZoneInfo, today: date) -> list[Day]:
    """The days that have events, in order, each with its events."""
    days: dict[date, Day] = {}
    for event in events:
        d = local_day(event, tz)
        days.setdefault(d, Day(d, True, d == today)).events.append(event)
    return list(days.values())


def weekday_order(first_weekday: int) -> list[int]:
    """The weekdays (0 = Monday) in the order the grid's columns show them."""
    return [(first_weekday + n) % 7 for n in range(7)]

