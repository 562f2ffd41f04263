"""Reading the audit log: the filters admins use, scoped to the whole site or to one organization."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lms.audit.models import AuditAction, AuditEvent
from lms.audit.registry import vocabulary
from lms.extensions import db


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer asked for; every field optional.

    `date_from` and `date_to` are calendar days in the viewer's time zone `tz`, both included.
    """

    actor: str = ""  #: part of the actor's name or email (as frozen in the record, or as it is now)
    action: AuditAction | None = None
    circle: str = ""  #: a circle's number, or part of its name
    date_from: date | None = None
    date_to: date | None = None
    tz: str = "UTC"

    @property
    def is_empty(self) -> bool:
        return not (self.actor or self.action or self.circle or self.date_from or self.date_to)

    def args(self) -> dict[str, str]:
        """The query-string arguments that reproduce this filter (for pager and CSV links)."""
        values = {"actor": self.actor, "action": self.action.value if self.action else "", "circle": self.circle,
                  "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in values.items() if v}


def _start_of_day(day: date, tz: str) -> datetime:
    """The UTC instant a calendar day begins in `tz` (a day after a daylight-saving change still starts at 00:00)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def events_query(filters: AuditFilter, scope: sa.ColumnElement[bool] | None = None) -> sa.Select:
    """The filtered events, newest first, of `scope` (a condition on AuditEvent, e.g. an organization's
    events, lms/orgs/queries.py); every event of the site when `scope` is None."""
    query = sa.select(AuditEvent)
    if scope is not None:
        query = query.where(scope)
    v = vocabulary()
    if filters.actor:
        like = _like(filters.actor)
        actor = sa.func.lower(AuditEvent.actor_label).like(like, escape="\\")
        if v.actors_matching is not None:  # as they are called now, too
            actor = sa.or_(actor, AuditEvent.actor_id.in_(v.actors_matching(like)))
        query = query.where(actor)
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action.value)
    if filters.circle:
        circle = filters.circle.strip().lstrip("#")
        if circle.isdigit():
            query = query.where(AuditEvent.circle_id == int(circle))
        elif v.circles_matching is not None:
            query = query.where(AuditEvent.circle_id.in_(v.circles_matching(_like(circle))))
        else:
            query = query.where(sa.false())
    if filters.date_from is not None:
        query = query.where(AuditEvent.at >= _start_of_day(filters.date_from, filters.tz))
    if filters.date_to is not None:
        query = query.where(AuditEvent.at < _start_of_day(filters.date_to + timedelta(days=1), filters.tz))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def events_page(filters: AuditFilter, page: int, per_page: int, scope: sa.ColumnElement[bool] | None = None):
    """One page of the filtered events (two queries: the count and the rows)."""
    return db.paginate(events_query(filters, scope), page=page, per_page=per_page, error_out=False)


def circle_names(events: list[AuditEvent]) -> dict[int, str]:
    """The current name of every circle the events mention, in one query."""
    ids = {e.circle_id for e in events if e.circle_id is not None}
    lookup = vocabulary().circle_names
    if not ids or lookup is None:
        return {}
    return lookup(ids)


def iter_events(filters: AuditFilter, scope: sa.ColumnElement[bool] | None = None, batch: int = 500):
    """Every filtered event with the current name of its circle (or None), newest first, fetched in
    batches of `batch` events, with one query for the circle names of each batch (for the CSV download)."""
    result = db.session.execute(events_query(filters, scope).execution_options(yield_per=batch))
    for events in result.scalars().partitions():
        names = circle_names(events)
        for event in events:
            yield event, names.get(event.circle_id)
