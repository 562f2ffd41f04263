"""An upload request's body, read as it arrives from whichever WSGI server runs the app.

A chunk can be gigabytes sent at 30 KB/s, so two things matter that Werkzeug's `request.stream`
does not give: every byte the socket received must reach the disk even when the client vanishes
mid-chunk (a read that waits for a full step loses the start of that step), and the bytes should
be copied as few times as possible (gunicorn's body reader copies each byte several times in
Python, which caps an upload at a few hundred MB/s on a machine whose disk takes a GB/s). So a
body is read with `read_into`: what has arrived goes straight into the caller's buffer, which
lms/uploads/parts.py reuses for the whole request and writes to the file from (no allocation and
no copy per read).

- gunicorn (the production upload server, deploy/gunicorn-uploads.conf.py): its request body of
  known length is received straight from the connection's socket, after the bytes gunicorn had
  already buffered; gunicorn is then told how much of the body is left, so it keeps the
  connection for the next request, or closes it when the body was cut. Used only when the objects
  are exactly the gunicorn classes this was written for; anything else takes the general path.
- a stream with `readinto1` / `read1` (the development server's socket file): what has arrived.
- anything else: the server's stream, bounded by Content-Length.
"""
from __future__ import annotations

from typing import Protocol


class Body(Protocol):
    def read_into(self, buffer: memoryview) -> int:
        """Put what has arrived (at most len(buffer) bytes) at the start of `buffer`; return how many
        (0: the body ended or was cut)."""


def open_body(environ: dict, count: int, fallback):
    """The request body of `count` bytes (its Content-Length), a `Body`; or `fallback`, Werkzeug's
    stream (read with `read`), for a body without a length the server vouches for (chunked transfer)."""
    raw = environ.get("wsgi.input")
    if raw is None or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return fallback
    direct = _GunicornSocketBody.attach(environ, raw, count)
    if direct is not None:
        return direct
    return _StreamBody(raw, count)


class _StreamBody:
    def __init__(self, raw, count: int):
        self.readinto_step = getattr(raw, "readinto1", None)
        self.read_step = raw.read1 if hasattr(raw, "read1") else raw.read
        self.remaining = count

    def read_into(self, buffer: memoryview) -> int:
        size = min(len(buffer), self.remaining)
        if size <= 0:
            return 0
        if self.readinto_step is not None:
            received = self.readinto_step(buffer[:size]) or 0
        else:
            data = self.read_step(size)
            received = len(data)
            buffer[:received] = data
        self.remaining -= received
        return received


class _GunicornSocketBody:
    """gunicorn's body of known length, received from its socket (see the module's docstring)."""

    def __init__(self, body, reader, sock, buffered: bytes):
        self.body, self.reader, self.sock = body, reader, sock
        self.buffered = buffered
        self.remaining = reader.length  # bytes of the body not yet read, buffered ones included

    @classmethod
    def attach(cls, environ: dict, raw, count: int) -> "_GunicornSocketBody | None":
        try:
            from gunicorn.http.body import Body as GBody, LengthReader
            from gunicorn.http.unreader import SocketUnreader
        except ImportError:
            return None
        sock = environ.get("gunicorn.socket")
        reader = getattr(raw, "reader", None)
        if (sock is None or type(raw) is not GBody or type(reader) is not LengthReader
                or type(reader.unreader) is not SocketUnreader or reader.length != count
                or raw.buf.tell() != 0 or not hasattr(reader.unreader, "take_buffered")):
            return None
        held = reader.unreader.take_buffered()
        if len(held) > count:  # the start of a pipelined next request: give it back
            reader.unreader.unread(held[count:])
            held = held[:count]
        return cls(raw, reader, sock, held)

    def read_into(self, buffer: memoryview) -> int:
        size = min(len(buffer), self.remaining)
        if size <= 0:
            return 0
        if self.buffered:
            received = min(size, len(self.buffered))
            buffer[:received] = self.buffered[:received]
            self.buffered = self.buffered[received:]
        else:
            try:
                received = self.sock.recv_into(buffer, size)
            except OSError:
                self._cut()
                raise
            if not received:
                self._cut()
                return 0
        self.remaining -= received
        self.reader.length = self.remaining  # what gunicorn drains before the next request
        return received

    def _cut(self) -> None:
        # The client went away mid-body: the connection cannot carry another request.
        self.body.failed = True
