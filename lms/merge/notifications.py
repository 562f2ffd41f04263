"""What the merge tells people: a circle's staff learn that a merge left two grades for one student in their
circle (the kept account's counts until they choose on the circle's "Grades from merged accounts" page)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus
from lms.core.urls import path_for
from lms.extensions import db
from lms.notifications import Kind, notify, register_kind

MERGED_GRADES = register_kind(Kind(
    "merged_grades", _l("Grades to choose after two accounts were merged"),
    _l("%(student)s's two accounts were merged: choose which grade counts in %(circle)s (%(count)s to choose)."),
    staff_only=True))


def grade_conflict_circles(merged_id: int) -> dict[int, int]:
    """circle id → the number of grades left on the merged-away account (each a pair to choose)."""
    from lms.grading.models import Grade
    from lms.homework.models import Assignment

    return dict(db.session.execute(
        sa.select(Assignment.circle_id, sa.func.count()).join(Grade, Grade.assignment_id == Assignment.id)
        .where(Grade.student_id == merged_id).group_by(Assignment.circle_id)).all())


def tell_staff_of_conflicts(kept, merged_id: int, merge_event_id: int) -> list[int]:
    """Notify the active staff of each circle where the merge left grade pairs; returns those circles' ids."""
    circles = grade_conflict_circles(merged_id)
    for circle_id, count in sorted(circles.items()):
        circle = db.session.get(Circle, circle_id)
        staff = list(db.session.scalars(sa.select(Membership.user_id).where(
            Membership.circle_id == circle_id, Membership.status == MembershipStatus.active,
            Membership.role.in_(STAFF_ROLES))))
        notify(MERGED_GRADES, staff, url=path_for("merge.grade_conflicts", circle_id=circle_id),
               params={"student": kept.name, "circle": circle.name, "count": str(count)}, circle_id=circle_id,
               subject=("account_merge", merge_event_id))
    return sorted(circles)
