"""Pushing events to browsers: to one user's sockets or to a room, after the request commits."""
from __future__ import annotations

from lms.extensions import socketio
from lms.jobs import after_commit


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def session_room(session_id: int) -> str:
    """The room of every socket opened under one sign-in (accounts.UserSession)."""
    return f"session:{session_id}"


def disconnect_room(room: str, namespace: str = "/") -> None:
    """Once the transaction commits, close every socket in `room`: this process's at once (a client
    that reconnects is checked again and refused), and any other process's pages are told with a
    `session_ended` event through the message queue (static/js/core/socket.js then reloads the page)."""

    def _close():
        server = socketio.server
        if server is None:
            return
        sids = [sid for sid, _eio_sid in server.manager.get_participants(namespace, room)]
        socketio.emit("session_ended", {}, to=room, namespace=namespace)
        for sid in sids:
            server.disconnect(sid, namespace=namespace)

    after_commit(_close)


def emit_to_user(user_id: int, event: str, data: dict, namespace: str = "/") -> None:
    """Send `event` to every open page of one user, once the transaction commits."""
    after_commit(lambda: socketio.emit(event, data, to=user_room(user_id), namespace=namespace))


def emit_to_room(room: str, event: str, data: dict, namespace: str = "/") -> None:
    """Send `event` to everyone in a Socket.IO room, once the transaction commits."""
    after_commit(lambda: socketio.emit(event, data, to=room, namespace=namespace))
