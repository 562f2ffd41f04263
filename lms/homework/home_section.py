"""The circle home page's "next due" card (lms/circles/home.py): a student's next due times in the circle
that they have not handed in yet, with their own extension; staff's next due assignments, with how many
have handed in. A fixed number of queries whatever the circle's size."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_timedelta
from sqlalchemy.orm import lazyload

from lms.accounts.models import User
from lms.circles.home import SIDE, HomeSection
from lms.circles.models import Circle, CircleKind, Membership
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import queries as q
from lms.homework.models import LEARNER_ROLES, Assignment, Extension, Submission

#: How many due times the card lists.
SHOWN = 5


#: The card shows titles and due times only: the assignment's circle is the page's own (already in the
#: session, so reading it costs no query) and its rubric and category are not shown, so none of its
#: relationships is loaded with it (joined, they cost more to set up than the query costs to run).
_CARD_LOADS = (lazyload("*"),)


def _staff_statement() -> sa.Select:
    """_staff_rows' query by bound parameters (circle_id, now), built once."""
    statement = _STATEMENTS.get("staff")
    if statement is None:
        statement = _STATEMENTS["staff"] = (
            db.select(Assignment)
            .where(Assignment.circle_id == sa.bindparam("circle_id"),
                   Assignment.due_at >= sa.bindparam("now", type_=Assignment.due_at.type))
            .order_by(Assignment.due_at, Assignment.id).limit(SHOWN)
            .options(*_CARD_LOADS))
    return statement


def _staff_rows(circle: Circle, now):
    return list(db.session.scalars(_staff_statement(), {"circle_id": circle.id, "now": now}))


def _learner_statement() -> sa.Select:
    """_learner_rows' query by bound parameters (viewer_id, circle_id, now): built once, since building it
    costs more than running it."""
    statement = _STATEMENTS.get("learner")
    if statement is None:
        viewer_id, now = sa.bindparam("viewer_id"), sa.bindparam("now", type_=Assignment.due_at.type)
        due = sa.func.coalesce(Extension.due_at, Assignment.due_at)
        handed_in = sa.exists().where(Submission.assignment_id == Assignment.id, Submission.student_id == viewer_id)
        statement = _STATEMENTS["learner"] = (
            db.select(Assignment, Extension)
            .outerjoin(Extension, sa.and_(Extension.assignment_id == Assignment.id, Extension.student_id == viewer_id))
            .where(Assignment.circle_id == sa.bindparam("circle_id"), Assignment.is_published.is_(True), due >= now,
                   ~handed_in)
            .order_by(due, Assignment.id).limit(SHOWN)
            .options(*_CARD_LOADS))
    return statement


_STATEMENTS: dict[str, sa.Select] = {}


def _learner_rows(circle: Circle, viewer: User, now):
    """(assignment, the viewer's deadline) for the published assignments whose due time for the viewer
    (their extension's, else the assignment's) is still ahead and that they have not handed in (one query)."""
    rows = db.session.execute(_learner_statement(),
                              {"viewer_id": viewer.id, "circle_id": circle.id, "now": now}).all()
    return [(a, e.deadline(a) if e is not None else a.base_deadline) for a, e in rows]


def load_next_due(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The card's context, or None when there is nothing to show (a circle without coursework)."""
    now = utcnow()
    if q.is_circle_staff(circle, viewer):
        rows = [(a, a.base_deadline) for a in _staff_rows(circle, now)]
        counts = q.submitted_counts([a for a, _d in rows]) if rows else {}
        learners = q.learner_count(circle) if rows else 0
        staff = True
    elif membership is not None and membership.is_active and membership.role in LEARNER_ROLES:
        rows, counts, learners, staff = _learner_rows(circle, viewer, now), {}, 0, False
    else:
        return None
    if not rows and circle.kind != CircleKind.teaching:
        return None
    rows = [(a, deadline, format_timedelta(deadline.due_at - now)) for a, deadline in rows]
    return {"due_rows": rows, "due_counts": counts, "learner_total": learners, "is_staff_view": staff, "now": now}


SECTION = HomeSection(name="assignments_due", column=SIDE, order=10, template="homework/_home_due.html",
                      load=load_next_due)
