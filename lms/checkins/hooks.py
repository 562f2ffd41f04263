"""What check-ins register with lower packages: the circle home page's card (today's tasks), the calendar's
source (each scheduled day's window), the upload purpose (a check-in's video) and media subject (who may
watch it), the audit labels, and the notification kinds (imported, so they are registered)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from lms.accounts.models import User
from lms.calendar.sources import CalendarEvent
from lms.checkins import notifications  # noqa: F401  (registers the kinds)
from lms.checkins import queries as q
from lms.checkins.models import Checkin, CheckinTask, RequirementKind, can_manage_tasks
from lms.circles.models import Circle, Membership
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db

#: how the check-ins' audit details read (lms.audit.registry)
AUDIT_LABELS = {"checkins": _l("Check-ins"), "day": _l("Day"), "recipients": _l("Recipients")}
#: the most events one task gives one calendar request (a year's iCal feed stays small)
MAX_EVENTS_PER_TASK = 62


def register(app: Flask) -> None:
    from lms.audit.registry import describe_details
    from lms.calendar.sources import register_calendar_source
    from lms.circles.home import SIDE, HomeSection, register_home_section
    from lms.uploads.access import register_subject, register_upload_purpose

    register_home_section(app, HomeSection("checkins", SIDE, 5, "checkins/_home.html", home, probe=has_tasks))
    register_calendar_source(app, "checkins", calendar_events)
    register_upload_purpose(app, "checkin", may_upload_for_task)
    register_subject(app, "checkin", can_fetch_checkin_media)
    describe_details(app, labels=AUDIT_LABELS, dates=("day",))


def has_tasks(circle_id: sa.ColumnElement[int], _viewer_id) -> sa.ColumnElement[bool]:
    """The card's probe (lms.circles.home), read with the circle: a circle without tasks shows no card."""
    return sa.exists().where(CheckinTask.circle_id == circle_id)


def home(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The tasks asking for a check-in today with the viewer's state (a learner: done or not; the staff: how
    many did). One query when there is none (then not shown), three for the staff otherwise."""
    if not circle.can_view(viewer):
        return None
    now = utcnow()
    tasks = q.tasks_of(circle)
    days = {t.id: t.today(now) for t in tasks}
    tasks = [t for t in tasks if t.is_scheduled(days[t.id])]
    if not tasks:
        return None
    staff = circle.can_manage_members(viewer)
    return {"checkin_tasks": tasks[:5],
            "checkin_done": set() if staff else q.done_today_for(tasks, viewer.id, days),
            "checkin_counts": q.done_counts(tasks, days) if staff else {},
            "checkin_learners": q.learner_count(circle.id) if staff else 0,
            "checkin_staff": staff, "can_manage_checkins": can_manage_tasks(circle, viewer)}


def calendar_events(viewer: User, circle_ids: Sequence[int], start: datetime, end: datetime) -> list[CalendarEvent]:
    """Each scheduled day's window of the circles' tasks in [start, end) (at most MAX_EVENTS_PER_TASK per task,
    the earliest). One query."""
    tasks = list(db.session.scalars(sa.select(CheckinTask).where(CheckinTask.circle_id.in_(list(circle_ids)))))
    events = []
    for task in tasks:
        zone = task.circle.zone
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date()
        for day in task.scheduled_days(first, last)[:MAX_EVENTS_PER_TASK]:
            midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
            opens = midnight + timedelta(minutes=task.window_start_minute)
            closes = midnight + timedelta(minutes=task.window_end_minute)
            opens_utc = opens.astimezone(start.tzinfo)
            if not start <= opens_utc < end:
                continue
            events.append(CalendarEvent(
                f"checkin-{task.id}-{day.isoformat()}@circles", _("Check in: %(title)s", title=task.title),
                opens_utc, closes.astimezone(start.tzinfo),
                path_for("checkins.show", circle_id=task.circle_id, task_id=task.id), task.circle_id, "checkin",
                _("Daily check-in, open %(window)s.", window=task.window_label())))
    return events


def may_upload_for_task(user: User, task_id: int) -> int | None:
    """An upload for a check-in of task `task_id` (its video): the circle, if `user` may check in there."""
    from lms.circles.queries import get_circle_or_404

    task = db.session.get(CheckinTask, task_id)
    if task is None or task.requirement != RequirementKind.video:
        return None
    try:
        circle = get_circle_or_404(task.circle_id, user)
    except HTTPException:
        return None
    task.circle = circle
    return circle.id if task.can_check_in(user) else None


def can_fetch_checkin_media(viewer: User, checkin_id: int | None, media, rendition) -> bool:
    """The media checker of subject "checkin": the media must be the check-in's video and the viewer must see
    the check-in now; the original upload only its member and the staff."""
    from lms.uploads.access import Rendition

    checkin = db.session.get(Checkin, checkin_id) if checkin_id is not None else None
    if checkin is None or checkin.media_id != media.id:
        return False
    task = checkin.task
    if not task.can_see_checkin(viewer, checkin):
        return False
    if rendition == Rendition.original:
        return checkin.user_id == viewer.id or task.is_staff(viewer)
    return True
