"""What live lessons register with lower packages: the circle home page's section (the next lesson with a
countdown), the calendar's source (every lesson that is not cancelled; it flows to the iCal feed too), and
the notification kinds (imported, so they are registered)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, g
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.accounts.models import User
from lms.calendar.sources import CalendarEvent
from lms.circles.models import Circle, Membership
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.live import notifications  # noqa: F401  (registers the kinds)
from lms.live import queries as q
from lms.live.models import LessonState, LiveLesson, can_schedule


def register(app: Flask) -> None:
    from lms.calendar.sources import register_calendar_source
    from lms.circles.home import MAIN, SIDE, HomeSection, register_home_section

    # the circle's front page (issue 12): must-read and pinned notices, then the latest notices and the
    # feed; a lesson joins the top only when it is on air or about to start, else it waits in the side
    # column after the next due work
    register_home_section(app, HomeSection("live_now", MAIN, 5, "live/_home.html", home_now))
    register_home_section(app, HomeSection("live", SIDE, 15, "live/_home.html", home_later))
    register_calendar_source(app, "live", calendar_events)


#: a lesson starting within this time is shown at the top of the home page, as one on air
SOON = timedelta(minutes=15)


def _next_lesson(circle: Circle) -> q.NextLesson | None:
    """The circle's next lesson, read once a request for both sections."""
    cache = g.setdefault("live_next_lesson", {})
    if circle.id not in cache:
        cache[circle.id] = q.next_lesson(circle)
    return cache[circle.id]


def _is_now(lesson: q.NextLesson) -> bool:
    return lesson.is_on_air or lesson.starts_at - utcnow() <= SOON


def home_now(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The lesson on air, or starting within SOON, at the top of the main column; one query."""
    lesson = _next_lesson(circle)
    if lesson is None or not _is_now(lesson):
        return None
    return {"next_lesson": lesson, "can_schedule_live": can_schedule(circle, viewer)}


def home_later(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """A later lesson with a countdown in the side column (the same query as home_now)."""
    lesson = _next_lesson(circle)
    if lesson is None or _is_now(lesson):
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
