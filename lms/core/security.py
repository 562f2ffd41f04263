"""Security headers on every response, and the Content-Security-Policy."""
from __future__ import annotations

from flask import current_app, request


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
            f"connect-src 'self' ws://{request.host} wss://{request.host}{extra_media}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def register_security_headers(app) -> None:
    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages carry personal data: never let a shared cache or the back button after logout show them.
        if not request.path.startswith("/static/") and "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-store"
        return response
