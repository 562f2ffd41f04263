"""The default Socket.IO namespace: signed-in users only, each in a room of their own."""
from __future__ import annotations

import logging

from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, join_room

from lms.core.realtime import forget_connection, remember_connection, session_room, user_room, user_rooms
from lms.extensions import db

logger = logging.getLogger(__name__)


class UserNamespace(Namespace):
    """Every open page of a signed-in user joins `user:<id>`, where their pushes arrive
    (upload and processing progress, notifications), and the rooms domains registered for them
    (lms.core.realtime.register_user_rooms). Anonymous connections are refused."""

    def __init__(self, namespace: str):
        super().__init__(namespace)
        #: this process's connections: sid → user id (forgotten from Redis when they close)
        self._users: dict[str, int] = {}

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            return False
        join_room(user_room(current_user.id))
        if getattr(current_user, "current_session", None) is not None:
            # signing this session out closes the socket too (lms.core.realtime.disconnect_room)
            join_room(session_room(current_user.current_session.id))
        try:
            rooms = user_rooms(current_app, current_user)
        except Exception:  # the domains' rooms (chat activity) are a nicety: the page keeps its own pushes
            logger.exception("joining the rooms of user %s failed", current_user.id)
            db.session.rollback()
            rooms = []
        for room in rooms:
            join_room(room)
        # found by every process when the person must leave rooms at once (lms.core.realtime.leave_rooms)
        remember_connection(current_app, current_user.id, request.sid)
        self._users[request.sid] = current_user.id
        return None

    def on_disconnect(self, reason=None):
        user_id = self._users.pop(request.sid, None)
        if user_id is not None:
            forget_connection(current_app, user_id, request.sid)


def register(socketio) -> None:
    socketio.on_namespace(UserNamespace("/"))
