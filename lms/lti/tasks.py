"""Jobs of the LTI tool: grade passback (AGS) with retries, the scheduled roster sync (NRPS), and the
withdrawal of rotated-out tool keys. Each commits per course or assignment, so one failing platform does
not hold back the others."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def grades_released(assignment_id: int) -> None:
    """Task: a grade of the assignment was released or changed; if its circle is linked to a course with
    AGS, mark the passback pending and send it now."""
    from lms.extensions import db
    from lms.homework.models import Assignment
    from lms.lti import passback

    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not passback.contexts_of(assignment.circle_id):
        return
    passback.request_passback(assignment)
    db.session.commit()  # the send_grades jobs queued by request_passback run now (or on a worker)


def send_grades(sync_id: int) -> None:
    """Task: one attempt of an assignment's passback (the status and error are kept on the row)."""
    from lms.extensions import db
    from lms.lti import passback
    from lms.lti.models import GradeSyncStatus, LtiGradeSync

    row = db.session.get(LtiGradeSync, sync_id)
    if row is None or row.status not in (GradeSyncStatus.pending, GradeSyncStatus.retrying):
        return
    passback.attempt(row)
    db.session.commit()


def retry_grade_passback() -> None:
    """Task (periodic): attempt the passbacks whose backoff is over."""
    from lms.extensions import db
    from lms.lti import passback

    for row in passback.due():
        passback.attempt(row)
        db.session.commit()


def sync_rosters() -> None:
    """Task (periodic): read each linked course's roster (NRPS) and apply it (adds, drops)."""
    import sqlalchemy as sa

    from lms.extensions import db
    from lms.lti import operations as ops
    from lms.lti.models import LtiContext

    ids = list(db.session.scalars(sa.select(LtiContext.id).where(LtiContext.memberships_url.is_not(None))
                                  .order_by(LtiContext.id)))
    for context_id in ids:
        mapped = db.session.get(LtiContext, context_id)
        try:
            ops.sync_from_platform(mapped, actor=None)
            db.session.commit()
        except Exception:  # noqa: BLE001 (one course's failure must not stop the others)
            db.session.rollback()
            log.exception("roster sync of LTI context %s failed", context_id)


def sync_roster(context_id: int) -> None:
    """Task: read one course's roster now (after a teacher's launch, when it was not read lately)."""
    from lms.extensions import db
    from lms.lti import operations as ops
    from lms.lti.models import LtiContext

    mapped = db.session.get(LtiContext, context_id)
    if mapped is not None and mapped.memberships_url:
        ops.sync_from_platform(mapped, actor=None)
        db.session.commit()


def withdraw_tool_keys() -> None:
    """Task (periodic): take rotated-out tool keys whose time is over out of the JWKS."""
    from lms.extensions import db
    from lms.lti import keys

    keys.withdraw_expired()
    db.session.commit()
