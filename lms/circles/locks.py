"""Settings of a circle that someone above it decides (a school locks them for its classes), so the circle's
staff see them read-only and the server refuses a change; the circles never import who locks them.

A domain above the circles registers a source (lms/orgs registers the organizations' locks), once per
process when its module is imported, as lms/circles/oversight.py does. With no source registered, nothing
is locked.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from flask_babel import gettext as _

if TYPE_CHECKING:
    from lms.circles.models import Circle

#: a source: the circle → {setting name: the name of who sets it} for the settings it locks
LockSource = Callable[["Circle"], Mapping[str, str]]

_SOURCES: dict[str, LockSource] = {}


def register_lock_source(name: str, source: LockSource) -> None:
    """Add (or replace, by `name`) a source of locked settings."""
    _SOURCES[name] = source


def locked_settings(circle: Circle) -> dict[str, str]:
    """The circle's locked settings: {setting name: who sets it}, e.g. {"join_policy": "Hill School"}.
    Setting names are those of lms.orgs.models.ClassSetting ("join_policy", "require_real_name", …)."""
    locked: dict[str, str] = {}
    for source in _SOURCES.values():
        locked.update(source(circle))
    return locked


def refuse_change(field, locked: Mapping[str, str], setting: str, current, sent, key=None) -> bool:
    """On a settings form: when `setting` is locked and the value `sent` is not the circle's `current` one
    (compared as `key` gives them, when given), put the refusal at `field` (a WTForms field) and return True.
    The field shows `current` again either way, so the page a refused form comes back to never shows a value the
    circle cannot have."""
    if setting not in locked:
        return False
    refused = (key(sent) != key(current)) if key else sent != current
    if refused:
        field.errors = [*field.errors, _("%(org)s sets this for its classes: this class cannot change it.",
                                         org=locked[setting])]
    field.data = current.value if hasattr(current, "value") else current
    return refused
