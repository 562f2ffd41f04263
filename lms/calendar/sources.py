"""The calendar's registry: each domain above the calendar (homework's due times, notices, later live
lessons and check-ins) registers one source that says which of its dated things a viewer may see in
some circles and a window of time, so the calendar never imports them (tests/test_layers.py).

A source is asked with the ids of the circles the viewer may see (the caller decides: one circle for
its calendar page, every circle of the viewer for the personal page and feed) and answers with one
query whatever the number of circles; it applies its own rules of who sees what (drafts, scheduled
notices, a student's own extension).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from lms.accounts.models import User

_EXTENSION = "lms.calendar.sources"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  #: stable, globally unique, e.g. "assignment-12-due@circles" (the iCalendar UID)
    title: str
    starts_at: datetime  #: aware, UTC
    ends_at: datetime | None
    url: str  #: a path on this site
    circle_id: int
    kind: str  #: "due", "close", "notice", "notice_deadline", later "live", "checkin"
    description: str = ""


#: (viewer, ids of circles the viewer may see, window start, window end) -> events the viewer may see
CalendarSource = Callable[["User", Sequence[int], datetime, datetime], Iterable[CalendarEvent]]


def register_calendar_source(app: Flask, name: str, source: CalendarSource) -> None:
    """Let `source` add its events to every calendar of `app` (registered once, from a blueprint's
    `record_once`; a second source of the same `name` replaces the first)."""
    app.extensions.setdefault(_EXTENSION, {})[name] = source


def calendar_sources(app: Flask | None = None) -> dict[str, CalendarSource]:
    """The sources registered in `app` (default: the current app), by name."""
    return dict((app or current_app).extensions.get(_EXTENSION, {}))


def events_for(viewer: User, circle_ids: Sequence[int], start: datetime, end: datetime) -> list[CalendarEvent]:
    """Every registered source's events that `viewer` may see in the circles `circle_ids` (the caller has
    checked the viewer may see each) starting in [start, end), soonest first. One query per source
    whatever the number of circles; none when there are no circles. An event of a circle not asked
    for, or outside the window, is dropped, and a UID given twice is kept once."""
    ids = list(dict.fromkeys(circle_ids))
    if not ids:
        return []
    wanted = set(ids)
    seen: set[str] = set()
    events = []
    for source in calendar_sources().values():
        for event in source(viewer, ids, start, end):
            if event.circle_id in wanted and start <= event.starts_at < end and event.uid not in seen:
                seen.add(event.uid)
                events.append(event)
    events.sort(key=lambda e: (e.starts_at, e.title, e.uid))
    return events
