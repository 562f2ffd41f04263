"""Reading the audit log: the filters admins use, scoped to the whole site or to one organization."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditAction, AuditEvent
from lms.circles.models import Circle
from lms.extensions import db
from lms.orgs.models import Organization


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


def org_scope(org: Organization) -> sa.ColumnElement[bool]:
    """Events of an organization: recorded for it, or about one of its circles (as it is now or was then)."""
    return sa.or_(AuditEvent.org_id == org.id,
                  AuditEvent.circle_id.in_(sa.select(Circle.id).where(Circle.org_id == org.id)))


def events_query(filters: AuditFilter, org: Organization | None = None) -> sa.Select:
    """The filtered events, newest first; every event of the site when `org` is None."""
    query = sa.select(AuditEvent)
    if org is not None:
        query = query.where(org_scope(org))
    if filters.actor:
        like = _like(filters.actor)
        query = query.where(sa.or_(
            sa.func.lower(AuditEvent.actor_label).like(like, escape="\\"),
            AuditEvent.actor_id.in_(sa.select(User.id).where(sa.or_(
                sa.func.lower(User.name).like(like, escape="\\"), User.email.like(like, escape="\\")))),
        ))
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action.value)
    if filters.circle:
        circle = filters.circle.strip().lstrip("#")
        if circle.isdigit():
            query = query.where(AuditEvent.circle_id == int(circle))
        else:
            query = query.where(AuditEvent.circle_id.in_(
                sa.select(Circle.id).where(sa.func.lower(Circle.name).like(_like(circle), escape="\\"))))
    if filters.date_from is not None:
        query = query.where(AuditEvent.at >= _start_of_day(filters.date_from, filters.tz))
    if filters.date_to is not None:
        query = query.where(AuditEvent.at < _start_of_day(filters.date_to + timedelta(days=1), filters.tz))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def events_page(filters: AuditFilter, page: int, per_page: int, org: Organization | None = None):
    """One page of the filtered events (two queries: the count and the rows)."""
    return db.paginate(events_query(filters, org), page=page, per_page=per_page, error_out=False)


def circle_names(events: list[AuditEvent]) -> dict[int, str]:
    """The current name of every circle the events mention, in one query."""
    ids = {e.circle_id for e in events if e.circle_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Circle.id, Circle.name).where(Circle.id.in_(ids))).all())


def iter_events(filters: AuditFilter, org: Organization | None = None, batch: int = 500):
    """Every filtered event with the current name of its circle (or None), newest first, fetched in
    batches (for the CSV download)."""
    query = (events_query(filters, org).add_columns(Circle.name)
             .outerjoin(Circle, Circle.id == AuditEvent.circle_id).execution_options(yield_per=batch))
    return db.session.execute(query)
