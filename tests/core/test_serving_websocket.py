"""A websocket the client closed (code 1001, or a reset) is a normal end for the embedded server: no
"Error on request" traceback and no 500 written to the dead socket, a debug line instead."""
from __future__ import annotations

import logging
import socket
import threading

import simple_websocket

from lms.core.serving import make_embedded_server

UPGRADE = (b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           b"Connection: close, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def _serve(app):
    server = make_embedded_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _request(server, raw: bytes) -> bytes:
    client = socket.create_connection(("127.0.0.1", server.server_port), timeout=10)
    try:
        client.sendall(raw)
        client.shutdown(socket.SHUT_WR)  # nothing more: the server's next read ends the connection
        chunks = []
        while True:
            chunk = client.recv(4096)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        client.close()


def test_a_websocket_closed_by_the_client_is_logged_at_debug_only(caplog):
    done = threading.Event()
    errors = iter([OSError(), simple_websocket.ConnectionClosed(1001)])

    def app(environ, start_response):
        done.set()
        raise next(errors)  # as Engine.IO's simple-websocket driver does when the page went away

    server = _serve(app)
    try:
        # the module's own logger too: an app built by an earlier test may have set "lms" above DEBUG
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="lms.core.serving"):
            for _ in range(2):
                done.clear()
                answer = _request(server, UPGRADE)
                assert done.is_set() and b"500" not in answer
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert [r for r in caplog.records if r.name == "lms.core.serving" and "closed by the client" in r.getMessage()]
    finally:
        server.shutdown()
        server.server_close()


def test_other_errors_still_answer_500(caplog):
    def app(environ, start_response):
        raise OSError("disk full")

    server = _serve(app)
    try:
        with caplog.at_level(logging.DEBUG):
            answer = _request(server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert b" 500 " in answer.split(b"\r\n", 1)[0]
    finally:
        server.shutdown()
        server.server_close()
