"""An upload request's body, read as it arrives from whichever WSGI server runs the app.

A chunk can be gigabytes sent at 30 KB/s, so two things matter that Werkzeug's `request.stream`
does not give: every byte the socket received must reach the disk even when the client vanishes
mid-chunk (a read that waits for a full step loses the start of that step), and the bytes should
be copied as few times as possible (gunicorn's body reader copies each byte several times in
Python, which caps an upload at a few hundred MB/s on a machine whose disk takes a GB/s).

- gunicorn (the production upload server, deploy/gunicorn-uploads.conf.py): its request body of
  known length is read straight from the connection's socket, after the bytes gunicorn had
  already buffered; gunicorn is then told how much of the body is left, so it keeps the
  connection for the next request, or closes it when the body was cut. Used only when the objects
  are exactly the gunicorn classes this was written for; anything else takes the general path.
- a stream with `read1` (the development server's socket file): what has arrived, at once.
- anything else: the server's stream, bounded by Content-Length.
"""
from __future__ import annotations

from typing import Protocol


class Body(Protocol):
    def read(self, size: int) -> bytes: ...


def open_body(environ: dict, count: int, fallback) -> Body:
    """The request body of `count` bytes (its Content-Length). `fallback` is Werkzeug's stream,
    used for a body without a length the server vouches for (chunked transfer)."""
    raw = environ.get("wsgi.input")
    if raw is None or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return fallback
    direct = _GunicornSocketBody.attach(environ, raw, count)
    if direct is not None:
        return direct
    return _StreamBody(raw, count)


class _StreamBody:
    def __init__(self, raw, count: int):
        self.read_step = raw.read1 if hasattr(raw, "read1") else raw.read
        self.remaining = count

    def read(self, size: int) -> bytes:
        size = min(size, self.remaining)
        if size <= 0:
            return b""
        data = self.read_step(size)
        self.remaining -= len(data)
        return data


class _GunicornSocketBody:
    """gunicorn's body of known length, read from its socket (see the module's docstring)."""

    def __init__(self, body, reader, sock, buffered: bytes):
        self.body, self.reader, self.sock = body, reader, sock
        self.buffered = buffered
        self.scratch = bytearray()  # reused by every read: a socket read allocates all it may receive
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

    def read(self, size: int) -> bytes:
        size = min(size, self.remaining)
        if size <= 0:
            return b""
        if self.buffered:
            data, self.buffered = self.buffered[:size], self.buffered[size:]
        else:
            try:
                if len(self.scratch) < size:
                    self.scratch = bytearray(size)
                received = self.sock.recv_into(self.scratch, size)
                data = bytes(memoryview(self.scratch)[:received])
            except OSError:
                self._cut()
                raise
            if not data:
                self._cut()
                return b""
        self.remaining -= len(data)
        self.reader.length = self.remaining  # what gunicorn drains before the next request
        return data

    def _cut(self) -> None:
        # The client went away mid-body: the connection cannot carry another request.
        self.body.failed = True
