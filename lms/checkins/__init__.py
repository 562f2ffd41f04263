"""Daily check-ins (issue 16): a circle's check-in tasks (schedule, daily window, what a check-in needs,
make-ups), members' check-ins with streaks and badges, the teacher's board, reminders, a gradebook column.

The blueprint `checkins` serves /c/<circle_id>/checkins/...; lms/__init__.py imports lms.checkins.routes,
which attaches the views (so the models import without cycles).
"""
from flask import Blueprint

bp = Blueprint("checkins", __name__)


@bp.record_once
def _register(state) -> None:
    """What check-ins add to the lower packages: the home page's card, the calendar's source, the
    notification kinds, the upload purpose and media subject, the audit labels (lms/checkins/hooks.py)."""
    from lms.checkins import hooks

    hooks.register(state.app)


__all__ = ["bp"]
