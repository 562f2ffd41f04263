"""Chat across processes: two app processes sharing the Redis message queue (as production runs several Socket.IO
processes), a teacher's page on one, students' pages on the other. Needs LMS_TEST_REDIS_URL."""
from __future__ import annotations

import hashlib
import os
import threading

import pytest
import requests
import socketio as socketio_client
from itsdangerous import URLSafeTimedSerializer

from lms.accounts import operations as account_ops
from lms.chat import operations as chat_ops
from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.config import TestConfig
from lms.extensions import db
from tests.fixtures.app import create_isolated_app
from tests.fixtures.live import server_process
from tests.fixtures.services import live_redis

NS = "/chat"
SECRET = "chat-shared-secret"
PREFIX = "lms-test-chat"


@pytest.fixture
def site(tmp_path):
    url = live_redis()
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {"LMS_REDIS_URL": url, "LMS_SECRET_KEY": SECRET, "LMS_SQLALCHEMY_DATABASE_URI": database,
           "LMS_STORAGE_ROOT": str(tmp_path / "storage"), "LMS_REDIS_PREFIX": PREFIX}

    class Config(TestConfig):
        SECRET_KEY = SECRET
        SQLALCHEMY_DATABASE_URI = database
        INSTANCE_PATH = str(tmp_path / "instance")
        STORAGE_ROOT = str(tmp_path / "storage")

    return env, Config


class ChatPage:
    """A real Socket.IO client on /chat with a signed-in session cookie, recording every event it hears."""

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

    def texts(self) -> list[str]:
        with self.arrived:
            return [d["message"]["text"] for e, d in self.events if e == "message"]


def _session(app, user) -> tuple[str, str]:
    """(cookie, CSRF token) of a signed-in session, as the browser holds them."""
    token = account_ops.start_session(user, user_agent="pytest", ip="127.0.0.1")
    db.session.commit()
    raw = hashlib.sha1(os.urandom(64)).hexdigest()
    serializer = app.session_interface.get_signing_serializer(app)
    signed = serializer.dumps({"_user_id": token, "_fresh": True, "csrf_token": raw})
    cookie = f"{app.config['SESSION_COOKIE_NAME']}={signed}"
    return cookie, URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)


def test_chat_works_across_processes(site):
    """A message from a student on process two reaches the teacher on process one; a removal made on process one
    disconnects the student's socket on process two at once (nothing more reaches it), through the Redis queue."""
    env, config = site
    with server_process(env) as first, server_process(env) as second:
        data_app = create_isolated_app(config)
        with data_app.app_context():
            teacher = account_ops.register_user("t@chat.example", "correct horse battery", "Teacher")
            student = account_ops.register_user("s@chat.example", "correct horse battery", "Student")
            other = account_ops.register_user("o@chat.example", "correct horse battery", "Other")
            circle = circle_ops.create_circle(teacher, "Physics")
            removed = circle_ops.add_member(circle, student, Role.student, display_name="Sam In Class")
            circle_ops.add_member(circle, other, Role.student, display_name="Olga")
            channel = chat_ops.ensure_main_channel(circle)
            db.session.commit()
            ids = {"circle_id": circle.id}
            channel_id, circle_id, membership_id = channel.id, circle.id, removed.id
            with data_app.test_request_context():
                teacher_cookie, teacher_csrf = _session(data_app, teacher)
                student_cookie, _csrf = _session(data_app, student)
                other_cookie, _csrf = _session(data_app, other)
        host = ChatPage(first, teacher_cookie)
        member = ChatPage(second, student_cookie)
        bystander = ChatPage(second, other_cookie)
        try:
            for page in (host, member, bystander):
                assert page.call("join", ids)["ok"] is True
            assert member.call("send", {"channel_id": channel_id, "body": "Hello from process two"})["ok"] is True
            message = host.wait_for("message")["message"]
            assert message["text"] == "Hello from process two" and message["author"]["name"] == "Sam In Class"

            answer = requests.post(f"{first}/c/{circle_id}/members/{membership_id}/remove",
                                   data={"csrf_token": teacher_csrf}, headers={"Cookie": teacher_cookie},
                                   allow_redirects=False, timeout=10)
            assert answer.status_code == 302
            member.wait_for("removed")
            member.wait_for("disconnect")  # the server on process two closed it, told through the queue
            assert host.call("send", {"channel_id": channel_id, "body": "after the removal"})["ok"] is True
            bystander.wait_for("message", lambda d: d["message"]["text"] == "after the removal")
            assert "after the removal" not in member.texts()
            again = ChatPage(second, student_cookie)
            assert again.call("join", ids) == {"ok": False, "error": "This chat was not found."}
            again.client.disconnect()
        finally:
            for page in (host, member, bystander):
                if page.client.connected:
                    page.client.disconnect()


class AnyPage:
    """A real Socket.IO client on the default namespace (any page of the site), recording what it hears."""

    def __init__(self, base: str, cookie: str):
        self.events: list[tuple[str, object]] = []
        self.arrived = threading.Condition()
        self.client = socketio_client.Client()
        self.client.on("*", self._record)
        self.client.connect(base, headers={"Cookie": cookie}, transports=["polling"], wait_timeout=10)

    def _record(self, event, data=None):
        with self.arrived:
            self.events.append((event, data))
            self.arrived.notify_all()

    def wait_for(self, event: str):
        with self.arrived:
            assert self.arrived.wait_for(lambda: any(e == event for e, _d in self.events), timeout=10), \
                f"no {event}: {self.events}"

    def heard(self, event: str) -> int:
        with self.arrived:
            return sum(1 for e, _d in self.events if e == event)


def test_a_removal_on_one_process_stops_the_activity_signal_on_another(site):
    """A student's page (default namespace) on process two; the teacher removes them on process one: does the
    page hear no more chat activity of the circle at once, while a classmate's page on process two still does?"""
    env, config = site
    with server_process(env) as first, server_process(env) as second:
        data_app = create_isolated_app(config)
        with data_app.app_context():
            teacher = account_ops.register_user("t2@chat.example", "correct horse battery", "Teacher")
            student = account_ops.register_user("s2@chat.example", "correct horse battery", "Student")
            other = account_ops.register_user("o2@chat.example", "correct horse battery", "Other")
            circle = circle_ops.create_circle(teacher, "Physics")
            removed = circle_ops.add_member(circle, student, Role.student, display_name="Sam In Class")
            circle_ops.add_member(circle, other, Role.student, display_name="Olga")
            channel = chat_ops.ensure_main_channel(circle)
            db.session.commit()
            channel_id, circle_id, membership_id = channel.id, circle.id, removed.id
            with data_app.test_request_context():
                teacher_cookie, teacher_csrf = _session(data_app, teacher)
                student_cookie, student_csrf = _session(data_app, student)
                other_cookie, _csrf = _session(data_app, other)
        member, classmate = AnyPage(second, student_cookie), AnyPage(second, other_cookie)
        host = ChatPage(first, teacher_cookie)
        try:
            assert host.call("join", {"circle_id": circle_id})["ok"] is True
            answer = requests.post(f"{first}/c/{circle_id}/members/{membership_id}/remove",
                                   data={"csrf_token": teacher_csrf}, headers={"Cookie": teacher_cookie},
                                   allow_redirects=False, timeout=10)
            assert answer.status_code == 302
            assert host.call("send", {"channel_id": channel_id, "body": "after the removal"})["ok"] is True
            classmate.wait_for("chat_activity")
            # signing the student out (on process one) sends their page `session_ended` after the signal: what
            # reached it before that is all it heard
            requests.post(f"{first}/logout", data={"csrf_token": student_csrf}, headers={"Cookie": student_cookie},
                          allow_redirects=False, timeout=10)
            member.wait_for("session_ended")
            assert member.heard("chat_activity") == 0
        finally:
            for page in (member, classmate, host):
                if page.client.connected:
                    page.client.disconnect()
