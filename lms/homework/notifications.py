"""Live pushes and mail of the homework domain (sent after the commit)."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.core.i18n import format_in_zone, recipient_locale
from lms.core.mail import send_mail
from lms.core.realtime import emit_to_room, emit_to_user
from lms.core.urls import external_url
from lms.homework.lateness import zone

#: the Socket.IO namespace of homework pages (lms/homework/events.py)
NAMESPACE = "/homework"


def submission_room(submission_id: int) -> str:
    return f"submission:{submission_id}"


def comments_changed(submission) -> None:
    """Tell the pages watching `submission` to reload its comments, once the transaction commits.
    Only the fact travels: each page reloads through the JSON endpoint, which shows each viewer
    what they may see."""
    emit_to_room(submission_room(submission.id), "comments_changed", {"submission_id": submission.id},
                 namespace=NAMESPACE)


def extension_changed(assignment, student, action, deadline) -> None:
    """Mail `student` that their own times for `assignment` were granted, changed or removed (`action`,
    an ExtensionAction) and push a notification to their open pages, as Canvas's "Assignment due date
    override changed" notice does. `deadline` is the Deadline that holds for them now (the extension's,
    or the assignment's after a removal). Times are written in the student's language and time zone
    (their profile's, else the circle's), with the zone named. Nothing is sent about an assignment the
    student cannot see (a draft; a circle they left or were removed from). Call inside the request; both
    leave once it commits."""
    if not assignment.can_view(student):
        return
    locale = recipient_locale(student)
    tz = zone(student.timezone, assignment.circle.zone.key)
    due = format_in_zone(deadline.due_at, tz, locale) if deadline.due_at else None
    closes = format_in_zone(deadline.closes_at, tz, locale) if deadline.closes_at else None
    link = external_url("homework.show", circle_id=assignment.circle_id, assignment_id=assignment.id)
    send_mail(student.email, _l("Your due date for “%(title)s” has changed", title=assignment.title),
              "homework/extension_changed", locale=locale, user=student, assignment=assignment,
              circle=assignment.circle, action=str(action), due=due, closes=closes, link=link)
    with force_locale(locale):
        message = _("Your due date for “%(title)s” has changed.", title=assignment.title)
    emit_to_user(student.id, "notification", {"kind": "extension_changed", "assignment_id": assignment.id,
                                              "circle_id": assignment.circle_id, "message": message,
                                              "due": due, "closes": closes, "url": link})
