"""Notices: Markdown posts by staff, scheduled, pinned, must-read, with read receipts and reminders."""
from flask import Blueprint

bp = Blueprint("notices", __name__)


@bp.record_once
def _register(state) -> None:
    """Tell the lower packages what notices add: the media shown for a notice (served while its viewer
    may see the notice), uploads for a circle's notices (its writers only), the home page's section,
    the calendar's source, and how its audit events read."""
    from lms.calendar.sources import register_calendar_source
    from lms.circles.home import HomeSection, register_home_section
    from lms.feed.notices import audit_details, sections
    from lms.feed.notices.queries import can_fetch_notice_media
    from lms.uploads.access import register_subject, register_upload_purpose

    register_subject(state.app, "notice", can_fetch_notice_media)
    register_upload_purpose(state.app, "notices", sections.may_upload)
    register_home_section(state.app, HomeSection("notices", "main", 10, "feed/notices/_home.html", sections.home,
                                                 probe=sections.has_notices,
                                                 when_empty=sections.home_without_notices))
    register_calendar_source(state.app, "notices", sections.calendar_events)
    audit_details.register(state.app)
