"""What notices tell people: the notification kinds (lms.notifications) and the live pushes to open receipts pages."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.core.realtime import emit_to_user
from lms.core.text import render_markdown
from lms.notifications import Kind, register_kind

#: the params' "variant" of a must-read notice, with and without a deadline (its time in `confirm_by_at`)
MUST_READ, MUST_READ_BY = "must_read", "must_read_by"


def mail_context(notification) -> dict:
    """What a notice's mail shows beside the message (Kind.mail_context): the notice's text as it is now,
    rendered and sanitized for the HTML part, its Markdown source for the text part; nothing for a notice
    that is gone."""
    from lms.extensions import db
    from lms.feed.notices.models import Notice

    notice = db.session.get(Notice, notification.subject_id) if notification.subject_type == SUBJECT else None
    if notice is None:
        return {}
    return {"notice_html": render_markdown(notice.body_md), "notice_text": notice.body_md,
            "asks_confirmation": notice.asks_confirmation}


NOTICE_PUBLISHED = register_kind(Kind(
    "notice_published", label=_l("New notices in my circles"),
    message=_l("%(actor)s posted the notice “%(title)s” in %(circle)s"),
    variants=((MUST_READ, _l("%(actor)s posted the must-read notice “%(title)s” in %(circle)s: please read it "
                             "and confirm")),
              (MUST_READ_BY, _l("%(actor)s posted the must-read notice “%(title)s” in %(circle)s: please read it "
                                "and confirm by %(confirm_by_at)s"))),
    mail_template="notices/notice", mail_context=mail_context))
MUST_READ_REMINDER = register_kind(Kind(
    "must_read_reminder", label=_l("Reminders of notices I have not read"),
    message=_l("Reminder: please read the notice “%(title)s” in %(circle)s"),
    variants=((MUST_READ, _l("Reminder: please read and confirm the must-read notice “%(title)s” in %(circle)s")),
              (MUST_READ_BY, _l("Reminder: please read and confirm the must-read notice “%(title)s” in %(circle)s "
                                "by %(confirm_by_at)s"))),
    mail_template="notices/notice", mail_context=mail_context))
#: a second manual reminder of one notice within this time is refused (members are not flooded by a double
#: click or two staff at once)
REMIND_COOLDOWN = timedelta(minutes=10)

#: pushed to the staff's open pages when a member opens or confirms a notice (static/js/feed/notices.js)
RECEIPT_EVENT = "notice_receipt"
#: what a notification is about, for mark_read_about
SUBJECT = "notice"


def receipt_changed(staff_ids, notice, membership_id: int, opened_at, confirmed_at) -> None:
    """Tell the staff's open receipts pages of `notice` that one member's receipt changed, after the commit.
    Only the fact and the row's times travel; the page asks for the new counts itself."""
    data = {"notice_id": notice.id, "membership_id": membership_id,
            "opened": opened_at is not None, "confirmed": confirmed_at is not None}
    for user_id in staff_ids:
        emit_to_user(user_id, RECEIPT_EVENT, data)


class LastReminder(NamedTuple):
    at: datetime
    recipients: int


def last_reminder(notice) -> LastReminder | None:
    """When the staff last reminded those who had not read `notice`, and how many (read from the audit
    record each reminder leaves), or None."""
    from lms.audit.models import AuditAction, AuditEvent
    from lms.extensions import db

    row = db.session.execute(
        sa.select(AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.action == AuditAction.notice_reminded, AuditEvent.target_type == notice.__tablename__,
               AuditEvent.target_id == notice.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)).first()
    if row is None:
        return None
    return LastReminder(row.at, int((row.details or {}).get("recipients") or 0))
