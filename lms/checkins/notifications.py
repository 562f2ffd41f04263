"""What check-ins tell people: the notification kinds (lms.notifications) and the board's live push."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.core.realtime import emit_to_user
from lms.notifications import Channel, Kind, register_kind

#: what a notification is about, for mark_read_about / forget_about
SUBJECT = "checkin_task"
#: the variant of the reminder a teacher sends by hand from the board
FROM_TEACHER = "teacher"

CHECKIN_REMINDER = register_kind(Kind(
    "checkin_reminder", label=_l("Check-in reminders"),
    message=_l("Time to check in: “%(title)s” in %(circle)s (open until %(until)s)"),
    variants=((FROM_TEACHER, _l("%(actor)s reminds you to check in today: “%(title)s” in %(circle)s "
                                "(open until %(until)s)")),),
    subject=_l("Check in today: “%(title)s”")))
CHECKIN_COMMENT = register_kind(Kind(
    "checkin_comment", label=_l("Comments on my check-ins"),
    message=_l("%(actor)s commented on your check-in “%(title)s” in %(circle)s"), default=Channel.digest))

#: pushed to the staff's open board pages when a member checks in (static/js/checkins_board.js)
CHECKED_IN_EVENT = "checkin_done"


def checked_in(staff_ids, task_id: int, user_id: int, day: str, is_makeup: bool) -> None:
    """Tell the staff's open boards that a member checked in, after the commit. Only the fact travels; the
    page asks for the new counts itself."""
    data = {"task_id": task_id, "user_id": user_id, "day": day, "is_makeup": is_makeup}
    for staff_id in staff_ids:
        emit_to_user(staff_id, CHECKED_IN_EVENT, data)
