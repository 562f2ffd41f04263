"""Kinds registered for the notification tests, and a Socket.IO client signed in as someone."""
from __future__ import annotations

import contextvars

import pytest
from flask_babel import lazy_gettext as _l

from lms.extensions import socketio
from lms.notifications import Channel, Kind, register_kind

#: a kind mailed at once by default
PING = register_kind(Kind("test_ping", _l("Pings"), _l("%(actor)s pinged you about “%(title)s”")))
#: a kind collected in the digest by default
DIGESTED = register_kind(Kind("test_digested", _l("Digested things"), _l("Something new: “%(title)s”"),
                              default=Channel.digest))


@pytest.fixture
def socket_as(app, client_as):
    """A Socket.IO test client on namespace "/" signed in as `user` (their room user:<id>)."""
    opened = []

    def _open(user):
        sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=client_as(user))
        opened.append(sock)
        return sock

    yield _open
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def received(sock, event: str = "notification") -> list[dict]:
    return [e["args"][0] for e in sock.get_received() if e["name"] == event]


def mail_text(message) -> str:
    """The plain-text part of a mail (single part or multipart/alternative)."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def mail_html(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no HTML part")


def subject_of(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))
