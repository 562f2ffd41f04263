"""Invite links and batches of single-use course codes."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.circles.codes import COURSE_CODE_LENGTH, random_code
from lms.circles.models import STAFF_ROLES, Circle, CourseCode, Invite, Role
from lms.circles.operations.errors import CircleError
from lms.core.inputs import TextRejected, clean_line
from lms.core.types import utcnow
from lms.extensions import db


def create_invite(circle: Circle, actor: User, *, role: Role, max_uses: int | None,
                  expires_at: datetime | None) -> Invite:
    """A new invite link. Only owners and teachers may invite staff; nobody invites an owner."""
    if role == Role.owner:
        raise CircleError(_l("An invite cannot make someone the owner."))
    if role in STAFF_ROLES and not circle.can_change_roles(actor):
        raise CircleError(_l("Only the circle's teachers can invite staff."))
    invite = Invite(circle=circle, circle_id=circle.id, token=secrets.token_urlsafe(16), role=role,
                    max_uses=max_uses, expires_at=expires_at, created_by_id=actor.id)
    db.session.add(invite)
    db.session.flush()
    return invite


def revoke_invite(invite: Invite) -> None:
    """Turn an invite link off for good."""
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()


def generate_course_codes(circle: Circle, count: int, *, batch: str, expires_at: datetime | None) -> list[CourseCode]:
    """Create `count` single-use course codes in one batch. Raises CircleError for a batch name that is
    not single-line text."""
    try:
        batch = clean_line(batch, max_length=40)
    except TextRejected as error:
        raise CircleError(str(error)) from None
    codes = []
    taken: set[str] = set()
    while len(codes) < count:
        value = random_code(COURSE_CODE_LENGTH)
        if value in taken:
            continue
        taken.add(value)
        codes.append(CourseCode(circle_id=circle.id, code=value, batch=batch.strip()[:40], expires_at=expires_at))
    db.session.add_all(codes)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a clash with an existing code: astronomically rare, try once more
        return generate_course_codes(circle, count, batch=batch, expires_at=expires_at)
    return codes
