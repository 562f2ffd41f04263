"""What the domains above accounts tell it, so accounts never imports them: who else may see a
person's avatar, what a link someone signs up through invites them into, and the facts about the
signed-in person every page needs (read with the session, in the same query).

A domain registers its rules per app when its blueprint is registered (`bp.record_once`); with none
registered, a person's avatar is theirs and the site admins' only, and no link names an invitation.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from lms.accounts.models import User

#: (viewer, user_id) → a condition (an EXISTS) true when `viewer` may see `user_id`'s avatar
AvatarRule = Callable[[User, int], sa.ColumnElement[bool]]
#: a local path (the `next` of the sign-up form) → what it invites into (an object with a `name`), or None
InvitationFinder = Callable[[str], Any]
#: the users.id column → a scalar SQL expression about that user (e.g. an EXISTS), read with the session
SessionFact = Callable[[sa.ColumnElement[int]], sa.ColumnElement[Any]]
#: a user → the name of the only way they may sign in (their school's button), or None when a password may
PasswordGate = Callable[[User], "str | None"]

_EXTENSION = "lms.accounts.hooks"


def _hooks(app: Flask) -> dict[str, dict]:
    return app.extensions.setdefault(_EXTENSION, {"avatar": {}, "invitation": {}, "session_fact": {},
                                                  "password_gate": {}})


def register_avatar_rule(app: Flask, name: str, rule: AvatarRule) -> None:
    """Let the people `rule` names see a person's avatar (beside the person and site admins)."""
    _hooks(app)["avatar"][name] = rule


def register_invitation_finder(app: Flask, name: str, finder: InvitationFinder) -> None:
    """Let the sign-up page name what a `next` link invites into (the first finder that knows it)."""
    _hooks(app)["invitation"][name] = finder


def register_session_fact(app: Flask, name: str, fact: SessionFact) -> None:
    """Read `fact` about the signed-in person in the query that loads their session, so a page that
    needs it (the top bar on every page) costs no query of its own; the answer is on
    `user.session_facts[name]` (absent outside a request's session load)."""
    _hooks(app)["session_fact"][name] = fact


def session_facts(app: Flask) -> dict[str, SessionFact]:
    return _hooks(app)["session_fact"]


def avatar_rules() -> list[AvatarRule]:
    return list(_hooks(current_app)["avatar"].values())


def invitation_for(path: str | None) -> Any:
    """What `path` invites into, as the first registered finder that knows says; None otherwise."""
    if not path:
        return None
    for finder in _hooks(current_app)["invitation"].values():
        found = finder(path)
        if found is not None:
            return found
    return None


def register_password_gate(app: Flask, name: str, gate: PasswordGate) -> None:
    """Let `gate` refuse password sign-in and password reset to the people another way in is the only one
    for (an organization's exclusive school sign-in); it answers the name of that way, or None."""
    _hooks(app)["password_gate"][name] = gate


def password_refusal(user: User) -> str | None:
    """The name of the only way `user` may sign in, if a gate says a password is not one; else None."""
    for gate in _hooks(current_app).get("password_gate", {}).values():
        name = gate(user)
        if name:
            return name
    return None
