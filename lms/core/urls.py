"""Safe redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, redirect, url_for


#: The public host of links in mail when SERVER_NAME is not configured (outside production, which
#: refuses to start without it): the address `scripts/run` serves by default.
DEVELOPMENT_SERVER_NAME = "127.0.0.1:5000"


def is_local_path(target: str | None) -> bool:
    """Is `target` a path on this site (not another site, not a scheme such as javascript:)?"""
    if not target:
        return False
    parts = urlsplit(target)
    return (not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")
            and "\\" not in target)


def safe_next(target: str | None, default_endpoint: str = "circles.index") -> str:
    """`target` if it is a path on this site, else the default page (no open redirects)."""
    if is_local_path(target):
        return target
    return url_for(default_endpoint)


def redirect_next(target: str | None, default_endpoint: str = "circles.index"):
    return redirect(safe_next(target, default_endpoint))


def path_for(endpoint: str, **values) -> str:
    """The path of `endpoint` (no host), also outside a request: in a job pushing an update, where
    url_for would need SERVER_NAME."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for mail and notifications, the same inside a request, a job or a `flask`
    command. Host and scheme come from configuration only (SERVER_NAME, PREFERRED_URL_SCHEME; without
    SERVER_NAME, DEVELOPMENT_SERVER_NAME), never from the request's Host or X-Forwarded-Host: a
    client can forge those, and a reset link would then lead to their host. None values are left out."""
    config = current_app.config
    adapter = current_app.url_map.bind(config.get("SERVER_NAME") or DEVELOPMENT_SERVER_NAME,
                                       url_scheme=config.get("PREFERRED_URL_SCHEME") or "http",
                                       script_name=config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)
