"""Grades left on a merged-away account: where both accounts had a grade for one assignment, the merge kept
the kept account's and left the other on the merged account (rules.py: grades.student_id MOVE_UNIQUE). The
circle's graders see each such pair and choose which stays: "keep" marks the kept grade as chosen; "use
the other" swaps the two grades' contents and histories, so the kept account now has the other grade and
the merged account keeps the replaced one (nothing is deleted). Each choice is in the grade's history
(GradeChange actions merge_kept / merge_swapped) and the audit log (grade_changed)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle
from lms.extensions import db
from lms.grading.models import Grade, GradeChange
from lms.homework.models import Assignment

KEPT, SWAPPED = "merge_kept", "merge_swapped"
#: what a grade is: swapped as a whole between the two rows (the ids, and so the links to them, stay)
FIELDS = ("submission_id", "score", "criterion_scores", "feedback_md", "is_penalty_waived", "is_excused",
          "graded_by_id", "graded_at", "released_at")


@dataclass
class Conflict:
    assignment: Assignment
    kept: Grade  #: the grade of the kept account (the one the student and the gradebook see)
    other: Grade  #: the grade left on the merged-away account
    merged: User  #: the merged-away account


def _statement(circle_id: int):
    other, merged = aliased(Grade), aliased(User)
    chosen = sa.exists().where(GradeChange.grade_id == Grade.id, GradeChange.action.in_([KEPT, SWAPPED]))
    return (sa.select(Grade, other, merged, Assignment)
            .join(Assignment, Assignment.id == Grade.assignment_id)
            .join(merged, merged.merged_into_id == Grade.student_id)
            .join(other, sa.and_(other.assignment_id == Grade.assignment_id, other.student_id == merged.id))
            .where(Assignment.circle_id == circle_id, ~chosen)
            .order_by(Assignment.id, Grade.id))


def open_conflicts(circle: Circle, viewer: User) -> list[Conflict]:
    """The circle's undecided pairs in assignments `viewer` may grade."""
    return [Conflict(assignment, kept, other, merged)
            for kept, other, merged, assignment in db.session.execute(_statement(circle.id))
            if assignment.can_grade(viewer)]


def get_conflict_or_404(circle: Circle, viewer: User, grade_id: int) -> Conflict:
    from flask import abort

    for conflict in open_conflicts(circle, viewer):
        if conflict.kept.id == grade_id:
            return conflict
    abort(404)


def _history(grade: Grade, actor: User, action: str) -> None:
    db.session.add(GradeChange(grade_id=grade.id, changed_by_id=actor.id, action=action, score=grade.score,
                               criterion_scores=dict(grade.criterion_scores or {}),
                               penalty_percent=grade.penalty_percent, feedback_md=grade.feedback_md or ""))


def choose(conflict: Conflict, actor: User, use_other: bool) -> None:
    """Settle one pair: keep the kept account's grade, or give it the other one (a swap of the two rows'
    contents and histories). Flushes."""
    kept, other = conflict.kept, conflict.other
    if use_other:
        mine = {name: getattr(kept, name) for name in FIELDS}
        theirs = {name: getattr(other, name) for name in FIELDS}
        for name in FIELDS:
            setattr(kept, name, theirs[name])
            setattr(other, name, mine[name])
        db.session.flush()
        db.session.execute(sa.update(GradeChange).where(GradeChange.grade_id.in_([kept.id, other.id]))
                           .values(grade_id=sa.case((GradeChange.grade_id == kept.id, other.id), else_=kept.id))
                           .execution_options(synchronize_session=False))
    _history(kept, actor, SWAPPED if use_other else KEPT)
    student = db.session.get(User, kept.student_id)
    record_event(AuditAction.grade_changed, actor, target=kept, circle_id=conflict.assignment.circle_id,
                 target_label=f"{conflict.assignment.title} · {student.name} <{student.email}>",
                 details={"assignment_id": conflict.assignment.id, "assignment": conflict.assignment.title,
                          "student_id": student.id, "student": student.name,
                          "merge_choice": "other account's grade" if use_other else "kept account's grade",
                          "merged_account": conflict.merged.email, "score": kept.score})
    db.session.flush()
