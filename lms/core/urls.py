"""Safe redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, redirect, url_for


def safe_next(target: str | None, default_endpoint: str = "circles.index") -> str:
    """`target` if it is a path on this site, else the default page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") and "\\" not in target:
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
    """An absolute URL for mail and notifications. Inside a request it uses the request's host;
    outside one (a job, a `flask` command) SERVER_NAME, or without it the bare path (and a warning:
    set LMS_SERVER_NAME so mailed links work)."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    current_app.logger.warning("SERVER_NAME is not set: a link to %s has no host", endpoint)
    return path_for(endpoint, **values)
