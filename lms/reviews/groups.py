"""Where peer review learns who is in which group: a domain that keeps groups registers a source at app
start (`register_group_source`), so reviews imports none. Without one, nobody is in a group and the
"members of one group never review each other" rule has nothing to keep apart."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from lms.homework.models import Assignment

#: assignment → {user id: group key} for the people in a group (others are left out)
GroupSource = Callable[["Assignment"], dict[int, Hashable]]

_EXTENSION = "lms_reviews_groups"


def register_group_source(app: Flask, source: GroupSource) -> None:
    """Let `source` say who is in which group for the assignments of `app` (one source per app)."""
    app.extensions[_EXTENSION] = source


def groups_for(assignment: Assignment) -> dict[int, Hashable]:
    """user id → group, for the people of `assignment`'s circle who are in a group (one query at most)."""
    source = current_app.extensions.get(_EXTENSION)
    return dict(source(assignment)) if source is not None else {}
