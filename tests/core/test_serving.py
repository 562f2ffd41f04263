"""The embedded server closes every response, even one whose client hung up while the server was
still reading the request (Werkzeug 3 skips ``close()`` when that read fails)."""
from __future__ import annotations

import socket
import struct
import threading
import time

from lms.core.serving import make_embedded_server


class Body:
    """A response that records whether the server closed it (as a file response must be)."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self):
        yield b"done"

    def close(self) -> None:
        self.closed.set()


def test_a_response_is_closed_when_the_client_resets_while_its_request_body_is_drained():
    bodies: list[Body] = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        bodies.append(Body())
        return bodies[-1]

    server = make_embedded_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for attempt in range(5):
            client = socket.create_connection(("127.0.0.1", server.server_port))
            # A body the app never reads: after the response, the server drains what is still coming...
            client.sendall(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\n\r\n"
                           + b"y" * 100_000)
            assert client.recv(1000).startswith(b"HTTP/1.1 200")
            client.sendall(b"y" * 100_000)
            # ...and the client hangs up with a reset, as a browser does when the person leaves the page.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            deadline = time.monotonic() + 10
            while not bodies[attempt].closed.is_set() and time.monotonic() < deadline:
                bodies[attempt].closed.wait(0.05)
            assert bodies[attempt].closed.is_set(), f"response {attempt + 1} was never closed"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
