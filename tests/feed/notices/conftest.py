"""Notice factories: notices written through the real operation, the notifications people got, a query counter."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices import operations as ops
from lms.notifications.models import Notification
from tests.fixtures.queries import QueryCounter


class NoticeFactory:
    def notice(self, circle, author, *, when="now", **fields):
        """A notice through create_notice: `when` "now", "draft", or an aware time to publish at."""
        fields.setdefault("title", "Notice")
        fields.setdefault("body_md", "Read me.")
        publish_at = utcnow() if when == "now" else None if when == "draft" else when
        notice = ops.create_notice(circle, author, publish_at=publish_at, **fields)
        db.session.commit()
        return notice

    @staticmethod
    def notifications(kind: str | None = None, user=None, notice=None) -> list[Notification]:
        query = sa.select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        if user is not None:
            query = query.where(Notification.user_id == user.id)
        if notice is not None:
            query = query.where(Notification.subject_type == "notice", Notification.subject_id == notice.id)
        return list(db.session.scalars(query))


@pytest.fixture
def notices(app) -> NoticeFactory:
    return NoticeFactory()


@pytest.fixture
def count_queries(app):
    """`count_queries(fn)`: how many statements this thread sent the database while `fn()` ran."""
    def _count(fn) -> int:
        with QueryCounter() as counter:
            fn()
        return counter.count

    return _count
