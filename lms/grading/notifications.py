"""Telling students about their grades through the notification service: stored, pushed live, and mailed
by their preference (immediately by default), all after the commit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.core.urls import path_for
from lms.notifications import Kind, notify, register_kind

GRADE_RELEASED = register_kind(Kind(
    "grade_released", _l("My grade is released"), _l("Your grade for “%(title)s” is ready."),
    subject=_l("Your grade for “%(title)s” is ready"), mail_template="grading/grade_released"))
GRADE_CHANGED = register_kind(Kind(
    "grade_changed", _l("A grade I can see is changed"), _l("Your grade for “%(title)s” was changed."),
    subject=_l("Your grade for “%(title)s” was changed")))
REGRADE_RESOLVED = register_kind(Kind(
    "regrade_resolved", _l("My regrade request is answered"),
    _l("Your regrade request for “%(title)s” was answered."),
    subject=_l("Your regrade request for “%(title)s” was answered"), mail_template="grading/regrade_resolved"))


def _feedback_path(grade) -> str:
    assignment = grade.assignment
    return path_for("grading.feedback", circle_id=assignment.circle_id, assignment_id=assignment.id)


def grades_released(assignment, student_ids: list[int]) -> None:
    """Tell the students `student_ids` that their grades for `assignment` can be seen: one notify for the
    whole release (a class of 500 is a background fan-out, not 500 calls). Call inside the request; it
    leaves once it commits."""
    if not student_ids:
        return
    notify(GRADE_RELEASED, student_ids,
           url=path_for("grading.feedback", circle_id=assignment.circle_id, assignment_id=assignment.id),
           circle_id=assignment.circle_id, params={"title": assignment.title, "circle": assignment.circle.name},
           subject=("assignment", assignment.id))


def grade_changed(grade, grader_id: int) -> None:
    """Tell the student that a grade they can already see (released) changed: its score, penalty or excuse, or
    the teacher's comment (as Canvas tells of a changed grade). It leaves once the request commits."""
    assignment = grade.assignment
    notify(GRADE_CHANGED, [grade.student_id], url=_feedback_path(grade), circle_id=assignment.circle_id,
           params={"title": assignment.title, "circle": assignment.circle.name},
           subject=("assignment", assignment.id), actor_id=grader_id)


def regrade_resolved(request) -> None:
    """Tell the student that staff answered their regrade request (changed or kept grade, and the answer).
    It leaves once the request commits."""
    from lms.grading.models import RegradeState

    grade = request.grade
    assignment = grade.assignment
    notify(REGRADE_RESOLVED, [grade.student_id], url=_feedback_path(grade), circle_id=assignment.circle_id,
           params={"title": assignment.title, "circle": assignment.circle.name,
                   "accepted": "yes" if request.state == RegradeState.accepted else "",
                   "response": request.response or ""},
           subject=("assignment", assignment.id), actor_id=request.resolved_by_id)
