"""What notices register with lower packages: the circle home page's section, the calendar's source, the upload purpose."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from lms.accounts.models import User
from lms.calendar.sources import CalendarEvent
from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus
from lms.circles.oversight import overseen_circle_ids
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.feed.notices import queries as q
from lms.feed.notices.models import Notice, NoticeRead, can_post_notices


def may_upload(user: User, circle_id: int) -> int | None:
    """The "notices" upload purpose (lms.uploads.access): the circle, when `user` may write its notices."""
    from lms.circles.queries import get_circle_or_404

    try:
        circle = get_circle_or_404(circle_id, user)
    except NotFound:
        return None
    return circle.id if can_post_notices(circle, user) else None


def home(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The home page's notices: must-read ones the viewer has not confirmed, pinned ones, the latest few.
    One query whatever the circle's size; not shown when there is nothing and the viewer cannot write."""
    return _home(circle, viewer, q.home_notices(circle, viewer))


def has_notices(circle_id: sa.ColumnElement[int], _viewer_id) -> sa.ColumnElement[bool]:
    """The section's probe (lms.circles.home), read with the circle: whether it has any notice at all."""
    return sa.exists().where(Notice.circle_id == circle_id)


def home_without_notices(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """`home` for a circle without any notice (its probe said so): the writers' empty section, no query."""
    return _home(circle, viewer, [])


def _home(circle: Circle, viewer: User, rows: list) -> dict | None:
    can_post = can_post_notices(circle, viewer)
    if not rows and not can_post:
        return None
    return {"notice_rows": rows, "can_post_notices": can_post}


def calendar_events(viewer: User, circle_ids: Sequence[int], start: datetime, end: datetime) -> list[CalendarEvent]:
    """The calendar's notices: for the staff of a circle (and its overseers), its scheduled notices at their
    publish time; for its audience (learners, not staff: q.audience_filter), the confirm-by deadlines of its published must-read notices.
    One query."""
    now = utcnow()
    role = (sa.select(Membership.role).where(Membership.circle_id == Notice.circle_id, Membership.user_id == viewer.id,
                                             Membership.status == MembershipStatus.active)
            .scalar_subquery())
    is_staff = role.in_([r.value for r in STAFF_ROLES])
    if viewer.is_admin:
        is_staff = sa.true()
    elif (overseen := overseen_circle_ids(viewer)) is not None:  # an organization's admins, as its staff
        is_staff = sa.or_(is_staff, Notice.circle_id.in_(overseen.scalar_subquery()))
    scheduled = sa.and_(is_staff, Notice.publish_at > now, Notice.publish_at >= start, Notice.publish_at < end)
    # A member who has confirmed is done with it: the deadline leaves their calendar and feed.
    confirmed = (sa.select(NoticeRead.id).where(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == viewer.id,
                                                NoticeRead.confirmed_at.is_not(None)).exists())
    # only the notice's audience (its circle's learners, not its staff or author) has a deadline to confirm
    deadline = sa.and_(Notice.is_must_read, Notice.publish_at <= now, Notice.confirm_by >= start,
                       Notice.confirm_by < end, ~confirmed, q.is_audience_of_notice(viewer.id))
    rows = db.session.execute(sa.select(Notice.id, Notice.circle_id, Notice.title, Notice.publish_at,
                                        Notice.confirm_by, scheduled.label("scheduled"))
                              .where(Notice.circle_id.in_(list(circle_ids)), sa.or_(scheduled, deadline))).all()
    events = []
    for notice_id, circle_id, title, publish_at, confirm_by, is_scheduled in rows:
        url = path_for("notices.show", circle_id=circle_id, notice_id=notice_id)
        if is_scheduled:
            events.append(CalendarEvent(f"notice-{notice_id}-publish@circles", _("Notice: %(title)s", title=title),
                                        publish_at, None, url, circle_id, "notice",
                                        _("Scheduled notice; members see it from this time.")))
        elif confirm_by is not None and publish_at is not None and publish_at <= now and start <= confirm_by < end:
            events.append(CalendarEvent(f"notice-{notice_id}-confirm-by@circles",
                                        _("Confirm you have read: %(title)s", title=title), confirm_by, None, url,
                                        circle_id, "notice_deadline"))
    return events
