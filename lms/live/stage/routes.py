"""The stage's one HTTP endpoint: a member's Janus connection and tokens for their role now
(/work/notes/stage_contract.md §2). Loaded through the circle: a stranger gets 404."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user, login_required

from lms.circles.queries import get_circle_or_404
from lms.accounts.limits import person_key
from lms.extensions import db, limiter
from lms.live import bp
from lms.live import room
from lms.live.queries import get_lesson_or_404
from lms.live.stage import operations as stage
from lms.live.stage.tokens import SUBSCRIBER

PREFIX = "/c/<int:circle_id>/live"
#: a page asks once when it opens and once per renewal (every ~25 min); reconnects add a few
TOKENS_PER_PERSON = "30 per minute"


@bp.route(PREFIX + "/<int:lesson_id>/stage/token", methods=["POST"])
@login_required
@limiter.limit(TOKENS_PER_PERSON, key_func=person_key)
def stage_token(circle_id: int, lesson_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    lesson = get_lesson_or_404(circle, lesson_id, current_user)
    body = request.get_json(silent=True) or {}
    want = SUBSCRIBER if body.get("role") == SUBSCRIBER else None
    try:
        p = room.take_part(lesson, current_user)  # may see it, not removed, the room open
        answer = stage.issue(lesson, current_user, p.host, want)
        db.session.commit()
    except room.Removed as error:
        db.session.rollback()
        return _no_store(jsonify(ok=False, error=error.message, code="removed"), 403)
    except stage.StageError as error:
        db.session.rollback()
        return _no_store(jsonify(ok=False, error=error.message, code=error.code), 409)
    except room.RoomError as error:  # the room is closed: ended or cancelled
        db.session.rollback()
        return _no_store(jsonify(ok=False, error=error.message, code="over"), 409)
    return _no_store(jsonify(answer), 200)


def _no_store(response, status: int):
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response
