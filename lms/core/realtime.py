"""Pushing events to browsers: to one user's sockets or to a room, after the request commits."""
from __future__ import annotations

import logging

from flask_socketio import join_room

from lms.extensions import socketio
from lms.jobs import after_commit

logger = logging.getLogger(__name__)


def enter_room(room: str) -> bool:
    """In a Socket.IO event: its connection joins `room`. False when the page went away while the event ran
    (python-socketio raises ValueError or KeyError for a connection no longer in the namespace): nothing to
    join then, and no error (raised, it ended the event's thread with an unhandled exception)."""
    try:
        join_room(room)
    except (KeyError, ValueError):
        return False
    return True


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


#: app.extensions key of the domains' room providers (register_user_rooms)
_USER_ROOMS = "lms_user_rooms"


def register_user_rooms(app, name: str, rooms_of) -> None:
    """Let a domain put every page of a signed-in user in rooms of its own on the default namespace when it
    connects: `rooms_of(user)` returns their names (chat: one room per circle, for a content-free "there is
    new chat" signal sent once to many). Call at app start; core never imports the domain."""
    app.extensions.setdefault(_USER_ROOMS, {})[name] = rooms_of


def user_rooms(app, user) -> list[str]:
    """The rooms the registered domains put `user`'s pages in (register_user_rooms)."""
    return [room for rooms_of in app.extensions.get(_USER_ROOMS, {}).values() for room in rooms_of(user)]


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


# -- every open page of a user, on whichever process holds it ----------------------------------------

_clients: dict[str, object] = {}
#: a user's set of connection ids outlives a crashed process by at most this long
_SIDS_SECONDS = 24 * 3600


def _queue_redis(app):
    """The message queue's Redis (None with no queue: one process, which knows its own sockets)."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url or not str(url).startswith(("redis://", "rediss://", "unix://")):
        return None
    client = _clients.get(url)
    if client is None:
        from redis import Redis

        client = _clients[url] = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def _sids_key(app, user_id: int) -> str:
    return f"{app.config['REDIS_PREFIX']}-user-sids:{user_id}"


def remember_connection(app, user_id: int, sid: str) -> None:
    """A page of `user_id` connected (default namespace) on this process: its id is kept where every process
    finds it (leave_rooms)."""
    client = _queue_redis(app)
    if client is None:
        return
    try:
        pipe = client.pipeline()
        pipe.sadd(_sids_key(app, user_id), sid)
        pipe.expire(_sids_key(app, user_id), _SIDS_SECONDS)
        pipe.execute()
    except Exception:  # this process still finds its own sockets in the user's room
        logger.exception("could not record connection %s of user %s", sid, user_id)


def forget_connection(app, user_id: int, sid: str) -> None:
    client = _queue_redis(app)
    if client is None:
        return
    try:
        client.srem(_sids_key(app, user_id), sid)
    except Exception:
        logger.exception("could not forget connection %s of user %s", sid, user_id)


def leave_rooms(user_id: int, rooms: list[str], namespace: str = "/") -> None:
    """Once the transaction commits, every open page of `user_id` leaves `rooms` at once, on whichever Socket.IO
    process holds it: this process's sockets are found in the user's room, the others' by the ids kept in the
    message queue's Redis (remember_connection), and python-socketio's queue carries each leave to its process.
    Whatever was sent to those rooms no longer reaches the person (a member removed from a circle)."""
    from flask import current_app

    app = current_app._get_current_object()

    def _leave():
        server = socketio.server
        if server is None or not rooms:
            return
        sids = {sid for sid, _eio_sid in server.manager.get_participants(namespace, user_room(user_id))}
        client = _queue_redis(app)
        if client is not None:
            try:
                sids |= {s.decode() if isinstance(s, bytes) else s for s in client.smembers(_sids_key(app, user_id))}
            except Exception:
                logger.exception("could not read the connections of user %s", user_id)
        for sid in sids:
            for room in rooms:
                try:
                    server.leave_room(sid, room, namespace=namespace)
                except Exception:
                    logger.exception("connection %s could not leave %s", sid, room)

    after_commit(_leave)


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
