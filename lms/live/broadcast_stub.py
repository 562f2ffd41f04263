"""A stand-in for live-video's go-live page (`live.broadcast`), used only while lms/live/video_routes.py is
not in the tree: hosts reach a page that says the browser broadcast is not available yet."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.live import bp
from lms.live import queries as q


@bp.route("/c/<int:circle_id>/live/<int:lesson_id>/broadcast")
@login_required
def broadcast(circle_id: int, lesson_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    lesson = q.get_lesson_or_404(circle, lesson_id, current_user)
    require(lesson.can_host(current_user))
    return render_template("live/broadcast_stub.html", circle=circle, lesson=lesson)
