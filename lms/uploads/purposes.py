"""What an upload is for, checked before its first byte: quota, then the purpose's own rule (registered by its domain).

An upload may name a purpose when it is created, "<kind>:<id>" (tus `Upload-Metadata` key
`purpose`, or "purpose" in the JSON create), e.g. "assignment:12". The domain that owns the kind
registers a checker at app start (infrastructure never imports a domain); the create view asks
`creation_problem` and refuses with its sentence, so a page left open past a hard deadline is told
before anything is sent. An upload without a purpose (the "My uploads" page) only meets the quota.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, current_app
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.uploads.models import MediaKind
from lms.uploads.queries import quota_problem

#: (user, the id part of the purpose, size=, kind=) -> the sentence refusing it, or None
Checker = Callable[..., "str | None"]

_EXTENSION = "lms_upload_purposes"


def register_purpose(app: Flask, kind: str, checker: Checker) -> None:
    """Let uploads name purposes "<kind>:<id>"; `checker` answers whether one may start now. Call at
    app start (a domain's blueprint `record_once`)."""
    purposes = app.extensions.setdefault(_EXTENSION, {})
    if kind in purposes and purposes[kind] is not checker:
        raise RuntimeError(f"upload purpose {kind!r} is registered twice")
    purposes[kind] = checker


def creation_problem(user: User, *, size: int, kind: MediaKind | str = MediaKind.video,
                     purpose: str | None = None) -> str | None:
    """The sentence to refuse creating an upload of `size` bytes with, or None when it may start.
    The quota first (it holds whatever the upload is for), then the purpose's checker; a purpose
    nobody registered, or written wrongly, is refused."""
    problem = quota_problem(user, size)
    if problem:
        return problem
    if not purpose:
        return None
    name, _sep, ident = str(purpose).partition(":")
    checker = current_app.extensions.get(_EXTENSION, {}).get(name)
    if checker is None or not ident:
        return _("The upload request could not be read. Reload the page and try again.")
    return checker(user, ident, size=size, kind=MediaKind(kind))
