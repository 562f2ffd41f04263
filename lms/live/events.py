"""Socket.IO namespace /live: a lesson page's room connection (chat, questions, hands, likes, polls,
moderation, presence). Thin: each event parses its data, reloads the lesson through its circle, checks
the sender again (lms.live.room.take_part), calls one function of lms.live.room and commits; pushes
leave after the commit. Acks are {"ok": true, ...} or {"ok": false, "error": "<translated message>"}.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import Namespace, join_room, leave_room
from werkzeug.exceptions import HTTPException

from lms.circles.queries import get_circle_or_404
from lms.core.realtime import enter_room
from lms.extensions import db, socketio
from lms.jobs import after_commit
from lms.live import room
from lms.live.models import HEARTBEAT, LiveLesson
from lms.live.notifications import NAMESPACE, room_name
from lms.live.queries import get_lesson_or_404
from lms.live.room import hands, likes, messages, moderation, polls, presence
from lms.live.room.state import room_state
from lms.live.stage import operations as stage

logger = logging.getLogger(__name__)

#: how often each process checks its connections for people removed on another process (config LIVE_SWEEP_SECONDS)
SWEEP_SECONDS = 20


@dataclass
class Joined:
    """What this process remembers of one connection that joined a lesson."""

    circle_id: int
    lesson_id: int
    user_id: int
    attendance_id: int
    host: bool
    #: id() of the app whose request joined: each app sweeps only its own connections (a process may hold several
    #: apps, as the tests do, and the namespace is the process's; another app's database knows other lessons)
    app_id: int = 0


def _load(circle_id, lesson_id) -> LiveLesson:
    """The lesson through its circle, for the signed-in user (RoomError: not found, for strangers too)."""
    lesson_id = int(lesson_id)
    if circle_id in (None, ""):
        circle_id = db.session.scalar(sa.select(LiveLesson.circle_id).where(LiveLesson.id == lesson_id))
    try:
        if circle_id is None:
            raise room.RoomError(_("This lesson was not found."))
        circle = get_circle_or_404(int(circle_id), current_user)
        return get_lesson_or_404(circle, lesson_id, current_user)
    except HTTPException:
        raise room.RoomError(_("This lesson was not found.")) from None


def _refused(message: str) -> dict:
    return {"ok": False, "error": message}


class LiveNamespace(Namespace):
    """Signed-in users only. A page joins one lesson (`join`); its rooms are the lesson's `lesson-<id>`,
    its person's `lesson-<id>-user-<uid>`, and for hosts `lesson-<id>-hosts`."""

    def __init__(self, namespace: str):
        super().__init__(namespace)
        self._joined: dict[str, Joined] = {}
        self._lock = threading.Lock()
        self._sweeping: set[int] = set()  # id() of each app whose connections a background task sweeps

    # -- the sweep ------------------------------------------------------------------------------
    def _start_sweep(self) -> None:
        """With the first join of this app in this process, start checking its connections every
        LIVE_SWEEP_SECONDS (the task keeps the app, so its id stays its own)."""
        app = current_app._get_current_object()
        with self._lock:
            if id(app) in self._sweeping:
                return
            self._sweeping.add(id(app))
        socketio.start_background_task(self._sweep_forever, app)

    def _sweep_forever(self, app) -> None:
        while True:
            socketio.sleep(float(app.config.get("LIVE_SWEEP_SECONDS", SWEEP_SECONDS)))
            try:
                self.sweep(app)
            except Exception:  # the next sweep tries again
                logger.exception("live room sweep failed")

    def sweep(self, app) -> int:
        """Disconnect this process's connections whose person was removed from the lesson (on another process:
        this one only heard `removed` go by) or whose lesson is over, closing their rows; only connections that
        joined through `app`. Returns how many."""
        with self._lock:
            joined = {sid: j for sid, j in self._joined.items() if j.app_id == id(app)}
        with app.app_context():
            try:
                gone = moderation.cut_off({(j.lesson_id, j.user_id) for j in joined.values()})
                dropped = [(sid, j) for sid, j in joined.items() if (j.lesson_id, j.user_id) in gone]
                for _sid, j in dropped:
                    presence.close_attendance(j.attendance_id)
                db.session.commit()
            finally:
                db.session.remove()
        server = socketio.server
        for sid, _j in dropped:
            with self._lock:
                self._joined.pop(sid, None)
            if server is not None:
                server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
        return len(dropped)

    # -- connection -------------------------------------------------------------------------
    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            return False
        return None

    def on_disconnect(self, reason=None):
        # Popped first and nothing else touched when the connection was not in a lesson (or was removed
        # from it, which closed its row already): a server-side disconnect may run inside a commit hook.
        # A disconnect can also run inside another connection's push (engine.io notices a dead socket when
        # sending to it, e.g. in a commit hook, where that session may emit no SQL and cannot roll back):
        # its work runs in an app context of its own, so in a session of its own.
        with self._lock:
            joined = self._joined.pop(request.sid, None)
        if joined is not None:
            with current_app.app_context():
                self._close(joined)
                try:
                    stage.watch_departure(joined.lesson_id, joined.user_id)  # on stage: off if they do not come back
                except Exception:
                    db.session.rollback()
                    logger.exception("stage departure check failed")

    def _close(self, joined: Joined) -> None:
        try:
            presence.close_attendance(joined.attendance_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("closing attendance row %s failed", joined.attendance_id)

    def _forget(self, sid: str) -> None:
        """This connection leaves its lesson's rooms and its attendance row closes."""
        with self._lock:
            joined = self._joined.pop(sid, None)
        if joined is None:
            return
        for name in (room_name(joined.lesson_id), room.person_room(joined.lesson_id, joined.user_id),
                     room.hosts_room(joined.lesson_id)):
            leave_room(name, sid=sid)
        self._close(joined)

    # -- joining and presence ------------------------------------------------------------------
    def on_join(self, data):
        """{"lesson_id", "circle_id"?} → {"ok": true, ...the room's state} (lms.live.room.state.room_state)."""
        sid = request.sid
        try:
            lesson = _load((data or {}).get("circle_id"), data["lesson_id"])
            p = room.take_part(lesson, current_user)
        except room.Removed as error:
            # the page waits in its person's room: a readmission is pushed there (moderation.readmit)
            db.session.rollback()
            self._forget(sid)
            enter_room(room.person_room(lesson.id, current_user.id))
            return {**_refused(error.message), "removed": True}
        except room.RoomError as error:
            db.session.rollback()
            return _refused(error.message)
        except (KeyError, TypeError, ValueError, AttributeError):
            db.session.rollback()
            return _refused(_("This lesson was not found."))
        with self._lock:
            before = self._joined.get(sid)
        if before is not None and before.lesson_id != lesson.id:
            self._forget(sid)
            before = None
        try:
            attendance_id = presence.open_attendance(p).id if before is None else before.attendance_id
            state = room_state(p)
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("joining live lesson %s failed", lesson.id)
            return _refused(_("Something went wrong. Try again."))
        try:
            join_room(room_name(lesson.id))
            join_room(room.person_room(lesson.id, current_user.id))
            if p.host:
                join_room(room.hosts_room(lesson.id))
        except (KeyError, ValueError):
            # the page went away while it was joining (a quick navigation): its new row closes, nothing is kept
            if before is None:
                self._close(Joined(lesson.circle_id, lesson.id, current_user.id, attendance_id, p.host))
            return _refused(_("Join the lesson first."))
        with self._lock:
            self._joined[sid] = Joined(lesson.circle_id, lesson.id, current_user.id, attendance_id, p.host,
                                       id(current_app._get_current_object()))
        self._start_sweep()
        return {"ok": True, **state, "heartbeat_seconds": int(HEARTBEAT.total_seconds())}

    def on_leave(self, data=None):
        self._forget(request.sid)
        return {"ok": True}

    def on_follow(self, data):
        """{"lesson_id", "circle_id"?} → {"ok": true, "state", "replay_state"}: a page of a lesson that is over
        hears what still happens to it (`replay_state` when its replay is ready, lms.live.replay), without
        taking part: no attendance row, no chat (the lesson's room carries none once it is over)."""
        try:
            lesson = _load((data or {}).get("circle_id"), data["lesson_id"])
        except (room.RoomError, KeyError, TypeError, ValueError, AttributeError):
            db.session.rollback()
            return _refused(_("This lesson was not found."))
        if lesson.state in room.OPEN_STATES:
            db.session.rollback()
            return _refused(_("Join the lesson first."))
        self._forget(request.sid)
        answer = {"ok": True, "state": str(lesson.state), "replay_state": lesson.replay_state}
        db.session.rollback()
        enter_room(room_name(lesson.id))  # a page gone meanwhile follows nothing
        return answer

    def on_heartbeat(self, data=None):
        """Every 30 s while the page is open (a background tab too): the connection's row is seen now."""
        def act(p: room.Participant, joined: Joined, _data):
            row = presence.refresh_attendance(p.lesson, p.user, joined.attendance_id)
            if row is None:  # closed meanwhile (e.g. readmitted after a removal): a new one
                row = presence.open_attendance(p)
            joined.attendance_id = row.id
        return self._act(data, act, touch=True)

    # -- the events of the room ------------------------------------------------------------------
    def _act(self, data, action, touch: bool = False) -> dict:
        """Reload the lesson, check the sender again, run `action(participant, joined, data)`, commit.

        The event's one query (room.enter_by_session): the page's sign-in session (live, its user not disabled:
        Flask-Login's loader's checks), the lesson, its circle, the sender's membership and live sanctions; then
        take_part's checks. `touch`: through Flask-Login's loader instead, which also records that the session
        was seen (the heartbeat, every 30 s), and enter()."""
        sid = request.sid
        with self._lock:
            joined = self._joined.get(sid)
        token = None if touch else session.get("_user_id")
        if token is None:
            if not current_user.is_authenticated:  # signed out (or the session ended) since the page joined
                self._forget(sid)
                return _refused(_("Sign in again to take part."))
            if joined is None or joined.user_id != current_user.id:
                return _refused(_("Join the lesson first."))
        elif joined is None:
            return _refused(_("Join the lesson first."))
        data = data if isinstance(data, dict) else {}
        try:
            if token is None:
                p = room.enter(joined.circle_id, joined.lesson_id, current_user)
            else:
                p = room.enter_by_session(joined.circle_id, joined.lesson_id, token, joined.user_id)
        except room.SignedOut as error:
            db.session.rollback()
            self._forget(sid)
            return _refused(error.message)
        except room.RoomError as error:
            # removed, no longer a member, or the lesson is over: this connection leaves the room too
            db.session.rollback()
            self._forget(sid)
            return _refused(error.message)
        try:
            result = action(p, joined, data)
            # the event's session ends with it (the app context's teardown) and nothing reads its objects after
            # the commit (the pushes are built before): no expiring them all
            db.session().expire_on_commit = False
            db.session.commit()
        except room.RoomError as error:
            db.session.rollback()
            return _refused(error.message)
        except (KeyError, TypeError, ValueError):
            db.session.rollback()
            return _refused(_("This request was not understood."))
        except Exception:
            db.session.rollback()
            logger.exception("live room event failed")
            return _refused(_("Something went wrong. Try again."))
        # an action's dict adds to the answer (the new message's id...); a model object it returns does not
        return {"ok": True, **(result if isinstance(result, dict) else {})}

    def on_chat(self, data):
        return self._act(data, lambda p, j, d: {"id": messages.post_message(p, room.CHAT, d.get("body"))["id"]})

    def on_question(self, data):
        return self._act(data, lambda p, j, d: {"id": messages.post_message(p, room.QUESTION, d.get("body"))["id"]})

    def on_answer_question(self, data):
        return self._act(data, lambda p, j, d: messages.answer_question(p, d.get("message_id"),
                                                                   bool(d.get("answered", True))))

    def on_pin(self, data):
        return self._act(data, lambda p, j, d: messages.pin_message(p, d.get("message_id"),
                                                               bool(d.get("pinned", True))))

    def on_delete_message(self, data):
        return self._act(data, lambda p, j, d: messages.delete_message(p, d.get("message_id")))

    def on_raise_hand(self, data=None):
        return self._act(data, lambda p, j, d: hands.raise_hand(p))

    def on_lower_hand(self, data=None):
        return self._act(data, lambda p, j, d: hands.lower_hand(p, d.get("user_id")))

    def on_like(self, data=None):
        return self._act(data, lambda p, j, d: {"counted": likes.like(p)})

    def on_poll_open(self, data):
        return self._act(data, lambda p, j, d: {"poll_id": polls.open_poll(p, d.get("question"), d.get("options")).id})

    def on_vote(self, data):
        return self._act(data, lambda p, j, d: polls.vote(p, d.get("poll_id"), d.get("option")))

    def on_poll_close(self, data):
        return self._act(data, lambda p, j, d: polls.close_poll(p, d.get("poll_id")))

    def on_mute(self, data):
        return self._act(data, lambda p, j, d: moderation.mute(p, d.get("user_id")))

    def on_unmute(self, data):
        return self._act(data, lambda p, j, d: moderation.unmute(p, d.get("user_id")))

    def on_mute_all(self, data=None):
        return self._act(data, lambda p, j, d: moderation.mute_all(p, True))

    def on_unmute_all(self, data=None):
        return self._act(data, lambda p, j, d: moderation.mute_all(p, False))

    def on_slow_mode(self, data):
        return self._act(data, lambda p, j, d: moderation.set_slow_mode(p, d.get("seconds")))

    def on_remove(self, data):
        def act(p, j, d):
            user_id = moderation.remove(p, d.get("user_id"))
            stage.drop(p.lesson, user_id, "removed")  # off the stage too, their feeds kicked
            self._disconnect_after_commit(p.lesson.id, user_id)
        return self._act(data, act)

    def on_readmit(self, data):
        return self._act(data, lambda p, j, d: moderation.readmit(p, d.get("user_id")))

    # -- the stage (lms.live.stage; /work/notes/stage_contract.md) --------------------------------------
    def on_stage_mode(self, data):
        return self._act(data, lambda p, j, d: stage.set_mode(p, d.get("mode")))

    def on_stage_invite(self, data):
        return self._act(data, lambda p, j, d: stage.invite(p, d.get("user_id")))

    def on_stage_accept(self, data=None):
        return self._act(data, lambda p, j, d: stage.accept(p))

    def on_stage_decline(self, data=None):
        return self._act(data, lambda p, j, d: stage.decline(p))

    def on_stage_leave(self, data=None):
        return self._act(data, lambda p, j, d: stage.leave(p))

    def on_stage_down(self, data):
        return self._act(data, lambda p, j, d: stage.take_down(p, d.get("user_id")))

    def on_stage_mute(self, data):
        return self._act(data, lambda p, j, d: stage.mute(p, d.get("user_id"), bool(d.get("muted", True))))

    def on_stage_turns(self, data):
        return self._act(data, lambda p, j, d: stage.start_turns(p, d.get("seconds"), d.get("user_ids")))

    def on_stage_turns_stop(self, data=None):
        return self._act(data, lambda p, j, d: stage.stop_turns(p))

    def _disconnect_after_commit(self, lesson_id: int, user_id: int) -> None:
        """Once the removal commits, close this process's connections of the removed person in that lesson
        (their pages were sent `removed` just before, through the message queue to every process; a
        connection on another process is refused at its next event or heartbeat, and dropped by that process's
        sweep within LIVE_SWEEP_SECONDS whatever its page does)."""
        person = room.person_room(lesson_id, user_id)

        def close():
            server = socketio.server
            if server is None:
                return
            for sid, _eio_sid in list(server.manager.get_participants(NAMESPACE, person)):
                with self._lock:
                    # its attendance row is closed by the removal: nothing for on_disconnect to do
                    self._joined.pop(sid, None)
                server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)

        after_commit(close)


def register(socketio_) -> None:
    socketio_.on_namespace(LiveNamespace(NAMESPACE))
