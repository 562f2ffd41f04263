"""Helpers for the room tests: a live lesson in a class, Socket.IO test clients on /live that act as
separate pages (each event in a context of its own, with its own database session, as in production)."""
from __future__ import annotations

import contextvars
import time

from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.live.models import LessonState, LiveLesson

NS = "/live"


def make_lesson(circle, by, *, state=LessonState.live, **kwargs) -> LiveLesson:
    now = utcnow()
    lesson = LiveLesson(circle_id=circle.id, title=kwargs.pop("title", "Optics"), starts_at=now, state=state,
                        went_live_at=now if state != LessonState.scheduled else None, created_by_id=by.id, **kwargs)
    db.session.add(lesson)
    db.session.commit()
    return lesson


class Page:
    """One open lesson page of one person: a Socket.IO test client on /live, and what it received."""

    def __init__(self, app, client):
        self.sock = contextvars.Context().run(socketio.test_client, app, namespace=NS, flask_test_client=client)
        self.events: list[tuple[str, dict]] = []

    @property
    def connected(self) -> bool:
        return self.sock.is_connected(NS)

    def emit(self, event: str, data: dict | None = None):
        ack = contextvars.Context().run(self.sock.emit, event, data if data is not None else {}, namespace=NS,
                                        callback=True)
        db.session.expire_all()  # the test's own objects reload what the event changed
        return ack

    def join(self, lesson) -> dict:
        return self.emit("join", {"lesson_id": lesson.id, "circle_id": lesson.circle_id})

    def take(self) -> list[tuple[str, dict]]:
        """Everything received so far (kept, in order)."""
        queue = self.sock.queue  # appended to by pushes from background tasks: popped one by one
        while queue:
            packet = queue.pop(0)
            if packet["namespace"] == NS:
                self.events.append((packet["name"], packet["args"][0] if packet["args"] else None))
        return self.events

    def got(self, name: str) -> list[dict]:
        return [data for event, data in self.take() if event == name]

    def wait_for(self, name: str, predicate=lambda data: True, timeout: float = 15.0) -> dict:
        """The first `name` event matching `predicate`, waiting for pushes sent from a background task."""
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
            db.session.expire_all()
