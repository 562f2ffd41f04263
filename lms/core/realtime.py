"""Pushing events to browsers: to one user's sockets or to a room, after the request commits."""
from __future__ import annotations

import logging

from lms.extensions import socketio
from lms.jobs import after_commit

logger = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def session_room(session_id: int) -> str:
    """The room of every socket opened under one sign-in (accounts.UserSession)."""
    return f"session:{session_id}"


def disconnect_room(room: str, namespace: str = "/") -> None:
    """Once the transaction commits, close every socket in `room`: this process's at once (a client
    that reconnects is checked again and refused), and any other process's pages are told with a
    `session_ended` event through the message queue (static/js/core/socket.js then reloads the page)."""

    def _close():
        server = socketio.server
        if server is None:
            return
        sids = [sid for sid, _eio_sid in server.manager.get_participants(namespace, room)]
        socketio.emit("session_ended", {}, to=room, namespace=namespace)
        for sid in sids:
            server.disconnect(sid, namespace=namespace)

    after_commit(_close)


def emit_to_user(user_id: int, event: str, data: dict, namespace: str = "/") -> None:
    """Send `event` to every open page of one user, once the transaction commits."""
    after_commit(lambda: socketio.emit(event, data, to=user_room(user_id), namespace=namespace))


def emit_to_room(room: str, event: str, data: dict, namespace: str = "/") -> None:
    """Send `event` to everyone in a Socket.IO room, once the transaction commits."""
    after_commit(lambda: socketio.emit(event, data, to=room, namespace=namespace))


def socket_transports(app) -> list[str]:
    """The transports the Socket.IO server allows (SOCKETIO_TRANSPORTS, "polling,websocket" or
    "websocket"); the pages' client is told the same through <meta name="socket-transports">.
    Raises ValueError for a name Engine.IO does not know, at start-up rather than in a browser."""
    names = [name.strip() for name in str(app.config["SOCKETIO_TRANSPORTS"]).split(",") if name.strip()]
    if not names or any(name not in ("polling", "websocket") for name in names):
        raise ValueError(f"SOCKETIO_TRANSPORTS must be 'polling,websocket' or 'websocket', not "
                         f"{app.config['SOCKETIO_TRANSPORTS']!r}")
    return names


def origin_check(app):
    """The Socket.IO server's origin rule (python-socketio's `cors_allowed_origins`, as a callable).

    A browser's connection is accepted from the site's own origin, the scheme and Host of the request
    as the proxy passed them (X-Forwarded-Proto/-Host too, as python-engineio's own default), and from
    any origin listed in SOCKETIO_CORS_ORIGINS. A refusal answers 400 and is logged at WARNING every
    time with the origin and the allowed list: a proxy that drops the port from Host (nginx's `$host`
    instead of `$http_host`) refuses every live page, and the log says why.
    """
    extra = app.config.get("SOCKETIO_CORS_ORIGINS") or []
    if isinstance(extra, str):
        extra = [extra]
    extra = [origin.rstrip("/") for origin in extra]

    def allowed(origin, environ) -> bool:
        if not origin:
            return False  # no Origin header: not a browser's cross-origin request, nothing to check
        allowed_list = _own_origins(environ) + extra
        if "*" in extra or origin in allowed_list:
            return True
        logger.warning(
            "Socket.IO refused a connection from origin %s: allowed are %s (the proxy must pass the "
            "Host header with its port, nginx `proxy_set_header Host $http_host;`, and X-Forwarded-Proto; "
            "or list the origin in SOCKETIO_CORS_ORIGINS)",
            origin, ", ".join(allowed_list) or "(none: the request has no Host)",
        )
        return False

    return allowed


def _own_origins(environ) -> list[str]:
    """The origin of the request itself, as python-engineio computes it when no list is configured."""
    origins = []
    host = environ.get("HTTP_HOST")
    if host and "wsgi.url_scheme" in environ:
        origins.append(f"{environ['wsgi.url_scheme']}://{host}")
        if "HTTP_X_FORWARDED_PROTO" in environ or "HTTP_X_FORWARDED_HOST" in environ:
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", environ["wsgi.url_scheme"]).split(",")[0].strip()
            forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
            origin = f"{scheme}://{forwarded_host}"
            if origin not in origins:
                origins.append(origin)
    return origins
