"""Socket.IO namespace /live-ingest: a host's browser sends its lesson's video here.

Events (every answer is the event's acknowledgement):

- ``start`` {"circle_id", "lesson_id", "mime"} → {"ok": True, "state"} or {"ok": False, "error", "code"}.
  Only a host of the lesson (owner, teacher, assistant) of a lesson not over; a new lesson beyond
  LIVE_MAX_ENCODES encoding ones is refused ("busy"). A scheduled lesson goes live, a reconnecting
  one resumes (lms.live.operations).
- ``piece`` {"lesson_id", "data": <binary WebM piece>} → {"ok": True} / {"ok": False, "restart"?,
  "ended"?, "error"?}. Send pieces one at a time, each after the previous one's answer (the order
  matters). "restart": start a new MediaRecorder (its first piece carries the WebM header).
- ``stop`` {"circle_id", "lesson_id", "end": bool} → {"ok": True}: the stream's last segments are written;
  with "end", the lesson ends for everyone.
- ``speed_test`` {"circle_id", "lesson_id", "data": <binary, ≤ 2 MB>} → {"ok": True, "bytes"}: the page times it.

A sender whose connection drops (no ``stop``) leaves its lesson "reconnecting": its page connects
again and sends ``start`` and a new recording within the grace period, and the recording continues.
"""
from __future__ import annotations

import logging
import time

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import Namespace
from werkzeug.exceptions import HTTPException

from lms.circles.queries import get_circle_or_404
from lms.extensions import db
from lms.live import ingest, origin
from lms.live.models import ON_AIR_STATES, IngestKind, LessonState, LiveLesson

log = logging.getLogger(__name__)

NAMESPACE = "/live-ingest"
#: how often (seconds) a sender's pieces look at the lesson's state (ended elsewhere: stop taking them)
STATE_CHECK_SECONDS = 5
#: the most an upload speed check may send
SPEED_TEST_BYTES = 2 * 1024**2


def _operations():
    from lms.live import operations

    return operations


def _refused(message: str, code: str) -> dict:
    return {"ok": False, "error": message, "code": code}


def _hosted_lesson(data) -> LiveLesson | None:
    """The lesson named in `data` if the current user may host it; None for anyone else (as a 404)."""
    try:
        circle = get_circle_or_404(int(data["circle_id"]), current_user)
        lesson_id = int(data["lesson_id"])
    except (HTTPException, KeyError, TypeError, ValueError):
        return None
    lesson = db.session.get(LiveLesson, lesson_id)
    if lesson is None or lesson.circle_id != circle.id or not lesson.can_host(current_user):
        return None
    return lesson


class IngestNamespace(Namespace):
    """Signed-in users only; every event checks that the user hosts the lesson."""

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            return False
        return None

    def on_start(self, data):
        if not isinstance(data, dict):
            return _refused(_("This lesson is not yours to broadcast."), "forbidden")
        lesson = _hosted_lesson(data)
        if lesson is None:
            return _refused(_("This lesson is not yours to broadcast."), "forbidden")
        if lesson.state in (LessonState.ended, LessonState.cancelled):
            return _refused(_("This lesson is over. Schedule a new one to go live again."), "over")
        if lesson.state == LessonState.live and lesson.ingest == IngestKind.rtmp:
            return _refused(_("This lesson is being broadcast from OBS. Stop OBS first."), "rtmp")
        try:
            ingest.begin(lesson, current_user, request.sid, str(data.get("mime") or ""))
        except ingest.IngestRefused as refused:
            return _refused(refused.message, refused.code)
        ops = _operations()
        lesson.origin = origin.this_origin()  # several hosts: where its segments are (lms.live.origin)
        try:
            ops.go_live(lesson, IngestKind.browser, current_user)
        except ops.LiveError as error:
            db.session.rollback()
            ingest.finish(lesson.id, request.sid)
            return _refused(str(error), "over")
        db.session.commit()
        return {"ok": True, "state": lesson.state.value}

    def on_piece(self, data):
        try:
            lesson_id = int(data["lesson_id"])
            piece = data["data"]
        except (KeyError, TypeError, ValueError):
            return _refused(_("The video piece could not be read."), "bad_piece")
        session = ingest.get(lesson_id)
        if session is not None and session.sid == request.sid and \
                time.monotonic() - session.checked_at > STATE_CHECK_SECONDS:
            session.checked_at = time.monotonic()
            state = db.session.scalar(db.select(LiveLesson.state).where(LiveLesson.id == lesson_id))
            db.session.rollback()  # let the connection go back to the pool
            if state not in ON_AIR_STATES:
                ingest.finish(lesson_id, request.sid)
                return {"ok": False, "ended": True, "error": _("The lesson has ended.")}
        return ingest.feed(lesson_id, request.sid, piece)

    def on_stop(self, data):
        try:
            lesson_id = int(data["lesson_id"])
        except (KeyError, TypeError, ValueError):
            return _refused(_("This lesson is not yours to broadcast."), "forbidden")
        lesson = _hosted_lesson(data)
        if lesson is None:
            return _refused(_("This lesson is not yours to broadcast."), "forbidden")
        ingest.finish(lesson_id, request.sid)
        if data.get("end"):
            ingest.mark_ended(ingest.lesson_folder(lesson))  # players stop asking for more
            _operations().end_lesson(lesson, current_user)  # queues the replay (lms.live.replay)
            db.session.commit()
        return {"ok": True, "state": lesson.state.value}

    def on_speed_test(self, data):
        """{"circle_id", "lesson_id", "data": <up to 2 MB>} → {"ok", "bytes"}: the page times the answer to
        measure its upload speed over the path its video will take. Hosts only."""
        if not isinstance(data, dict) or _hosted_lesson(data) is None:
            return _refused(_("This lesson is not yours to broadcast."), "forbidden")
        db.session.rollback()
        payload = data.get("data")
        if not isinstance(payload, (bytes, bytearray)) or len(payload) > SPEED_TEST_BYTES:
            return _refused(_("The video piece could not be read."), "bad_piece")
        return {"ok": True, "bytes": len(payload)}

    def on_disconnect(self, *args):
        # In an app context, so a session, of its own: engine.io may notice the dead socket while another
        # connection's push is sent from a commit hook, whose session can emit no more SQL (lms.live.events).
        for lesson_id in ingest.sessions_of(request.sid):
            ingest.finish(lesson_id, request.sid)
            with current_app.app_context():
                lesson = db.session.get(LiveLesson, lesson_id)
                if lesson is not None and lesson.state == LessonState.live and lesson.ingest == IngestKind.browser:
                    _operations().mark_reconnecting(lesson)
                    db.session.commit()


def register(socketio) -> None:
    socketio.on_namespace(IngestNamespace(NAMESPACE))
