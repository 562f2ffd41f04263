"""The default Socket.IO namespace: signed-in users only, each in a room of their own."""
from __future__ import annotations

from flask_login import current_user
from flask_socketio import Namespace, join_room

from lms.core.realtime import session_room, user_room


class UserNamespace(Namespace):
    """Every open page of a signed-in user joins `user:<id>`, where their pushes arrive
    (upload and processing progress, notifications). Anonymous connections are refused."""

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            return False
        join_room(user_room(current_user.id))
        if getattr(current_user, "current_session", None) is not None:
            # signing this session out closes the socket too (lms.core.realtime.disconnect_room)
            join_room(session_room(current_user.current_session.id))
        return None


def register(socketio) -> None:
    socketio.on_namespace(UserNamespace("/"))
