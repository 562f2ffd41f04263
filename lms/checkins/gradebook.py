"""A check-in task as a gradebook column: the completion rate.

As live attendance does (lms/live/gradebook.py): the column is an ordinary gradebook item, an Assignment of
the circle published quietly and accepting nothing, titled "Check-ins: <task>", whose grades are written
through grading's own `grade_submission` (so totals, exports, history, audit and release work as for any
grade). A learner earns the points times their completion rate: the scheduled days they checked in for
(make-ups included) over the task's scheduled days so far (up to today, or its last day). Making the
column again updates the same item; the task remembers it in `gradebook_assignment_id`.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from lms.accounts.models import User
from lms.checkins import queries as q
from lms.checkins.models import CheckinTask
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading import operations as grading
from lms.homework import operations as homework
from lms.homework.models import Accepts, Assignment


def completion_rate(task: CheckinTask, done: int, today) -> float:
    """Check-ins done over the scheduled days from the first day to today (0 to 1; 0 before any day)."""
    due = task.count_scheduled(task.starts_on, today)
    return min(1.0, done / due) if due else 0.0


def to_gradebook(task: CheckinTask, by: User, *, points: float, release: bool, category_id: int | None = None,
                 now: datetime | None = None) -> tuple[Assignment, int]:
    """Create or update the task's completion column and grade every learner. Returns (item, graded)."""
    now = now or utcnow()
    today = task.today(now)
    assignment = db.session.get(Assignment, task.gradebook_assignment_id) if task.gradebook_assignment_id else None
    fields = dict(title=_("Check-ins: %(title)s", title=task.title)[:200], accepts=Accepts.text,
                  allow_attachments=False,
                  instructions_md=_("The completion rate of the daily check-in “%(title)s”; nothing to hand in.",
                                    title=task.title),
                  opens_at=None, due_at=None, closes_at=now, points=float(points), category_id=category_id)
    if assignment is None:
        assignment = homework.create_assignment(task.circle, by, publish=False, **fields)
        # published quietly: it is a record, not work to do, so no "new assignment" notification
        assignment.is_published, assignment.published_at = True, now
        task.gradebook_assignment_id = assignment.id
    else:
        homework.update_assignment(assignment, by, **fields)
    rates, _pages = q.member_rates(task, everyone=True)
    graded = []
    for rate in rates:
        student = db.session.get(User, rate.membership.user_id)
        score = round(points * completion_rate(task, rate.total, today), 2)
        grading.grade_submission(assignment, student, by, score=score, action="graded")
        graded.append(student)
    if release and graded:
        grading.release_grades(assignment, by, graded)
    db.session.flush()
    return assignment, len(graded)
