"""What notices tell people: the notification kinds (lms.notifications) and the live pushes to open receipts pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.core.realtime import emit_to_user
from lms.notifications import Kind, register_kind

NOTICE_PUBLISHED = register_kind(Kind(
    "notice_published", label=_l("New notices in my circles"),
    message=_l("%(actor)s posted the notice “%(title)s” in %(circle)s")))
MUST_READ_REMINDER = register_kind(Kind(
    "must_read_reminder", label=_l("Reminders of notices I have not read"),
    message=_l("Reminder: please read the notice “%(title)s” in %(circle)s")))

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
