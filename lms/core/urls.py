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
