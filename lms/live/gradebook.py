"""A lesson's attendance as a gradebook column.

The route chosen: the column is an ordinary gradebook item, an Assignment of the circle (published
without the "new assignment" notification, accepting nothing: it is closed from the start), titled
"Attendance: <lesson>", whose grades are written through grading's own `grade_submission` (so the
gradebook's totals, exports, history, audit and release all work as for any other grade). Present earns
the points, late the chosen percentage of them, absent 0. Turning it into a column again updates the
same item (the grades follow the attendance as it is now); deleting the item in the gradebook lets a
new one be made. The lesson remembers its item in `gradebook_assignment_id`.
"""
from __future__ import annotations

from flask_babel import gettext as _

from lms.accounts.models import User
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading import operations as grading
from lms.homework import operations as homework
from lms.homework.models import Accepts, Assignment
from lms.live.attendance import Status, lesson_attendance
from lms.live.models import LiveLesson


def _title(lesson: LiveLesson) -> str:
    return _("Attendance: %(title)s", title=lesson.title)[:200]


def to_gradebook(lesson: LiveLesson, by: User, *, points: float, late_percent: int,
                 release: bool, category_id: int | None = None) -> tuple[Assignment, int]:
    """Create or update the lesson's attendance item and grade every attendee. Returns (item, graded).
    `category_id`: one of the circle's grade categories (so the column counts in the weighted total), or None."""
    assignment = db.session.get(Assignment, lesson.gradebook_assignment_id) if lesson.gradebook_assignment_id else None
    now = utcnow()
    fields = dict(title=_title(lesson), accepts=Accepts.text, allow_attachments=False,
                  instructions_md=_("The attendance of the live lesson “%(title)s”; nothing to hand in.",
                                    title=lesson.title),
                  opens_at=None, due_at=None, closes_at=now, points=float(points), category_id=category_id)
    if assignment is None:
        assignment = homework.create_assignment(lesson.circle, by, publish=False, **fields)
        # published quietly: it is a record, not work to do, so no "new assignment" notification
        assignment.is_published, assignment.published_at = True, now
        lesson.gradebook_assignment_id = assignment.id
    else:
        homework.update_assignment(assignment, by, **fields)
    graded = []
    for record in lesson_attendance(lesson, now):
        if record.status == Status.upcoming:
            continue
        score = {Status.present: points, Status.late: points * late_percent / 100.0}.get(record.status, 0.0)
        student = db.session.get(User, record.user_id)
        grading.grade_submission(assignment, student, by, score=round(score, 2), action="live_attendance")
        graded.append(student)
    if release and graded:
        grading.release_grades(assignment, by, graded)
    db.session.flush()
    return assignment, len(graded)
