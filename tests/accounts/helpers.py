"""Small helpers shared by the accounts and circles tests."""
from __future__ import annotations

import struct
import zlib


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG image (RGB, all red)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def session_user_id(client) -> int | None:
    """The id of the user whose live server-side session the client's cookie names, or None."""
    from lms.accounts.queries import load_session_user

    with client.session_transaction() as session:
        token = session.get("_user_id")
    user = load_session_user(token) if token else None
    return user.id if user else None


def confirmation_path(mailbox, email: str) -> str:
    """The path of the newest "finish creating your account" link mailed to `email`."""
    import re

    for message in reversed(mailbox.to(email)):
        found = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", message.get_payload(decode=True).decode())
        if found:
            return found.group(1)
    raise AssertionError(f"no confirmation link was mailed to {email}")


def register(client, mailbox, *, name: str = "Ann Lee", email: str = "ann@example.org",
             password: str = "purple elephants dance", next: str | None = None, **extra):
    """Register through the real forms: the register form, then the mailed link with the password.
    Returns the response of the last step (a redirect to `next` or the home page)."""
    data = {"name": name, "email": email, "password": password, "confirm": password, **extra}
    if next is not None:
        data["next"] = next
    response = client.post("/register", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/sent"), \
        response.status_code
    return client.post(confirmation_path(mailbox, email.strip().lower()), data={"password": password})
