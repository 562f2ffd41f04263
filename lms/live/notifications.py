"""What live lessons tell people: the notification kinds (lms.notifications) and the room's stream state."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.notifications import Channel, Kind, register_kind

#: the reminder's variants when the minutes left are 1 or 0 (its message says "in N minutes" otherwise)
ONE_MINUTE, NOW = "one_minute", "now"
#: what a notification is about, for mark_read_about / forget_about
SUBJECT = "live_lesson"

LIVE_SCHEDULED = register_kind(Kind(
    "live_scheduled", label=_l("Live lessons scheduled or cancelled in my circles"),
    message=_l("%(actor)s scheduled the live lesson “%(title)s” in %(circle)s for %(starts_at)s"),
    variants=(("moved", _l("The live lesson “%(title)s” in %(circle)s now starts at %(starts_at)s")),
              ("cancelled", _l("The live lesson “%(title)s” in %(circle)s (%(starts_at)s) is cancelled"))),
    default=Channel.digest))
LIVE_REMINDER = register_kind(Kind(
    "live_starting", label=_l("Reminders before live lessons"),
    message=_l("The live lesson “%(title)s” in %(circle)s starts in %(minutes)s minutes (%(starts_at)s)"),
    variants=((ONE_MINUTE, _l("The live lesson “%(title)s” in %(circle)s starts in one minute (%(starts_at)s)")),
              (NOW, _l("The live lesson “%(title)s” in %(circle)s starts now (%(starts_at)s)"))),
    subject=_l("Starting soon: “%(title)s” in %(circle)s")))
LIVE_NOW = register_kind(Kind(
    "live_started", label=_l("A live lesson in my circles starts"),
    message=_l("“%(title)s” in %(circle)s is live now"),
    variants=(("resumed", _l("“%(title)s” in %(circle)s is live again")),)))

#: the Socket.IO namespace and room of a lesson (live-room joins members to it)
NAMESPACE = "/live"
STREAM_STATE_EVENT = "stream_state"


def room_name(lesson_id: int) -> str:
    return f"lesson-{lesson_id}"
