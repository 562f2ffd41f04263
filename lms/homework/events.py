"""Socket.IO namespace /homework: pages showing a submission hear when its comments change.

The push says only *that* something changed; each page then reloads the list through the JSON
endpoint, which shows every viewer exactly what they may see (a student never receives unreleased
feedback this way).
"""
from __future__ import annotations

from flask_login import current_user
from flask_socketio import Namespace, leave_room
from werkzeug.exceptions import HTTPException

from lms.circles.queries import get_circle_or_404
from lms.core.realtime import enter_room
from lms.homework import queries as q
from lms.homework.notifications import NAMESPACE, submission_room


class HomeworkNamespace(Namespace):
    """Signed-in users only; a page joins a submission's room after the same checks as its HTTP
    views (circle, assignment, and the submission through get_submission_or_404: Submission.can_view)."""

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            return False
        return None

    def on_watch(self, data):
        """{"circle_id", "assignment_id", "submission_id"} → {"ok": bool}."""
        try:
            circle = get_circle_or_404(int(data["circle_id"]), current_user)
            assignment = q.get_assignment_or_404(circle, int(data["assignment_id"]), current_user)
            submission = q.get_submission_or_404(assignment, int(data["submission_id"]), current_user)
        except (HTTPException, KeyError, TypeError, ValueError):
            return {"ok": False}
        return {"ok": enter_room(submission_room(submission.id))}

    def on_unwatch(self, data):
        try:
            leave_room(submission_room(int(data["submission_id"])))
        except (KeyError, TypeError, ValueError):
            pass


def register(socketio) -> None:
    socketio.on_namespace(HomeworkNamespace(NAMESPACE))
