"""What live lessons register with lower packages: the circle home page's section (the next lesson with a
countdown), the calendar's source (every lesson that is not cancelled; it flows to the iCal feed too), and
the notification kinds (imported, so they are registered)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.accounts.models import User
from lms.calendar.sources import CalendarEvent
from lms.circles.models import Circle, Membership
from lms.core.urls import path_for
from lms.extensions import db
from lms.live import notifications  # noqa: F401  (registers the kinds)
from lms.live import queries as q
from lms.live.models import LessonState, LiveLesson, can_schedule


def register(app: Flask) -> None:
    from lms.calendar.sources import register_calendar_source
    from lms.circles.home import MAIN, HomeSection, register_home_section

    register_home_section(app, HomeSection("live", MAIN, 5, "live/_home.html", home))
    register_calendar_source(app, "live", calendar_events)


def home(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The next lesson (or the one live now) with a countdown; one query. Not shown when there is none."""
    lesson = q.next_lesson(circle)
    if lesson is None:
        return None
    return {"next_lesson": lesson, "can_schedule_live": can_schedule(circle, viewer)}


def lesson_event(lesson_id: int, circle_id: int, title: str, starts_at: datetime, minutes: int,
                 state: LessonState) -> CalendarEvent:
    description = ngettext("Live lesson, about %(num)d minute.", "Live lesson, about %(num)d minutes.", minutes)
    if state == LessonState.ended:
        description = _("Live lesson (ended).")
    return CalendarEvent(f"live-{lesson_id}@circles", _("Live: %(title)s", title=title), starts_at,
                         starts_at + timedelta(minutes=minutes),
                         path_for("live.show", circle_id=circle_id, lesson_id=lesson_id), circle_id, "live", description)


def calendar_events(viewer: User, circle_ids: Sequence[int], start: datetime, end: datetime) -> list[CalendarEvent]:
    """Every lesson of the circles that is not cancelled, at its scheduled start (members see them all). One query."""
    rows = db.session.execute(
        sa.select(LiveLesson.id, LiveLesson.circle_id, LiveLesson.title, LiveLesson.starts_at,
                  LiveLesson.expected_minutes, LiveLesson.state)
        .where(LiveLesson.circle_id.in_(list(circle_ids)), LiveLesson.state != LessonState.cancelled,
               LiveLesson.starts_at >= start, LiveLesson.starts_at < end))
    return [lesson_event(*row) for row in rows]
