"""What other domains are told when someone stops being an active member (removed by the staff, or leaving), or
becomes staff or stops being staff: a domain that holds open connections (chat) registers here to close them, or
re-check them, at once. Circles import no domain."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

from lms.circles.models import Membership

#: called inside the transaction that ends the membership (after its flush); queue side effects with
#: lms.jobs.after_commit so nothing leaves if the transaction rolls back
Departure = Callable[[Membership], None]

_EXTENSION = "lms_circle_departures"
_ROLE_EXTENSION = "lms_circle_role_changes"


def register_departure(app: Flask, name: str, departure: Departure) -> None:
    """Have `departure(membership)` called whenever an active membership ends; idempotent by name."""
    app.extensions.setdefault(_EXTENSION, {})[name] = departure


def membership_ended(membership: Membership) -> None:
    """Tell every registered domain that `membership` is no longer active."""
    for departure in current_app.extensions.get(_EXTENSION, {}).values():
        departure(membership)


def register_role_change(app: Flask, name: str, changed: Departure) -> None:
    """Have `changed(membership)` called whenever a member becomes staff or stops being staff; idempotent by
    name. Called inside the transaction, like a departure."""
    app.extensions.setdefault(_ROLE_EXTENSION, {})[name] = changed


def staff_role_changed(membership: Membership) -> None:
    """Tell every registered domain that `membership` became staff or stopped being staff."""
    for changed in current_app.extensions.get(_ROLE_EXTENSION, {}).values():
        changed(membership)
