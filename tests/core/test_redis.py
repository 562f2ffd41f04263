"""With Redis configured, web processes share rate limits and any process can push to browsers."""
from __future__ import annotations

import re
import threading

import pytest
import requests
import socketio as socketio_client
from flask_socketio import SocketIO

from tests.fixtures.live import server_process
from tests.fixtures.services import live_redis


@pytest.fixture
def redis_env(tmp_path):
    url = live_redis()
    return {
        "LMS_REDIS_URL": url,
        "LMS_SECRET_KEY": "shared-secret-for-both-processes",
        "LMS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.db'}",
        "LMS_STORAGE_ROOT": str(tmp_path / "storage"),
        "LMS_RATELIMIT_ENABLED": "true",
        "LMS_REDIS_PREFIX": "lms-test-site",
    }


def _token(session: requests.Session, url: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session.get(url).text).group(1)


def _set_up_admin(base: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{base}/setup", data={
        "csrf_token": _token(session, f"{base}/setup"), "name": "Admin", "email": "admin@example.org",
        "password": "correct horse battery staple", "confirm": "correct horse battery staple"})
    assert response.ok and "/setup" not in response.url
    return session


def test_rate_limit_is_shared_by_web_processes(redis_env):
    """Do two web processes count failed sign-ins in the same Redis, so the limit holds across them?"""
    with server_process(redis_env) as first, server_process(redis_env) as second:
        _set_up_admin(first)
        statuses = []
        for attempt in range(12):
            base = (first, second)[attempt % 2]
            session = requests.Session()
            form = {"csrf_token": _token(session, f"{base}/login"), "email": "admin@example.org",
                    "password": f"wrong guess {attempt}"}
            statuses.append(session.post(f"{base}/login", data=form).status_code)
    # 10 failures for one account per 15 minutes, counted over both processes.
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_worker_emit_reaches_browser_through_message_queue(redis_env):
    """Does an event a worker process emits through Redis reach the signed-in user's open page?"""
    with server_process(redis_env) as base:
        session = _set_up_admin(base)
        received = threading.Event()
        payloads = []
        client = socketio_client.Client()

        @client.on("media_state")
        def _on_state(data):
            payloads.append(data)
            received.set()

        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        client.connect(base, headers={"Cookie": cookie}, transports=["polling"], wait_timeout=10)
        try:
            # a worker's write-only Socket.IO, on the channel of this site (lms.extensions.socketio_channel)
            worker = SocketIO(message_queue=redis_env["LMS_REDIS_URL"], channel="lms-test-site-socketio")
            worker.emit("media_state", {"id": 7, "state": "ready"}, to="user:1", namespace="/")
            assert received.wait(10), "the event never arrived"
        finally:
            client.disconnect()
        assert payloads == [{"id": 7, "state": "ready"}]


def test_anonymous_socket_is_refused_by_a_real_server(redis_env):
    """Does a real server refuse a Socket.IO connection without a signed-in session?"""
    with server_process(redis_env) as base:
        _set_up_admin(base)
        client = socketio_client.Client()
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            client.connect(base, transports=["polling"], wait_timeout=5)
