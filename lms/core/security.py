"""Security headers on every response, the Content-Security-Policy, and the plain-HTTP check."""
from __future__ import annotations

import logging

from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

logger = logging.getLogger(__name__)

#: methods a CSRF token guards: a secure-cookie site reached over plain HTTP fails every one of them
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def content_security_policy() -> str:
    extra_media = ""
    endpoint = current_app.config.get("S3_PUBLIC_ENDPOINT_URL") or current_app.config.get("S3_ENDPOINT_URL")
    if current_app.config.get("STORAGE_BACKEND") == "s3" and endpoint:
        extra_media = " " + endpoint.rstrip("/")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",  # no inline scripts, no eval
            "style-src 'self'",
            f"img-src 'self' data: blob:{extra_media}",
            f"media-src 'self' blob:{extra_media}",
            # Socket.IO's websocket on this host only: bare "ws: wss:" would allow any host.
            f"connect-src 'self' ws://{request.host} wss://{request.host}{extra_media}{_janus_origins()}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _janus_origins() -> str:
    """The live stage's Janus as browsers reach it (JANUS_PUBLIC_WS_URL / _HTTP_URL), when it is elsewhere."""
    from urllib.parse import urlsplit

    found = []
    for key in ("JANUS_PUBLIC_WS_URL", "JANUS_PUBLIC_HTTP_URL"):
        url = current_app.config.get(key)
        if url:
            parts = urlsplit(url)
            if parts.scheme and parts.netloc and f"{parts.scheme}://{parts.netloc}" not in found:
                found.append(f"{parts.scheme}://{parts.netloc}")
    return "".join(" " + origin for origin in found)


def arrived_over_plain_http() -> bool:
    """Whether this request reached a site whose cookies are Secure over plain HTTP: neither TLS to
    the app (request.is_secure, which is the proxy's X-Forwarded-Proto when LMS_PROXY_COUNT trusts it)
    nor an X-Forwarded-Proto: https the app was not told to trust. Browsers then keep no session
    cookie, and every form would fail its CSRF check."""
    if not current_app.config.get("SESSION_COOKIE_SECURE") or request.is_secure:
        return False
    return _forwarded_proto() != "https"


def _forwarded_proto() -> str:
    return request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()


def plain_http_message() -> str:
    count = current_app.config.get("PROXY_COUNT") or 1
    return _(
        "This site is set up for HTTPS, but this request came over plain HTTP: put TLS in front, and "
        "have the proxy send X-Forwarded-Proto (LMS_PROXY_COUNT=%(count)d).", count=count
    )


class PlainHttpRefused(BadRequest):
    """A form sent over plain HTTP to a site with Secure cookies: the admin's message, not the CSRF one."""

    lms_message = True  # lms.core.errors shows the description as it is


def check_plain_http():
    """Before any other hook (CSRF included): a secure-cookie site reached over plain HTTP says so.

    The first such request of the process logs an ERROR that names the cause and the fix; a form
    (POST, PUT, PATCH, DELETE) is answered with that explanation instead of "Your form expired",
    which is what the CSRF check would say, forever. With X-Forwarded-Proto: https from a proxy the
    app does not trust (LMS_PROXY_COUNT=0) the request did come over TLS, and the site works: a
    WARNING says once that the header is ignored. Health probes are left alone.
    """
    from lms.core.health import is_health_request

    if not current_app.config.get("SESSION_COOKIE_SECURE") or request.is_secure or is_health_request(request.path):
        return None
    state = current_app.extensions.setdefault("lms_plain_http_logged", set())
    if _forwarded_proto() == "https":
        if "untrusted" not in state:
            state.add("untrusted")
            logger.warning(
                "A request came with X-Forwarded-Proto: https, but LMS_PROXY_COUNT is %s, so the app "
                "does not trust it: set LMS_PROXY_COUNT to the number of proxies in front (1 for one nginx)",
                current_app.config.get("PROXY_COUNT") or 0,
            )
        return None
    if "plain" not in state:
        state.add("plain")
        logger.error(
            "This site is set up for HTTPS (Secure cookies), but %s %s came over plain HTTP without "
            "X-Forwarded-Proto: https: browsers will keep no session and every form will fail. Put TLS in "
            "front, have the proxy send X-Forwarded-Proto ($scheme in deploy/nginx/circles.conf) and set "
            "LMS_PROXY_COUNT (now %s) to the number of proxies; to try the site over HTTP on purpose, set "
            "LMS_SESSION_COOKIE_SECURE=false.",
            request.method, request.path, current_app.config.get("PROXY_COUNT") or 0,
        )
    if request.method in _UNSAFE_METHODS:
        raise PlainHttpRefused(plain_http_message())
    return None


def register_security_headers(app) -> None:
    # first of all before-request hooks, so a form is explained before the CSRF check refuses it
    app.before_request_funcs.setdefault(None, []).insert(0, check_plain_http)

    @app.after_request
    def add_headers(response):
        headers = response.headers
        # each header unless the view set its own; the names already there read in one pass (a
        # setdefault per header walks the list two or three times, on every response)
        present = {name.lower() for name, _value in headers.items()}
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", content_security_policy())
        for name, value in _FIXED_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if app.config.get("SESSION_COOKIE_SECURE") and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages carry personal data: never let a shared cache or the back button after logout show them.
        if "cache-control" not in present and not request.path.startswith("/static/"):
            headers["Cache-Control"] = "private, no-store"
        return response


#: what every response says unless its view said otherwise (register_security_headers)
_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()"),
)
