"""Circles themselves: creating, settings, cover, archiving, the join code."""
from __future__ import annotations

from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.circles.codes import JOIN_CODE_LENGTH, random_code
from lms.circles.locks import locked_settings
from lms.circles.models import Circle, CircleKind, JoinPolicy, Role
from lms.circles.operations.errors import CircleError
from lms.circles.operations.membership import _activate
from lms.core.images import store_image
from lms.core.inputs import TextRejected, clean_line
from lms.extensions import db
from lms.jobs import delete_stored_after_commit, discard_stored_on_rollback


def create_circle(owner: User, name: str, *, kind: CircleKind = CircleKind.teaching, description: str = "",
                  join_policy: JoinPolicy = JoinPolicy.code, org=None,
                  require_real_name: bool = False, require_student_no: bool = False,
                  owner_display_name: str | None = None) -> Circle:
    """Create a circle with `owner` as its owner member, and a join code; a class of `org` (an
    lms.orgs Organization, whose package maps `Circle.org`) when one is given.

    Raises CircleError for a name that is not single-line text (see lms.core.inputs.clean_line).
    """
    circle = Circle(name=_circle_name(name), kind=kind, description=description, join_policy=join_policy,
                    require_real_name=require_real_name, require_student_no=require_student_no,
                    created_by_id=owner.id, member_count=0, timezone=owner.timezone or None)
    if org is not None:
        circle.org = org
    circle.join_code = _unique_code(Circle.join_code, JOIN_CODE_LENGTH)
    db.session.add(circle)
    db.session.flush()
    _activate(circle, owner, Role.owner, via="owner", display_name=owner_display_name)
    return circle


def update_circle(circle: Circle, *, name: str, description: str, kind: CircleKind, join_policy: JoinPolicy,
                  require_real_name: bool, require_student_no: bool, timezone: str | None | bool = False) -> None:
    """Change a circle's settings. `timezone`: an IANA name (validated by the form), None for the site's
    default, False (the default) to keep it. Raises CircleError for a name that is not single-line text, or
    for a change of a setting its school locks (lms/circles/locks.py); nothing is changed then."""
    locked = locked_settings(circle)
    for setting, value in (("join_policy", join_policy), ("require_real_name", require_real_name),
                           ("require_student_no", require_student_no)):
        if setting in locked and getattr(circle, setting) != value:
            raise CircleError(_l("%(org)s sets this for its classes: this class cannot change it.",
                                 org=locked[setting]))
    if timezone is not False:
        circle.timezone = timezone or None
    circle.name = _circle_name(name)
    circle.description = description
    circle.kind = kind
    circle.join_policy = join_policy
    circle.require_real_name = require_real_name
    circle.require_student_no = require_student_no
    if circle.join_code is None:
        circle.join_code = _unique_code(Circle.join_code, JOIN_CODE_LENGTH)


def _circle_name(name: str | None) -> str:
    try:
        return clean_line(name, max_length=120)
    except TextRejected as error:
        raise CircleError(str(error)) from None


def set_cover(circle: Circle, image: BinaryIO | None) -> None:
    """Replace (or with None, remove) the circle's cover image. Raises ImageRejected. The old image is
    deleted once the change commits (kept if it rolls back); a new one is dropped if it rolls back."""
    old = circle.cover_key
    circle.cover_key = store_image(image, "covers") if image is not None else None
    if circle.cover_key:
        discard_stored_on_rollback(circle.cover_key)
    if old:
        delete_stored_after_commit(old)


def set_archived(circle: Circle, archived: bool) -> None:
    """Archive (read-only, nobody can join) or restore a circle."""
    circle.is_archived = archived


def regenerate_join_code(circle: Circle) -> str:
    """Give the circle a new join code; the old one stops working at once."""
    circle.join_code = _unique_code(Circle.join_code, JOIN_CODE_LENGTH)
    return circle.join_code


def _unique_code(column, length: int) -> str:
    for _ in range(10):
        code = random_code(length)
        if db.session.scalar(db.select(column).where(column == code)) is None:
            return code
    raise RuntimeError("could not find a free code")  # 10 collisions in a 2^40 space: something is broken
