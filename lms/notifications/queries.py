"""Reads of notifications: the unread count (read with the session), a person's list by keyset, scoped
lookups that 404 for anyone but the recipient."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.extensions import db
from lms.notifications.models import FanOut, Notification

#: the session fact (lms.accounts.hooks.register_session_fact): how many unread notifications the person has
UNREAD_NOTIFICATIONS = "unread_notifications"
#: notifications on one page of the list
PAGE_SIZE = 30


def unread_count_of(user_id: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """COUNT of the unread notifications of `user_id` (an index-only count on (user_id, read_at))."""
    return (sa.select(sa.func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .scalar_subquery())


def unread_count(user: User) -> int:
    """The person's unread count: read with their session when it was loaded through one, else asked."""
    facts = getattr(user, "session_facts", None) or {}
    if UNREAD_NOTIFICATIONS in facts:
        return int(facts[UNREAD_NOTIFICATIONS] or 0)
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def get_notification_or_404(user: User, notification_id: int) -> Notification:
    """One of `user`'s own notifications; anyone else's (or none) is 404."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or not notification.can_view(user):
        abort(404)
    return notification


def notifications_page(user: User, before: int | None = None, size: int = PAGE_SIZE) -> tuple[list[Notification], int | None]:
    """The person's notifications newest first, `size` of them with an id below `before` (keyset, no
    OFFSET), and the `before` of the next page (None on the last)."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if before is not None:
        query = query.where(Notification.id < before)
    found = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(size + 1)))
    more = len(found) > size
    found = found[:size]
    return found, (found[-1].id if more else None)


def fan_out_state(user: User, fan_out_id: int | None) -> FanOut | None:
    """The progress of a large `notify` that `user` started (done, total, is_finished), or None for one
    they did not start or that does not exist: a page opened after some batches were written (or after
    all) shows where the job is, not 0."""
    if fan_out_id is None:
        return None
    fan_out = db.session.get(FanOut, fan_out_id)
    return fan_out if fan_out is not None and fan_out.progress_to == user.id else None


def already_told(user_ids, dedupe_key: str) -> set[int]:
    """Those of `user_ids` who already have the notification of `dedupe_key` (notify skips them): so a second
    "remind them" can say who was told before rather than count them again. One query."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(Notification.user_id).where(Notification.dedupe_key == dedupe_key,
                                                                        Notification.user_id.in_(ids))))
