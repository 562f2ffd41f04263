"""What the domains tell the audit log about their own records, so the log never imports them: how the
keys and coded values of their events' details read, where the names of the ids they record come
from, and (the circles, the accounts) how to name and find circles and actors.

The audit log is a low service every domain records into (tests/test_layers.py). Each domain
registers per app when its blueprint is registered (`bp.record_once`, e.g. lms/grading/audit_details.py);
what nobody registered reads raw: a key as itself, a value as stored, an id as "deleted".
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

#: ids → {id: current name}
NameLookup = Callable[[set], dict]


@dataclass
class Vocabulary:
    """Everything registered with one app."""

    #: detail key → its label ("role" → "Role")
    labels: dict[str, Any] = field(default_factory=dict)
    #: detail key → {stored value → word} ("via": {"roster": "Roster import"})
    words: dict[str, dict[Any, Any]] = field(default_factory=dict)
    #: detail key → what an empty value reads as, where "–" would mislead ("status_before": "not a member")
    blanks: dict[str, Any] = field(default_factory=dict)
    #: detail keys whose values are calendar days stored as ISO 8601 ("2026-12-20"), read in the viewer's language
    dates: set[str] = field(default_factory=set)
    #: action → {stored value → word}, for the plain values of its "from"/"to" ("member_role_changed": roles)
    changes: dict[str, dict[Any, Any]] = field(default_factory=dict)
    #: kind of id ("users", "assignments", "criteria") → lookup of current names
    names: dict[str, NameLookup] = field(default_factory=dict)
    #: circle ids → {id: current name}
    circle_names: NameLookup | None = None
    #: a LIKE pattern → a select of the ids of the circles whose name matches
    circles_matching: Callable[[str], sa.Select] | None = None
    #: a circle id → the id of its organization at this moment, or None
    circle_org: Callable[[int], int | None] | None = None
    #: a LIKE pattern → a select of the ids of the accounts whose current name or email matches
    actors_matching: Callable[[str], sa.Select] | None = None


_EXTENSION = "lms.audit.registry"


def vocabulary(app: Flask | None = None) -> Vocabulary:
    """The app's vocabulary (the current app's when `app` is None)."""
    app = app or current_app
    return app.extensions.setdefault(_EXTENSION, Vocabulary())


def describe_details(app: Flask, *, labels: Mapping[str, Any] | None = None,
                     words: Mapping[str, Mapping[Any, Any]] | None = None,
                     blanks: Mapping[str, Any] | None = None,
                     changes: Iterable[tuple[Iterable[str], Mapping[Any, Any]]] = (),
                     dates: Iterable[str] = ()) -> None:
    """Say how the details a domain records read. Words for one key may come from several domains
    (circles and grading both record a `via`): they are merged. `changes` pairs actions with the words
    of the plain values their "from"/"to" hold; `dates` names the keys that hold calendar days (ISO 8601)."""
    v = vocabulary(app)
    v.labels.update(labels or {})
    v.dates.update(dates)
    for key, mapping in (words or {}).items():
        v.words.setdefault(key, {}).update(mapping)
    v.blanks.update(blanks or {})
    for actions, mapping in changes:
        for action in actions:
            v.changes.setdefault(str(action), {}).update(mapping)


def register_names(app: Flask, kind: str, lookup: NameLookup) -> None:
    """Where the current names of ids of `kind` come from ("users", "assignments", "criteria")."""
    vocabulary(app).names[kind] = lookup


def register_circles(app: Flask, *, names: NameLookup, matching: Callable[[str], sa.Select],
                     org_of: Callable[[int], int | None]) -> None:
    """How the log names circles, finds them by name, and learns their organization (lms/circles)."""
    v = vocabulary(app)
    v.circle_names, v.circles_matching, v.circle_org = names, matching, org_of


def register_actors(app: Flask, matching: Callable[[str], sa.Select]) -> None:
    """How the log finds actors by their current name or email (lms/accounts)."""
    vocabulary(app).actors_matching = matching
