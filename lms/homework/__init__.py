"""Homework: assignments, versioned submissions (video, text, files), comments at moments of a video."""
from flask import Blueprint

bp = Blueprint("homework", __name__)


@bp.record_once
def _register_media_subject(state) -> None:
    """Media shown for a submission is served while its viewer may see that submission."""
    from lms.homework.queries import can_fetch_submission_media
    from lms.uploads.access import register_subject

    register_subject(state.app, "submission", can_fetch_submission_media)


@bp.record_once
def _register_drafts(state) -> None:
    """Uploads for an assignment are checked before their first byte and before each chunk (an
    assignment that closed takes no more), and "My uploads" shows and hands in the ones kept in a draft."""
    from lms.homework import drafts
    from lms.uploads.access import register_upload_purpose
    from lms.uploads.queries import register_library_uses

    register_upload_purpose(state.app, "assignment", drafts.purpose_checker, on_created=drafts.keep_new_upload,
                            accepts_bytes=drafts.accepts_bytes)
    register_library_uses(state.app, drafts.library_uses)


@bp.record_once
def _register_with_audit(state) -> None:
    """How homework's events read on the audit log."""
    from lms.homework import audit_details

    audit_details.register(state.app)


@bp.record_once
def _register_with_calendar(state) -> None:
    """Due and close times on the circle calendars and in each person's iCalendar feed."""
    from lms.calendar.sources import register_calendar_source
    from lms.homework.calendar_source import assignment_events

    register_calendar_source(state.app, "homework", assignment_events)


@bp.record_once
def _register_home_section(state) -> None:
    """The "next due" card in the side column of every circle's home page."""
    from lms.circles.home import register_home_section
    from lms.homework.home_section import SECTION

    register_home_section(state.app, SECTION)
