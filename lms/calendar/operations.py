"""Changes to a person's calendar feed address (flush, never commit)."""
from __future__ import annotations

import secrets

from lms.accounts.models import User
from lms.calendar.models import CalendarToken
from lms.calendar.queries import calendar_token_of
from lms.extensions import db


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def ensure_calendar_token(user: User) -> CalendarToken:
    """The person's feed token, made on first need (one per person). A request that loses a race to
    make it reads the winner's after the caller's commit fails; callers commit right away."""
    token = calendar_token_of(user)
    if token is None:
        token = CalendarToken(user_id=user.id, token=_new_token())
        db.session.add(token)
        db.session.flush()
    return token


def reset_calendar_token(user: User) -> CalendarToken:
    """Give the person's feed a new secret address: the old one answers 404 from now on (a phone that
    subscribed to it stops updating). Makes the token if there was none."""
    token = calendar_token_of(user)
    if token is None:
        return ensure_calendar_token(user)
    token.token = _new_token()
    db.session.flush()
    return token
