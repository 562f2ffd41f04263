"""Helpers of the chat tests: a class with every role, Socket.IO test clients on /chat acting as separate pages
(each event in a context of its own, with its own database session, as in production)."""
from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db, socketio

NS = "/chat"
ROLES = ("owner", "teacher", "assistant", "student")


@dataclass
class World:
    circle: object
    users: dict
    main: object

    def user(self, name):
        return self.users[name]


def make_world(make) -> World:
    """A teaching circle (chat on by default): an owner, a teacher, an assistant, two students, a removed
    student and a stranger (not in the circle); its main channel made."""
    owner = make.user("Olivia Owner")
    circle = make.circle(owner, "Physics 1")
    users = {"owner": owner}
    for role, name in (("teacher", Role.teacher), ("assistant", Role.assistant)):
        users[role] = make.member(circle, make.user(role.title()), name).user
    users["student"] = make.member(circle, make.user("Sam"), display_name="Sam in class").user
    users["student2"] = make.member(circle, make.user("Tess"), display_name="Tess").user
    removed = make.member(circle, make.user("Rex"), display_name="Rex")
    circle_ops.remove_member(removed, owner)
    users["removed"] = removed.user
    users["stranger"] = make.user("Stranger")
    main = ops.ensure_main_channel(circle)
    db.session.commit()
    return World(circle, users, main)


def send(world: World, who: str, text: str, channel=None, **kwargs):
    channel = channel or world.main
    reader = q.reader_of(world.circle, world.user(who))
    message = ops.send_message(channel, reader, body=text, **kwargs)
    db.session.commit()
    return message


class Page:
    """One open chat page of one person: a Socket.IO test client on /chat, and what it received."""

    def __init__(self, app, client):
        self.sock = contextvars.Context().run(socketio.test_client, app, namespace=NS, flask_test_client=client)
        self.events: list[tuple[str, dict]] = []

    @property
    def connected(self) -> bool:
        return self.sock.is_connected(NS)

    def emit(self, event: str, data: dict | None = None):
        ack = contextvars.Context().run(self.sock.emit, event, data if data is not None else {}, namespace=NS,
                                        callback=True)
        db.session.expire_all()
        return ack

    def take(self) -> list[tuple[str, dict]]:
        queue = self.sock.queue
        while queue:
            packet = queue.pop(0)
            if packet["namespace"] == NS and "name" in packet:
                args = packet.get("args")
                self.events.append((packet["name"], args[0] if isinstance(args, list) and args else args))
        return self.events

    def got(self, name: str) -> list[dict]:
        return [data for event, data in self.take() if event == name]

    def wait_for(self, name: str, predicate=lambda data: True, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for data in self.got(name):
                if predicate(data):
                    return data
            if time.monotonic() > deadline:
                raise AssertionError(f"no {name} event matching; received {self.events!r}")
            socketio.sleep(0.02)

    def clear(self) -> None:
        self.take()
        self.events = []

    def close(self) -> None:
        if self.connected:
            contextvars.Context().run(self.sock.disconnect, namespace=NS)
