"""Telling students about peer review through the notification service (stored, pushed, mailed by their
preference), after the commit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.core.urls import path_for
from lms.notifications import Kind, notify, register_kind

REVIEW_TASKS_ASSIGNED = register_kind(Kind(
    "review_tasks_assigned", _l("I have classmates' work to review"),
    _l("You have classmates' work to review for “%(title)s”."),
    subject=_l("Classmates' work to review for “%(title)s”")))


def tasks_assigned(assignment, reviewer_ids, round_number: int, *, by_hand_id: int | None = None) -> None:
    """Tell `reviewer_ids` they have new review tasks for `assignment` (a round's, or one added by hand).
    Nothing names whose work it is. A reviewer hears once per round (and once per task added by hand)."""
    if not reviewer_ids:
        return
    key = f"review_tasks:{assignment.id}:{round_number}" if by_hand_id is None else f"review_task:{by_hand_id}"
    notify(REVIEW_TASKS_ASSIGNED, list(reviewer_ids),
           url=path_for("homework.show", circle_id=assignment.circle_id, assignment_id=assignment.id),
           circle_id=assignment.circle_id, params={"title": assignment.title, "circle": assignment.circle.name},
           subject=("assignment", assignment.id), dedupe_key=key)
