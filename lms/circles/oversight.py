"""Who oversees a circle besides its own staff: site admins always, and whoever a domain above the
circles says (the admins of the circle's organization: lms/orgs registers that rule), so the circles
never import the domains that group them.

An overseer sees and manages a circle like its staff (Circle._is_overseer). A rule is registered once
per process, when the module that owns it is imported; with no rule registered, only site admins
oversee (the check fails closed).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa

if TYPE_CHECKING:
    from lms.accounts.models import User
    from lms.circles.models import Circle


class OverseerRule(NamedTuple):
    #: does `user` oversee `circle`? (the per-object check the `can_*` predicates ask)
    oversees: Callable[[Circle, User], bool]
    #: the ids of the circles `user` oversees, as a subquery (for listing them)
    circle_ids: Callable[[User], sa.Select]


_RULES: dict[str, OverseerRule] = {}


def register_overseers(name: str, oversees: Callable[[Circle, User], bool],
                       circle_ids: Callable[[User], sa.Select]) -> None:
    """Add (or replace, by `name`) a rule for who oversees circles. The two functions must agree:
    `oversees(circle, user)` is true exactly for the circles whose ids `circle_ids(user)` selects."""
    _RULES[name] = OverseerRule(oversees, circle_ids)


def oversees(circle: Circle, user: User) -> bool:
    """Does a registered rule make `user` (signed in, not a site admin) an overseer of `circle`?"""
    return any(rule.oversees(circle, user) for rule in _RULES.values())


def overseen_circle_ids(user: User) -> sa.Select | None:
    """The ids of the circles `user` oversees by a registered rule, or None when no rule is registered."""
    selects = [rule.circle_ids(user) for rule in _RULES.values()]
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else sa.union(*selects)
