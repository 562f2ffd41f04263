"""The room across processes: two app processes sharing the Redis message queue (as production runs several
Socket.IO processes), a teacher's page on one and a student's on the other. Needs LMS_TEST_REDIS_URL."""
from __future__ import annotations

import threading

import pytest
import socketio as socketio_client

from lms.accounts import operations as account_ops
from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.config import TestConfig
from lms.extensions import db
from tests.fixtures.app import create_isolated_app
from tests.fixtures.live import server_process
from tests.fixtures.services import live_redis
from tests.live.room_support import NS, make_lesson

SECRET = "live-room-shared-secret"
PREFIX = "lms-test-live-room"


@pytest.fixture
def site(tmp_path):
    url = live_redis()
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {"LMS_REDIS_URL": url, "LMS_SECRET_KEY": SECRET, "LMS_SQLALCHEMY_DATABASE_URI": database,
           "LMS_STORAGE_ROOT": str(tmp_path / "storage"), "LMS_REDIS_PREFIX": PREFIX,
           # each process checks its connections for removals made elsewhere every half second
           "LMS_CONFIG_JSON": '{"LIVE_SWEEP_SECONDS": 0.5}'}

    class Config(TestConfig):
        SECRET_KEY = SECRET
        SQLALCHEMY_DATABASE_URI = database
        INSTANCE_PATH = str(tmp_path / "instance")
        STORAGE_ROOT = str(tmp_path / "storage")

    return env, Config


class LivePage:
    """A real Socket.IO client on /live with a signed-in session cookie, recording every event it hears."""

    def __init__(self, base: str, cookie: str):
        self.events: list[tuple[str, object]] = []
        self.arrived = threading.Condition()
        self.client = socketio_client.Client()
        self.client.on("*", self._record, namespace=NS)
        self.client.on("disconnect", lambda *reason: self._record("disconnect", {}), namespace=NS)
        self.client.connect(base, headers={"Cookie": cookie}, namespaces=[NS], transports=["polling"], wait_timeout=10)

    def _record(self, event, data=None):
        with self.arrived:
            self.events.append((event, data))
            self.arrived.notify_all()

    def call(self, event: str, data: dict | None = None):
        return self.client.call(event, data or {}, namespace=NS, timeout=10)

    def wait_for(self, event: str, predicate=lambda d: True):
        def found():
            return next((d for e, d in self.events if e == event and predicate(d)), None)

        with self.arrived:
            assert self.arrived.wait_for(lambda: found() is not None, timeout=10), f"no {event}: {self.events}"
            return found()

    def got(self, event: str) -> list:
        with self.arrived:
            return [d for e, d in self.events if e == event]


def _cookie(app, user) -> str:
    token = account_ops.start_session(user, user_agent="pytest", ip="127.0.0.1")
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    return f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps({'_user_id': token, '_fresh': True})}"


def test_the_room_works_across_processes(site):
    """Chat, hands, viewer counts and a removal between a teacher on one process and a student on another,
    through the Redis message queue."""
    env, config = site
    with server_process(env) as first, server_process(env) as second:
        data_app = create_isolated_app(config)
        with data_app.app_context():
            teacher = account_ops.register_user("t@room.example", "correct horse battery", "Teacher")
            student = account_ops.register_user("s@room.example", "correct horse battery", "Student")
            circle = circle_ops.create_circle(teacher, "Physics")
            circle_ops.add_member(circle, student, Role.student, display_name="Sam In Class")
            db.session.commit()
            lesson = make_lesson(circle, teacher)
            ids = {"lesson_id": lesson.id, "circle_id": circle.id}
            student_id = student.id
            with data_app.test_request_context():
                teacher_cookie, student_cookie = _cookie(data_app, teacher), _cookie(data_app, student)
        host = LivePage(first, teacher_cookie)
        member = LivePage(second, student_cookie)
        try:
            assert host.call("join", ids)["ok"] is True
            assert member.call("join", ids)["ok"] is True
            host.wait_for("viewers", lambda d: d["count"] == 1)  # the student; hosts are not counted

            assert member.call("chat", {"body": "Hello from process two"})["ok"] is True
            message = host.wait_for("chat_message")["message"]
            assert message["body"] == "Hello from process two" and message["author"]["name"] == "Sam In Class"

            assert member.call("raise_hand") == {"ok": True}
            assert host.wait_for("hands", lambda d: d["queue"])["queue"][0]["user"]["id"] == student_id
            assert host.call("lower_hand", {"user_id": student_id}) == {"ok": True}
            member.wait_for("hand", lambda d: d["raised"] is False)

            assert host.call("remove", {"user_id": student_id}) == {"ok": True}
            member.wait_for("removed")
            # the student's connection is on the other process, which heard `removed` go by: its sweep drops
            # the connection even though the page sends nothing
            member.wait_for("disconnect")
            host.wait_for("viewers", lambda d: d["count"] == 0)
            again = LivePage(second, student_cookie)
            assert again.call("join", ids) == {"ok": False, "error": "You were removed from this lesson.", "removed": True}
            assert again.call("chat", {"body": "still here?"}) == {"ok": False, "error": "Join the lesson first."}
            assert [m["message"]["body"] for m in host.got("chat_message")] == ["Hello from process two"]
            again.client.disconnect()
        finally:
            host.client.disconnect()
            if member.client.connected:
                member.client.disconnect()
