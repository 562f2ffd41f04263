"""Signing a browser in and out: the one path every way of signing in ends with (the password form,
a confirmed registration, a school's OpenID provider), so sessions, sign-out and revocation behave alike."""
from __future__ import annotations

from flask import request, session
from flask_login import current_user, login_user, logout_user

from lms.accounts import operations as ops
from lms.accounts.models import User
from lms.core.i18n import browser_locale
from lms.extensions import db


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a server-side session for `user`, commit, and put only its token in the cookies.
    The Flask session starts afresh (no fixation); the language chosen before signing in stays."""
    if current_user.is_authenticated:  # someone else signed in in this browser: their session ends here
        ops.end_session(current_user.current_session)
    ops.start_session(user, user_agent=request.user_agent.string, ip=request.remote_addr, remember=remember)
    user.browser_locale = browser_locale() or user.browser_locale  # mail follows the browser signed in with
    db.session.commit()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)


def sign_out() -> None:
    """Forget the signed-in person in this browser (the caller ends the session row)."""
    logout_user()
    session.clear()
    # session.clear() also dropped logout_user's note to delete the "keep me signed in" cookie;
    # without it the browser would keep sending a (now void) cookie.
    session["_remember"] = "clear"
