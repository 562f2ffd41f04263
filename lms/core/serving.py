"""Werkzeug's threaded server for the embedded default (`scripts/run`) and the browser tests.

After a response, Werkzeug 3's request handler drains what is left of the request body and only
then calls the response's ``close()``; when the client resets the connection during that drain (a
browser leaving the page mid-upload or mid-video), the read raises and ``close()`` is skipped: the
open file behind a ``send_file`` response stays open until garbage collection finds it.
:func:`make_embedded_server` wraps the app so every response iterable is closed when it is
finished, even when the server forgets to.

A websocket the client closes (a page left: close code 1001, or a reset) surfaces from Engine.IO's
simple-websocket driver as an OSError (or simple_websocket.ConnectionClosed); Werkzeug would log it as
"Error on request" with a traceback and try to answer 500 on the dead socket. It is normal: logged at
debug and handed to Werkzeug as a dropped connection.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from werkzeug.serving import BaseWSGIServer, make_server

logger = logging.getLogger(__name__)

try:
    from simple_websocket import ConnectionClosed as _WebSocketClosed
except ImportError:  # pragma: no cover - simple-websocket is what Flask-SocketIO uses here
    class _WebSocketClosed(Exception):
        pass


def make_embedded_server(host: str, port: int, app) -> BaseWSGIServer:
    """A threaded Werkzeug server for ``app`` on ``host:port`` (port 0: a free one)."""
    return make_server(host, port, _closing(app), threaded=True)


def _closing(app):
    def application(environ, start_response):
        try:
            body = app(environ, start_response)
        except (OSError, _WebSocketClosed) as error:
            if isinstance(error, ConnectionError) or not _is_websocket(environ):
                raise  # Werkzeug already treats a ConnectionError as a dropped connection
            logger.debug("websocket %s closed by the client: %r", environ.get("PATH_INFO"), error)
            raise ConnectionError("websocket closed by the client") from error
        return _closed_when_done(body)

    return application


def _is_websocket(environ) -> bool:
    return environ.get("HTTP_UPGRADE", "").lower() == "websocket"


def _closed_when_done(body: Iterable[bytes]) -> Iterator[bytes]:
    # A generator's ``finally`` runs on close() and, when nobody calls close(), when it is collected.
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
