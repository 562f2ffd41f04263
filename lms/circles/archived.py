"""An archived circle is read-only everywhere: one guard before every request that would change something
under a circle's URL (every domain's writes carry <circle_id>, tests/orgs/test_terms.py
pins that), rather than a check in each of a hundred views."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from lms.circles.models import Circle
from lms.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Writes under an archived circle that stay allowed: restoring it, moving it out of (or into) an
#: organization, leaving it, reading through a POST (a preview, an export, a replay's progress, grades sent
#: to an LMS), and keeping it safe (reporting, and the staff's moderation of what was reported).
ALLOWED_ENDPOINTS = frozenset({
    "circles.archive", "circles.leave", "orgs.take_circle_out", "orgs.place_circle",
    "notices.preview", "grading.export_grades", "live.replay_progress", "lti.send_grades",
    "moderation.report", "moderation.act",
})


class CircleArchived(Forbidden):
    """A write refused because the circle is archived; the page says so (lms.core.errors)."""

    lms_message = True
    description = _l("This circle is archived: it can be read, but nothing in it can be changed.")


def refuse_writes_to_archived() -> None:
    """before_app_request: 403 for a write under an archived circle's URL (other than ALLOWED_ENDPOINTS).
    A circle that does not exist, or that the person may not see, is left to the view (its scoped lookup
    answers 404 or sends them to sign in: the refusal must not tell a stranger the circle is there)."""
    if request.method in SAFE_METHODS or not request.view_args or request.endpoint in ALLOWED_ENDPOINTS:
        return
    circle_id = request.view_args.get("circle_id")
    if circle_id is None:
        return
    if not db.session.scalar(db.select(Circle.is_archived).where(Circle.id == circle_id)):
        return
    circle = db.session.get(Circle, circle_id)
    if circle is not None and circle.can_view(current_user):
        raise CircleArchived()
