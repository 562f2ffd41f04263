"""Janus signed tokens (Janus 1.x `token_auth_secret`): what a browser presents to Janus, and nothing else.

Format (src/auth.c): ``<expiry unix s>,<realm>,<descriptor>,...:<base64 HMAC-SHA1(secret, data)>``.
Janus itself checks, on every request of the session, a token of realm ``janus``: the signature (a token
not made with this installation's secret: refused), the expiry (refused after it), and when a handle
attaches to a plugin, that the plugin's package name is among the descriptors. The VideoRoom, for a room
created with ``signed_tokens``, checks at every join a second token, of realm ``janus.plugin.videoroom``
(janus_plugin_auth_signature_contains), with ``room=<id>`` among its descriptors: a token of another room,
expired or forged, is refused (433 "Unauthorized (wrong token)").

Publishing is a second check of the VideoRoom: a room with an ``allowed`` list lets someone join as a
publisher only with a token string on the list, and the app puts there exactly the publisher tokens it
issues (lms.live.stage.operations). A subscriber token is never on it: Janus refuses it for publishing
(433 "Unauthorized (not in the allowed list)"). The other descriptors (`user=`, `role=`, `n=`) are for
people reading logs and make each token string unique.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

REALM = "janus"
PLUGIN = "janus.plugin.videoroom"
SUBSCRIBER, PUBLISHER = "subscriber", "publisher"


def sign(secret: str, expires: int, descriptors: list[str], realm: str = REALM) -> str:
    data = ",".join([str(int(expires)), realm, *descriptors])
    mac = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(mac).decode()}"


def make_tokens(secret: str, room: int, user_id: int, role: str, seconds: int,
                now: float | None = None) -> tuple[str, str, int]:
    """The two tokens of one person for `room` and `role`, valid `seconds` from now: (session token, room
    token, expiry as unix seconds).

    - the session token (realm ``janus``, the VideoRoom's package as descriptor) goes with every request of
      the browser's Janus session (janus.js `token`): Janus checks signature and expiry each time, and the
      plugin when a handle attaches;
    - the room token (realm ``janus.plugin.videoroom``, descriptor ``room=<id>``) goes in the VideoRoom
      ``join`` body as ``token``: the room (signed_tokens) checks it at every join, and a publisher join
      also looks for it on the room's allowed list.
    """
    if role not in (SUBSCRIBER, PUBLISHER):
        raise ValueError(role)
    expires = int((now if now is not None else time.time()) + seconds)
    tail = [f"user={int(user_id)}", f"role={role}", f"n={secrets.token_hex(6)}"]
    session = sign(secret, expires, [PLUGIN, *tail], realm=REALM)
    room_token = sign(secret, expires, [f"room={int(room)}", *tail], realm=PLUGIN)
    return session, room_token, expires


def describe(token: str) -> dict:
    """The descriptors of a token (unchecked: for logs and tests)."""
    data = token.split(":", 1)[0].split(",")
    found = {"expires": int(data[0]) if data and data[0].isdigit() else None}
    for item in data[2:]:
        key, sep, value = item.partition("=")
        if sep:
            found[key] = value
    return found
