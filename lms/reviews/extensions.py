"""Extensions of the review window: a teacher gives one student a later close for their review tasks.

What moves and what does not:
- the student may open, save and hand in their tasks until their own close (reviewing.window_refusal, the
  one check every reviewing route makes); everyone else's window is unchanged;
- the reminder goes a day before the student's own close (reviewing.reminders_due);
- authors: the window's close (everyone's) still makes the reviews handed in readable and tells their
  authors (receiving.announce_closed); they are not held back for a classmate with an extension. A review
  handed in later, within the extension, is readable as soon as it is handed in, and its author is told
  then (receiving.announce_late_review);
- rounds still run only while everyone's window is open (no new tasks arrive during an extension).

Every grant, change and removal is on the audit log and tells the student. Operations flush, never commit."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.core.types import utcnow
from lms.extensions import db
from lms.reviews import queries as q
from lms.reviews import reviewing as rv
from lms.reviews.models import PeerReviewSettings, ReviewExtension, WindowState
from lms.reviews.notifications import review_extension_changed
from lms.reviews.operations import ReviewError, _learner, member_label


def grant_extension(settings: PeerReviewSettings, student: User | None, actor: User, closes_at: datetime | None,
                    now: datetime | None = None) -> ReviewExtension | None:
    """Give `student` their own close `closes_at` (UTC) of the review window of the set-up's assignment, or
    move the one they have. Audited; the student is told after the commit. Returns the extension, or None
    when nothing changed.

    Raises ReviewError (with the field at fault): peer review off or without a close; someone who is not an
    active student of the circle; no time; a time not after everyone's close, or already past."""
    assignment = settings.assignment
    if not settings.is_enabled or settings.closes_at is None:
        raise ReviewError(_l("Peer review is not on for this assignment."))
    student = _learner(assignment, student.id if student else None, "user_id")
    if closes_at is None:
        raise ReviewError(_l("Give the time their review window closes."), "closes_at")
    if closes_at <= settings.closes_at:
        raise ReviewError(_l("An extension closes later than the review window does."), "closes_at")
    if closes_at <= (now or utcnow()):
        raise ReviewError(_l("Give a time in the future."), "closes_at")
    extension = q.extension_of(assignment.id, student.id)
    before = extension.closes_at if extension is not None else None
    if before == closes_at:
        return None
    if extension is None:
        extension = ReviewExtension(assignment_id=assignment.id, user_id=student.id)
        db.session.add(extension)
    extension.assignment = assignment
    extension.closes_at = closes_at
    extension.granted_by_id = actor.id
    extension.granted_at = now or utcnow()
    db.session.flush()
    action = AuditAction.review_extension_granted if before is None else AuditAction.review_extension_changed
    _record(settings, extension, actor, action, {"from": before, "to": closes_at} if before else closes_at)
    review_extension_changed(assignment, student, "granted" if before is None else "changed", closes_at)
    return extension


def reopen_review(settings: PeerReviewSettings, allocation, actor: User, closes_at: datetime | None = None,
                  now: datetime | None = None):
    """A teacher reopens a handed-in review (reviewing.reopen) so that its reviewer can really change it:
    while the reviewer's window is open, that is all; after it closed for them, the teacher gives the time
    their own window now closes (`closes_at`, UTC), and the extension is granted (or moved) in the same
    action — both audited, the student told. Returns the reopened review.

    Raises ReviewError (nothing changes): the review is not handed in; the window closed for the reviewer and
    no time was given ("closes_at"); any refusal of grant_extension (a time not after everyone's close, or
    past)."""
    window = rv.review_window(settings, allocation.reviewer_id, now)
    closed = window.state == WindowState.closed
    review = rv.reopen(allocation, actor, now)
    if closed:
        if closes_at is None:
            raise ReviewError(_l("The review window has closed for this reviewer: give the time until which "
                                 "they can change the review (an extension), or they cannot open it."), "closes_at")
        grant_extension(settings, db.session.get(User, allocation.reviewer_id), actor, closes_at, now)
    return review


def remove_extension(settings: PeerReviewSettings, extension: ReviewExtension, actor: User) -> None:
    """Take a student's extension back: everyone's window holds for them again (a review they did not hand
    in by then can no longer be changed). Audited; the student is told after the commit."""
    _record(settings, extension, actor, AuditAction.review_extension_removed, extension.closes_at)
    student = db.session.get(User, extension.user_id)
    if student is not None:
        review_extension_changed(settings.assignment, student, "removed", settings.closes_at)
    db.session.delete(extension)
    db.session.flush()


def _record(settings: PeerReviewSettings, extension: ReviewExtension, actor: User, action: AuditAction,
            closes) -> None:
    assignment = settings.assignment
    names = q.names(assignment, {extension.user_id})
    label = member_label(names, extension.user_id)
    record_event(action, actor, target=extension, circle_id=assignment.circle_id,
                 target_label=f"{assignment.title} · {label}", details={
                     "assignment_id": assignment.id, "assignment": assignment.title,
                     "reviewer_id": extension.user_id, "reviewer": label,
                     "review_closes_at": closes, "peer_closes_at": settings.closes_at})
