"""Helpers of the moderation tests: one thing of every reportable kind, written through the real operations."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.checkins import operations as checkin_ops
from lms.circles.models import Membership
from lms.extensions import db
from lms.feed.posts import operations as feed_ops
from lms.feed.posts import queries as feed_q
from lms.homework import operations as hw_ops
from lms.homework.models import PeerVisibility
from lms.moderation.models import Report
from lms.notifications.models import Notification
from tests.checkins.support import make_task


def make_post(circle, author, body="A post about the homework"):
    post = feed_ops.create_post(circle, author, feed_q.feed_settings(circle), body_md=body)
    db.session.commit()
    return post


def make_comment(circle, author, body="A comment on it"):
    post = make_post(circle, circle_owner(circle))
    comment = feed_ops.add_comment(post, author, body)
    db.session.commit()
    return comment


def make_video_comment(circle, author, hw, body="Nice video at this moment", viewer=None):
    """A peer comment by `author` on their own video; `viewer` handed in too, so they see classmates' work."""
    assignment = hw.assignment(circle, title="Speech", peer_visibility=PeerVisibility.after_submit)
    submission = hw.submission(assignment, author)
    if viewer is not None:
        hw.submission(assignment, viewer)
    comment = hw_ops.add_video_comment(submission, author, body)
    db.session.commit()
    return comment


def make_checkin(circle, author, text="Read a chapter of my book today"):
    task = make_task(circle, circle_owner(circle), starts_on=date(2020, 1, 1), window_start_minute=0,
                     window_end_minute=24 * 60)
    checkin = checkin_ops.submit_checkin(task, author, text=text)
    db.session.commit()
    return checkin


def make_checkin_comment(circle, author, body="Well done, keep going"):
    checkin = make_checkin(circle, circle_owner(circle))
    comment = checkin_ops.add_comment(checkin, author, body)
    db.session.commit()
    return comment


def membership(circle, user) -> Membership:
    return db.session.scalar(sa.select(Membership).where(Membership.circle_id == circle.id,
                                                         Membership.user_id == user.id))


def circle_owner(circle):
    from lms.accounts.models import User

    return db.session.get(User, circle.created_by_id)


def notifications_of(user, kind: str) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                                 Notification.kind == kind)))


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def reports() -> list[Report]:
    return list(db.session.scalars(sa.select(Report).order_by(Report.id)))


def report(client, circle, kind, object_id, reason="spam", details=""):
    return client.post(f"/c/{circle.id}/moderation/report",
                       json={"kind": kind, "object_id": object_id, "reason": reason, "details": details},
                       headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"})
