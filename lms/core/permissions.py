"""Permission helpers: `require` for predicates, decorators for whole views."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

__all__ = ["require", "admin_required", "login_required", "Forbidden"]


def require(allowed: bool) -> None:
    """Abort with 403 unless `allowed`. Visibility (404) is the scoped lookup's job."""
    if not allowed:
        abort(403)


def admin_required(view):
    """Only site administrators; everyone else gets 404, so the admin area is not advertised."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


class Forbidden(Exception):
    """Raised by operations when the acting user may not do what was asked."""
