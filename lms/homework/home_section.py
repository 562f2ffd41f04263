"""The circle home page's "next due" card (lms/circles/home.py): a student's next due times in the circle
that they have not handed in yet, with their own extension; staff's next due assignments, with how many
have handed in. A fixed number of queries whatever the circle's size."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import format_timedelta

from lms.accounts.models import User
from lms.circles.home import SIDE, HomeSection
from lms.circles.models import Circle, CircleKind, Membership
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import queries as q
from lms.homework.lateness import Deadline
from lms.homework.models import LEARNER_ROLES, Assignment, Extension, Submission

#: How many due times the card lists.
SHOWN = 5


class DueAssignment(NamedTuple):
    """An assignment as the card shows it (homework/_home_due.html), read as plain values: the page asks on
    every view, and model objects (with their relationships' loaders) cost more to build than the query to
    run. Its times make the Deadline as Assignment.base_deadline does."""

    id: int
    title: str
    is_published: bool
    opens_at: datetime | None
    due_at: datetime | None
    closes_at: datetime | None

    @property
    def base_deadline(self) -> Deadline:
        return Deadline(self.opens_at, self.due_at, self.closes_at)


class _ExtensionTimes(NamedTuple):
    """A student's extension's times, for Extension.deadline (the one rule of which times hold)."""

    due_at: datetime
    closes_at: datetime | None


_CARD_COLUMNS = (Assignment.id, Assignment.title, Assignment.is_published, Assignment.opens_at, Assignment.due_at,
                 Assignment.closes_at)


def _staff_statement() -> sa.Select:
    """_staff_rows' query by bound parameters (circle_id, now), built once."""
    statement = _STATEMENTS.get("staff")
    if statement is None:
        statement = _STATEMENTS["staff"] = (
            sa.select(*_CARD_COLUMNS)
            .where(Assignment.circle_id == sa.bindparam("circle_id"),
                   Assignment.due_at >= sa.bindparam("now", type_=Assignment.due_at.type))
            .order_by(Assignment.due_at, Assignment.id).limit(SHOWN))
    return statement


def _staff_rows(circle: Circle, now) -> list[DueAssignment]:
    return [DueAssignment(*row) for row in
            db.session.connection().execute(_staff_statement(), {"circle_id": circle.id, "now": now})]


def _learner_statement() -> sa.Select:
    """_learner_rows' query by bound parameters (viewer_id, circle_id, now): built once, since building it
    costs more than running it."""
    statement = _STATEMENTS.get("learner")
    if statement is None:
        viewer_id, now = sa.bindparam("viewer_id"), sa.bindparam("now", type_=Assignment.due_at.type)
        due = sa.func.coalesce(Extension.due_at, Assignment.due_at)
        handed_in = sa.exists().where(Submission.assignment_id == Assignment.id, Submission.student_id == viewer_id)
        statement = _STATEMENTS["learner"] = (
            sa.select(*_CARD_COLUMNS, Extension.id, Extension.due_at, Extension.closes_at)
            .outerjoin(Extension, sa.and_(Extension.assignment_id == Assignment.id, Extension.student_id == viewer_id))
            .where(Assignment.circle_id == sa.bindparam("circle_id"), Assignment.is_published.is_(True), due >= now,
                   ~handed_in)
            .order_by(due, Assignment.id).limit(SHOWN))
    return statement


_STATEMENTS: dict[str, sa.Select] = {}


def _learner_rows(circle: Circle, viewer: User, now) -> list[tuple[DueAssignment, Deadline]]:
    """(assignment, the viewer's deadline) for the published assignments whose due time for the viewer
    (their extension's, else the assignment's) is still ahead and that they have not handed in (one query,
    plain rows on the session's connection)."""
    rows = []
    for row in db.session.connection().execute(_learner_statement(),
                                               {"viewer_id": viewer.id, "circle_id": circle.id, "now": now}):
        assignment = DueAssignment(*row[:6])
        extended = row[6] is not None
        rows.append((assignment, Extension.deadline(_ExtensionTimes(*row[7:9]), assignment) if extended
                     else assignment.base_deadline))
    return rows


def load_next_due(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The card's context, or None when there is nothing to show (a circle without coursework)."""
    return _card(circle, viewer, membership, has_any=True)


def has_assignments(circle_id: sa.ColumnElement[int], _viewer_id) -> sa.ColumnElement[bool]:
    """The card's probe (lms.circles.home), read with the circle: whether it has any assignment at all."""
    return sa.exists().where(Assignment.circle_id == circle_id)


def no_assignments(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """load_next_due for a circle without any assignment (its probe said so): the same card, no query."""
    return _card(circle, viewer, membership, has_any=False)


def _card(circle: Circle, viewer: User, membership: Membership | None, *, has_any: bool) -> dict | None:
    now = utcnow()
    if q.is_circle_staff(circle, viewer):
        rows = [(a, a.base_deadline) for a in _staff_rows(circle, now)] if has_any else []
        counts = q.submitted_counts([a for a, _d in rows]) if rows else {}
        learners = q.learner_count(circle) if rows else 0
        staff = True
    elif membership is not None and membership.is_active and membership.role in LEARNER_ROLES:
        rows = _learner_rows(circle, viewer, now) if has_any else []
        counts, learners, staff = {}, 0, False
    else:
        return None
    if not rows and circle.kind != CircleKind.teaching:
        return None
    rows = [(a, deadline, format_timedelta(deadline.due_at - now)) for a, deadline in rows]
    return {"due_rows": rows, "due_counts": counts, "learner_total": learners, "is_staff_view": staff, "now": now}


SECTION = HomeSection(name="assignments_due", column=SIDE, order=10, template="homework/_home_due.html",
                      load=load_next_due, probe=has_assignments, when_empty=no_assignments)
