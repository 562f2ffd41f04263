"""Live pushes and mail of the homework domain (sent after the commit)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from lms.core.i18n import format_in_zone, recipient_locale
from lms.core.realtime import emit_to_room
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.homework.lateness import zone
from lms.notifications import Channel, Kind, mark_read_about, notify, register_kind

#: the Socket.IO namespace of homework pages (lms/homework/events.py)
NAMESPACE = "/homework"

EXTENSION_CHANGED = register_kind(Kind(
    "extension_changed", _l("My own due date changes"), _l("Your due date for “%(title)s” has changed."),
    subject=_l("Your due date for “%(title)s” has changed"), mail_template="homework/extension_changed"))
ASSIGNMENT_PUBLISHED = register_kind(Kind(
    "assignment_published", _l("A new assignment is published"),
    _l("New assignment “%(title)s” in %(circle)s."), default=Channel.digest))
ASSIGNMENT_DUE_SOON = register_kind(Kind(
    "assignment_due_soon", _l("An assignment I have not handed in is due within 24 hours"),
    _l("“%(title)s” in %(circle)s is due within 24 hours and you have not handed it in yet.")))
#: how long before a student's due time the reminder goes out
DUE_SOON = timedelta(hours=24)
RESUBMITTED_AFTER_GRADING = register_kind(Kind(
    "resubmitted_after_grading", _l("A student hands in a new version of graded work"),
    _l("%(name)s handed in a new version of “%(title)s” after it was graded."),
    subject=_l("New version of “%(title)s” to grade"), staff_only=True))


def submission_room(submission_id: int) -> str:
    return f"submission:{submission_id}"


def comments_changed(submission) -> None:
    """Tell the pages watching `submission` to reload its comments, once the transaction commits.
    Only the fact travels: each page reloads through the JSON endpoint, which shows each viewer
    what they may see."""
    emit_to_room(submission_room(submission.id), "comments_changed", {"submission_id": submission.id},
                 namespace=NAMESPACE)


def _assignment_path(assignment) -> str:
    return path_for("homework.show", circle_id=assignment.circle_id, assignment_id=assignment.id)


def extension_changed(assignment, student, action, deadline) -> None:
    """Tell `student` that their own times for `assignment` were granted, changed or removed (`action`, an
    ExtensionAction), as Canvas's "Assignment due date override changed" notice does: stored, pushed and
    mailed by the notification service. `deadline` is the Deadline that holds for them now (the
    extension's, or the assignment's after a removal). Times are written in the student's language and
    time zone (their profile's, else the circle's), with the zone named. Nothing is sent about an
    assignment the student cannot see (a draft; a circle they left or were removed from). Call inside the
    request; it leaves once it commits."""
    if not assignment.can_view(student):
        return
    locale = recipient_locale(student)
    tz = zone(student.timezone, assignment.circle.zone.key)
    due = format_in_zone(deadline.due_at, tz, locale) if deadline.due_at else ""
    closes = format_in_zone(deadline.closes_at, tz, locale) if deadline.closes_at else ""
    notify(EXTENSION_CHANGED, [student.id], url=_assignment_path(assignment), circle_id=assignment.circle_id,
           params={"title": assignment.title, "circle": assignment.circle.name, "action": str(action),
                   "due": due, "closes": closes},
           subject=("assignment", assignment.id))


def assignment_opened(assignment, reader_id: int) -> None:
    """The reader opened `assignment` (its page, or their feedback): their unread notifications about it
    (published, due soon, extension changed, grade released, regrade answered) are read now. The caller
    commits."""
    mark_read_about(reader_id, ("assignment", assignment.id))


def _learner_ids(assignment) -> list[int]:
    from lms.circles.models import Membership, MembershipStatus
    from lms.homework.models import LEARNER_ROLES

    return list(db.session.scalars(db.select(Membership.user_id).where(
        Membership.circle_id == assignment.circle_id, Membership.status == MembershipStatus.active,
        Membership.role.in_(LEARNER_ROLES))))


def assignment_published(assignment, author) -> None:
    """Tell the circle's students and members that `assignment` is published (its first publication only:
    a key per assignment, so taking it back to draft and publishing again tells nobody twice). One query
    for the people; a large circle's notifications are written by a job. Leaves after the commit."""
    if assignment.id is None:
        db.session.flush()
    notify(ASSIGNMENT_PUBLISHED, _learner_ids(assignment), url=_assignment_path(assignment),
           circle_id=assignment.circle_id, params={"title": assignment.title, "circle": assignment.circle.name},
           subject=("assignment", assignment.id), actor_id=author.id,
           dedupe_key=f"assignment_published:{assignment.id}")


def remind_due_soon(now: datetime | None = None) -> int:
    """Remind every student of a published assignment (in a circle that is not archived) whose own due time
    (extensions included) falls within the next 24 hours and who has handed nothing in. A key per
    assignment, so nobody is reminded twice. A few queries per assignment due soon. Returns how many
    assignments were looked at."""
    from lms.circles.models import Circle
    from lms.homework import queries as q
    from lms.homework.models import Assignment, Extension, Submission

    now = now or utcnow()
    until = now + DUE_SOON
    extended = db.select(Extension.assignment_id).where(Extension.due_at > now, Extension.due_at <= until)
    assignments = list(db.session.scalars(
        db.select(Assignment).join(Circle, Circle.id == Assignment.circle_id)
        .where(Assignment.is_published.is_(True), Circle.is_archived.is_(False),
               db.or_(db.and_(Assignment.due_at > now, Assignment.due_at <= until), Assignment.id.in_(extended)))
        .order_by(Assignment.id)))
    for assignment in assignments:
        deadlines = q.deadlines_by_student(assignment)
        handed_in = set(db.session.scalars(db.select(Submission.student_id).distinct()
                                           .where(Submission.assignment_id == assignment.id)))
        base = assignment.base_deadline
        due = [student_id for student_id in _learner_ids(assignment)
               if student_id not in handed_in
               and (deadline := deadlines.get(student_id, base)).due_at is not None
               and now < deadline.due_at <= until]
        notify(ASSIGNMENT_DUE_SOON, due, url=_assignment_path(assignment), circle_id=assignment.circle_id,
               params={"title": assignment.title, "circle": assignment.circle.name},
               subject=("assignment", assignment.id), dedupe_key=f"assignment_due_soon:{assignment.id}")
    return len(assignments)


def _grader_ids(assignment) -> list[int]:
    """The circle's active owner, teachers and assistants: who grades (Assignment.can_grade); one query."""
    from lms.circles.models import STAFF_ROLES, Membership, MembershipStatus

    return list(db.session.scalars(db.select(Membership.user_id).where(
        Membership.circle_id == assignment.circle_id, Membership.status == MembershipStatus.active,
        Membership.role.in_(STAFF_ROLES))))


def resubmitted_after_grading(assignment, submission, name: str, grading_url: str) -> None:
    """Tell the circle's graders that a student handed in `submission` (a new version) of work that was
    graded: it waits for a grade again (the grade stays until they grade again), as Canvas tells teachers
    of a resubmission. Stored, pushed, and mailed by each grader's preference for the kind; `name` is the
    student's name in the circle, `grading_url` where their work is graded. One key per version, so a
    resent hand-in tells nobody twice. Call inside the request; it leaves once it commits."""
    notify(RESUBMITTED_AFTER_GRADING, _grader_ids(assignment), url=grading_url, circle_id=assignment.circle_id,
           params={"name": name, "title": assignment.title, "circle": assignment.circle.name},
           subject=("assignment", assignment.id), actor_id=submission.student_id,
           dedupe_key=f"resubmitted_after_grading:{submission.id}")
