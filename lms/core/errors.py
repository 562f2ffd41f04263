"""Error pages: HTML for browsers, JSON for API and XHR callers."""
from __future__ import annotations

import math
import time

from flask import abort, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _, ngettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _message(code: int) -> str:
    messages = {
        400: _("The request could not be understood. Check what you entered and try again."),
        403: _("You do not have permission to do this. Ask the circle's teacher if you think you should."),
        404: _("This page does not exist, or you do not have access to it."),
        405: _("This action is not allowed here."),
        409: _("This changed while you were working on it. Reload the page and try again."),
        413: _("The file is too large."),
        429: _("Too many attempts. Wait a few minutes and try again."),
        500: _("Something went wrong on our side. Your work has been kept; please try again."),
    }
    return messages.get(code, _("Something went wrong."))


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("Your form expired or was sent from another page. Reload the page and submit again; nothing was lost.")
        return _render(400, message)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        from lms.extensions import limiter

        current = limiter.current_limit
        # reset_at is rounded up a second past the window's end by Flask-Limiter
        seconds = max(1, math.ceil(current.reset_at - 1 - time.time())) if current is not None else 60
        response = _render(429, wait_message(seconds), retry_after=seconds)
        response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        refused = _refused_write(error)
        if refused is not None:
            return refused
        message = error.description if getattr(error, "lms_message", False) else _message(error.code or 500)
        response = _render(error.code or 500, message)
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if error.code == 429 and isinstance(getattr(error, "retry_after", None), int):
            response.headers["Retry-After"] = str(error.retry_after)  # a domain's own limit (lms.moderation.policy)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        from lms.extensions import db

        if app.testing and not app.config.get("SHOW_ERROR_PAGES"):
            raise error  # let the test see the real traceback
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, _message(500))


#: form fields never echoed back in a refusal page
_NOT_KEPT = frozenset({"csrf_token", "password", "current_password", "new_password"})


def _kept_text() -> list[str]:
    """What the person wrote in the refused form (text fields only, none hidden or secret), to give it back."""
    return [value for name, value in request.form.items(multi=True)
            if name not in _NOT_KEPT and isinstance(value, str) and value.strip() and len(value) > 1
            and not name.endswith("_id") and name not in ("reply_to", "next", "liked")]


#: app.extensions key of the circles' `(circle_id, user) -> the circle if they were removed from it, else None`
#: (registered by lms.circles: core does not read a domain's tables)
REMOVED_FROM = "lms_removed_from_circle"


def _removed_circle():
    """The circle of this request (its `circle_id`) if the signed-in person was removed from it, else None."""
    from flask_login import current_user

    circle_id = (request.view_args or {}).get("circle_id")
    lookup = current_app.extensions.get(REMOVED_FROM)
    if lookup is None or not isinstance(circle_id, int) or not getattr(current_user, "is_authenticated", False):
        return None
    return lookup(circle_id, current_user)


def _refused_write(error: HTTPException):
    """A browser's form refused because of the writer, not the text: over the circle's write limit (429), muted
    (403), or no longer a member (404 on a circle they were removed from). The text they wrote is never lost: a
    limit or a mute sends them back to the page the form was on with the message in place
    (static/js/core/app.js puts the text back in the form); a removed member gets a page saying so, with their
    text to copy. Anything else (JSON callers, GETs but the removed member's, other errors) returns None."""
    if request.path.startswith("/api/") or wants_json():
        return None
    if error.code == 404:
        circle = _removed_circle()
        if circle is None:
            return None
        response = make_response(render_template(
            "errors/removed.html", circle=circle,
            kept="\n\n".join(_kept_text()) if request.method == "POST" else ""))
        response.status_code = 404  # still no access (as for anyone outside); the page says why
        return response
    if request.method != "POST" or error.code not in (403, 429) or not getattr(error, "lms_message", False):
        return None
    from flask import flash, redirect

    from lms.core.urls import is_local_path

    referrer = request.referrer or ""
    host = request.host_url.rstrip("/")
    target = referrer[len(host):] if referrer.startswith(host + "/") else None
    if not target or not is_local_path(target):
        return None
    flash(error.description, "error")
    response = redirect(target, code=303)
    if error.code == 429 and isinstance(getattr(error, "retry_after", None), int):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def wait_message(seconds: int) -> str:
    """"Too many attempts. Try again in 4 minutes.": the wait in words, rounded up to seconds under a
    minute, minutes under two hours, hours beyond."""
    if seconds < 60:
        return ngettext("Too many attempts. Try again in %(num)d second.",
                        "Too many attempts. Try again in %(num)d seconds.", seconds)
    if seconds < 2 * 3600:
        return ngettext("Too many attempts. Try again in %(num)d minute.",
                        "Too many attempts. Try again in %(num)d minutes.", math.ceil(seconds / 60))
    return ngettext("Too many attempts. Try again in %(num)d hour.",
                    "Too many attempts. Try again in %(num)d hours.", math.ceil(seconds / 3600))


def _render(code: int, message: str, **extra):
    if request.path.startswith("/api/"):
        return problem(code, message, **extra)
    if wants_json():
        response = jsonify(error={"code": code, "message": message, **extra})
    else:
        response = make_response(render_template("errors/error.html", code=code, message=message))
    response.status_code = code
    return response


def problem(code: int, detail: str, **extra):
    """An RFC 9457 problem details response (application/problem+json), as the JSON API answers errors.
    `title` is the status's standard phrase, `detail` the translated message; `extra` adds members."""
    response = jsonify(type="about:blank", title=HTTP_STATUS_CODES.get(code, "Error"), status=code, detail=detail,
                       **extra)
    response.status_code = code
    response.mimetype = "application/problem+json"
    return response


def abort_with(code: int, message: str):
    """Abort with a specific, user-facing message (already translated) instead of the generic one."""
    try:
        abort(code, description=message)
    except HTTPException as error:
        error.lms_message = True
        raise
