"""Werkzeug's threaded server for the embedded default (`scripts/run`) and the browser tests.

After a response, Werkzeug 3's request handler drains what is left of the request body and only
then calls the response's ``close()``; when the client resets the connection during that drain (a
browser leaving the page mid-upload or mid-video), the read raises and ``close()`` is skipped: the
open file behind a ``send_file`` response stays open until garbage collection finds it.
:func:`make_embedded_server` wraps the app so every response iterable is closed when it is
finished, even when the server forgets to.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from werkzeug.serving import BaseWSGIServer, make_server


def make_embedded_server(host: str, port: int, app) -> BaseWSGIServer:
    """A threaded Werkzeug server for ``app`` on ``host:port`` (port 0: a free one)."""
    return make_server(host, port, _closing(app), threaded=True)


def _closing(app):
    def application(environ, start_response):
        return _closed_when_done(app(environ, start_response))

    return application


def _closed_when_done(body: Iterable[bytes]) -> Iterator[bytes]:
    # A generator's ``finally`` runs on close() and, when nobody calls close(), when it is collected.
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
