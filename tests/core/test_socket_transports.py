"""How browsers reach the Socket.IO process: long-polling and WebSocket by default, WebSocket only
when the proxy has no sticky sessions (SOCKETIO_TRANSPORTS)."""
from __future__ import annotations

import pytest

from lms.config import TestConfig
from tests.fixtures.app import create_isolated_app

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def _app(tmp_path, transports: str):
    class Config(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'lms.db'}"
        SOCKETIO_TRANSPORTS = transports

    return create_isolated_app(Config)


def test_by_default_long_polling_opens_and_pages_say_both(app, client):
    """Does a long-polling handshake open by default (proxies that drop WebSockets still get live
    updates), and do pages tell their script both transports?"""
    assert client.get(HANDSHAKE).status_code == 200
    assert '<meta name="socket-transports" content="polling,websocket">' in client.get("/login", follow_redirects=True).get_data(as_text=True)


def test_websocket_only_refuses_long_polling_and_tells_the_pages(tmp_path):
    """With SOCKETIO_TRANSPORTS=websocket (no sticky sessions at the proxy), is a long-polling
    handshake refused by the server and are pages told to connect by WebSocket alone?"""
    app = _app(tmp_path, "websocket")
    from lms.extensions import db

    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert client.get(HANDSHAKE).status_code == 400
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    assert '<meta name="socket-transports" content="websocket">' in page


def test_an_unknown_transport_stops_the_start(tmp_path):
    """Is a misspelt SOCKETIO_TRANSPORTS refused at start-up, naming the choices, rather than in browsers?"""
    with pytest.raises(ValueError, match="polling,websocket"):
        _app(tmp_path, "websockets")
