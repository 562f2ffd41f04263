"""A check-in task as a gradebook column: the completion rate.

As live attendance does (lms/live/gradebook.py): the column is an ordinary gradebook item, an Assignment of
the circle published quietly and accepting nothing, titled "Check-ins: <task>", whose grades are written
through grading's own `grade_submission` (so totals, exports, history, audit and release work as for any
grade). A learner earns the points times their completion rate: the scheduled days they checked in for
(make-ups included) over the task's scheduled days so far (up to today, or its last day). Making the
column again updates the same item; the task remembers it in `gradebook_assignment_id`.

The column is not released when made unless the teacher asks (grades at 0 on the first days would
otherwise reach every student's mail); it stays current: a member's grade follows each of their check-ins
(and taking one back), and the whole column is recomputed once a day by the check-ins' sweep, as missed
days lower the rates. Only grades whose score changed are written; a released column stays released,
without new mail.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

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
    is_new = assignment is None
    if assignment is None:
        assignment = homework.create_assignment(task.circle, by, publish=False, **fields)
        # published quietly: it is a record, not work to do, so no "new assignment" notification
        assignment.is_published, assignment.published_at = True, now
        task.gradebook_assignment_id = assignment.id
    else:
        homework.update_assignment(assignment, by, **fields)
    graded = _grade(task, assignment, by, today, only_changed=not is_new)
    task.gradebook_refreshed_on = today
    if release and graded:
        grading.release_grades(assignment, by, graded)
    db.session.flush()
    return assignment, len(graded)


def _grade(task: CheckinTask, assignment: Assignment, by: User, today, user_ids=None,
           only_changed: bool = True) -> list[User]:
    """Grade the learners (of `user_ids`, default all) by their completion rate; with `only_changed`, only
    those whose score differs from their grade. Returns the students graded."""
    from lms.grading.models import Grade

    rates, _pages = q.member_rates(task, everyone=True)
    if user_ids is not None:
        rates = [r for r in rates if r.membership.user_id in set(user_ids)]
    scores = {row.student_id: row.score for row in db.session.execute(
        sa.select(Grade.student_id, Grade.score).where(Grade.assignment_id == assignment.id))} if only_changed else {}
    graded = []
    for rate in rates:
        score = round(assignment.points * completion_rate(task, rate.total, today), 2)
        if only_changed and scores.get(rate.membership.user_id) == score:
            continue
        student = db.session.get(User, rate.membership.user_id)
        grading.grade_submission(assignment, student, by, score=score, action="graded")
        graded.append(student)
    return graded


def refresh_column(task: CheckinTask, user_ids=None, now: datetime | None = None) -> int:
    """Bring the task's gradebook column (if it has one) up to date: the learners of `user_ids` (default:
    all), graded by the column's author (else the task's), writing only the scores that changed; no release,
    no mail. Returns how many grades changed."""
    if not task.gradebook_assignment_id:
        return 0
    assignment = db.session.get(Assignment, task.gradebook_assignment_id)
    grader = db.session.get(User, assignment.created_by_id or task.created_by_id or 0) if assignment else None
    if assignment is None or grader is None:
        return 0
    today = task.today(now or utcnow())
    changed = _grade(task, assignment, grader, today, user_ids)
    if user_ids is None:
        task.gradebook_refreshed_on = today
    db.session.flush()
    return len(changed)


def refresh_columns(now: datetime | None = None) -> int:
    """The daily pass of the check-ins' sweep: every task with a gradebook column not yet recomputed today
    (in its circle's time zone) is recomputed. Returns how many columns were."""
    now = now or utcnow()
    count = 0
    for task in db.session.scalars(sa.select(CheckinTask).where(CheckinTask.gradebook_assignment_id.is_not(None))):
        if task.gradebook_refreshed_on != task.today(now):
            refresh_column(task, now=now)
            count += 1
    return count
