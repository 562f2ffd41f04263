"""Pushing events to browsers: to one user's sockets or to a room, after the request commits."""
from __future__ import annotations

from lms.extensions import socketio
from lms.jobs import after_commit


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def emit_to_user(user_id: int, event: str, data: dict, namespace: str = "/") -> None:
    """Send `event` to every open page of one user, once the transaction commits."""
    after_commit(lambda: socketio.emit(event, data, to=user_room(user_id), namespace=namespace))


def emit_to_room(room: str, event: str, data: dict, namespace: str = "/") -> None:
    """Send `event` to everyone in a Socket.IO room, once the transaction commits."""
    after_commit(lambda: socketio.emit(event, data, to=room, namespace=namespace))
