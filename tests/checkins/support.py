"""Helpers of the check-in tests: a task made through the operations, times written as local wall clocks."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from lms.checkins import operations as ops
from lms.checkins.models import CheckinTask
from lms.extensions import db


def at(zone: str, *args) -> datetime:
    """A moment given as the wall clock of `zone` (year, month, day, hour, minute), in UTC."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def make_task(circle, author, *, zone: str | None = None, starts_on: date | None = None, **fields) -> CheckinTask:
    if zone is not None:
        circle.timezone = zone
    task = ops.create_task(circle, author, title=fields.pop("title", "Read one hour"),
                           starts_on=starts_on or date(2026, 1, 1), **fields)
    db.session.commit()
    return task


def check_in(task, user, now, **kwargs):
    kwargs.setdefault("text", "I read a chapter of my book today")
    checkin = ops.submit_checkin(task, user, now=now, **kwargs)
    db.session.commit()
    return checkin
