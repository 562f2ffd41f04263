"""The refusals of the circle and membership operations; each message is for the user."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.circles.models import Circle


class CircleError(ValueError):
    """A refused circle or membership change; the message is for the user."""


class IdentityError(CircleError):
    """A refused name or number; `field` is the form field it belongs to
    (``display_name``, ``real_name`` or ``student_no``)."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field


class MemberBarred(CircleError):
    """The staff removed this person; only their readmission (readmit_member) lets them back in."""

    def __init__(self, *, by_staff: bool = False, name: str = ""):
        if by_staff:
            message = _l("%(name)s was removed from this circle. Readmit them from the roster's "
                         "“Removed” list first.", name=name)
        else:
            message = _l("You were removed from this circle; ask its teacher to readmit you.")
        super().__init__(message)


class AlreadyMember(CircleError):
    def __init__(self, circle: Circle):
        super().__init__(_l("You are already a member of this circle."))
        self.circle = circle
