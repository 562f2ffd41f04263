"""Homework's dates on the calendar (lms/calendar/sources.py): each assignment's due time and hard
close time, as the viewer's own deadline has them (a student's extension moves theirs; staff see the
assignment's own times, drafts included; a student never sees a draft)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.calendar.sources import CalendarEvent
from lms.circles.models import STAFF_ROLES, Membership, MembershipStatus
from lms.circles.oversight import overseen_circle_ids
from lms.core.i18n import join_sentences
from lms.core.urls import path_for
from lms.extensions import db
from lms.homework.models import Assignment, Extension


def _is_staff(viewer: User) -> sa.ColumnElement[bool]:
    """True for the assignment rows of circles `viewer` runs (owner, teacher, assistant) or oversees:
    the SQL form of Assignment.is_staff."""
    if viewer.is_admin:
        return sa.true()
    staff = sa.exists().where(Membership.circle_id == Assignment.circle_id, Membership.user_id == viewer.id,
                              Membership.status == MembershipStatus.active, Membership.role.in_(STAFF_ROLES))
    overseen = overseen_circle_ids(viewer)
    return staff if overseen is None else sa.or_(staff, Assignment.circle_id.in_(overseen))


def assignment_events(viewer: User, circle_ids: Sequence[int], start: datetime, end: datetime
                      ) -> list[CalendarEvent]:
    """The due and close times in [start, end) of the assignments of `circle_ids` that `viewer` may see
    (the caller checked they may see each circle), one query whatever the number of circles. A
    student's own extension applies (Extension.deadline, the rule of their assignment page)."""
    if not circle_ids:
        return []
    staff = _is_staff(viewer)
    times = (Assignment.due_at, Assignment.closes_at, Extension.due_at, Extension.closes_at)
    rows = db.session.execute(
        db.select(Assignment, Extension, staff.label("is_staff"))
        .outerjoin(Extension, sa.and_(Extension.assignment_id == Assignment.id, Extension.student_id == viewer.id))
        .where(Assignment.circle_id.in_(list(circle_ids)), sa.or_(Assignment.is_published.is_(True), staff),
               sa.or_(*(sa.and_(t >= start, t < end) for t in times)))
        .order_by(Assignment.id)).all()
    events = []
    for assignment, extension, is_staff in rows:
        if is_staff:
            deadline = assignment.base_deadline
        else:
            deadline = extension.deadline(assignment) if extension is not None else assignment.base_deadline
        url = path_for("homework.show", circle_id=assignment.circle_id, assignment_id=assignment.id)
        notes = []
        if not assignment.is_published:
            notes.append(_("Not published yet, so students do not see it."))
        if deadline.is_extended:
            notes.append(_("Your extended time."))
        description = " ".join(notes)
        if deadline.due_at is not None:
            events.append(CalendarEvent(
                uid=f"assignment-{assignment.id}-due@circles", title=_("%(title)s due", title=assignment.title),
                starts_at=deadline.due_at, ends_at=None, url=url, circle_id=assignment.circle_id, kind="due",
                description=description))
        if deadline.closes_at is not None and deadline.closes_at != deadline.due_at:
            events.append(CalendarEvent(
                uid=f"assignment-{assignment.id}-close@circles",
                title=_("%(title)s closes", title=assignment.title), starts_at=deadline.closes_at, ends_at=None,
                url=url, circle_id=assignment.circle_id, kind="close",
                description=join_sentences(_("Nothing is accepted after this time."), *notes)))
    return [e for e in events if start <= e.starts_at < end]
