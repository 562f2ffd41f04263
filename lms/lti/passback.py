"""Automatic grade passback (LTI Assignment and Grade Services): when a grade of an assignment in a circle
made from an LMS course is released (or a released one changes), the assignment's released scores go to
the course's gradebook in a background job, retried with backoff; the teacher sees each assignment's
status and the last error on the linked course page.

Grading knows nothing of LTI (lti sits above it): a session hook notices released grades being flushed
and queues one job per assignment after the commit."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.core.types import utcnow
from lms.extensions import db
from lms.lti.models import GradeSyncStatus, LtiContext, LtiGradeSync

#: attempts before a passback is given up (the teacher may send again by hand)
MAX_ATTEMPTS = 6
#: the wait after the first failure; doubled after each further one (1, 2, 4, 8, 16 minutes)
FIRST_BACKOFF = timedelta(minutes=1)
_SEEN = "lti_passback_assignments"


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failures in a row."""
    return FIRST_BACKOFF * (2 ** max(0, attempts - 1))


def resource_id(assignment) -> str:
    return f"circles-assignment-{assignment.id}"


def contexts_of(circle_id: int) -> list[LtiContext]:
    """The circle's linked courses that offer AGS."""
    return list(db.session.scalars(sa.select(LtiContext).where(LtiContext.circle_id == circle_id,
                                                               LtiContext.lineitems_url.is_not(None))
                                   .order_by(LtiContext.id)))


def request_passback(assignment) -> list[LtiGradeSync]:
    """Mark the assignment's passback to each linked course as pending (made if new); the job is queued after
    the commit. Returns the rows (none when the circle has no course with AGS)."""
    from lms.jobs import Task, enqueue_after_commit

    rows = []
    for mapped in contexts_of(assignment.circle_id):
        row = db.session.scalar(sa.select(LtiGradeSync).where(LtiGradeSync.context_id == mapped.id,
                                                             LtiGradeSync.assignment_id == assignment.id))
        if row is None:
            row = LtiGradeSync(context_id=mapped.id, assignment_id=assignment.id)
            db.session.add(row)
        row.status, row.attempts, row.next_attempt_at = GradeSyncStatus.pending, 0, utcnow()
        rows.append(row)
    db.session.flush()
    for row in rows:
        enqueue_after_commit(Task.lti_send_grades, row.id)
    return rows


def attempt(row: LtiGradeSync) -> bool:
    """Send the assignment's released scores once. On success the row is `sent`; on failure it is
    `retrying` with its next attempt after the backoff, or `failed` after MAX_ATTEMPTS. True if sent."""
    from lms.homework.models import Assignment
    from lms.lti import services
    from lms.lti.launch import LaunchError
    from lms.lti.operations import released_scores

    mapped = row.context
    assignment = db.session.get(Assignment, row.assignment_id)
    if assignment is None or not mapped.lineitems_url:
        row.status, row.next_attempt_at = GradeSyncStatus.failed, None
        row.last_error = str(_l("The course no longer offers its gradebook to Circles."))
        db.session.flush()
        return False
    try:
        if not assignment.points:
            raise LaunchError(_l("The assignment has no points, so the gradebook cannot take its scores."))
        sent = services.send_scores(mapped.platform, mapped.lineitems_url, resource_id(assignment),
                                    assignment.title, float(assignment.points), released_scores(mapped, assignment))
    except LaunchError as error:
        row.attempts += 1
        row.last_error = str(error)[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = GradeSyncStatus.failed, None
        else:
            row.status, row.next_attempt_at = GradeSyncStatus.retrying, utcnow() + backoff(row.attempts)
        db.session.flush()
        return False
    row.status, row.attempts, row.next_attempt_at, row.last_error = GradeSyncStatus.sent, 0, None, ""
    row.sent_count, row.sent_at = sent, utcnow()
    db.session.flush()
    return True


def due() -> list[LtiGradeSync]:
    """Passbacks waiting whose time has come (pending ones a lost job left, retries after their backoff)."""
    return list(db.session.scalars(
        sa.select(LtiGradeSync).where(LtiGradeSync.status.in_([GradeSyncStatus.pending, GradeSyncStatus.retrying]),
                                      LtiGradeSync.next_attempt_at <= utcnow())
        .order_by(LtiGradeSync.next_attempt_at).limit(200)))


def statuses(mapped: LtiContext) -> dict[int, LtiGradeSync]:
    """assignment id → its passback row, for the linked course page."""
    return {row.assignment_id: row for row in db.session.scalars(
        sa.select(LtiGradeSync).where(LtiGradeSync.context_id == mapped.id))}


def failed_count(mapped: LtiContext) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LtiGradeSync).where(
        LtiGradeSync.context_id == mapped.id, LtiGradeSync.status == GradeSyncStatus.failed)) or 0


# -- the hook: released grades flushed → a job per assignment after the commit ----------------------

def _released_or_changed(obj) -> bool:
    if obj.released_at is None:
        return False
    state = sa.inspect(obj)
    if state.pending:
        return True
    return any(state.attrs[name].history.has_changes()
               for name in ("released_at", "score", "penalty_percent", "is_excused") if name in state.attrs)


@event.listens_for(Session, "before_flush")
def _notice_released_grades(session: Session, _context, _instances) -> None:
    from lms.grading.models import Grade

    grades = [obj for obj in (*session.new, *session.dirty) if isinstance(obj, Grade)]
    if not grades:
        return
    seen: set[int] = session.info.setdefault(_SEEN, set())
    for grade in grades:
        if grade.assignment_id and grade.assignment_id not in seen and _released_or_changed(grade):
            seen.add(grade.assignment_id)
            _queue(session, grade.assignment_id)


def _queue(session: Session, assignment_id: int) -> None:
    from lms.jobs import Task, after_commit, after_rollback, enqueue_after_commit

    if len(session.info[_SEEN]) == 1:  # the first of this transaction: forget them when it ends
        after_commit(lambda: session.info.pop(_SEEN, None))
        after_rollback(lambda: session.info.pop(_SEEN, None))
    enqueue_after_commit(Task.lti_grades_released, assignment_id)
