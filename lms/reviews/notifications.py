"""Telling students about peer review through the notification service (stored, pushed, mailed by their
preference), after the commit."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from lms.core.i18n import format_in_zone, recipient_locale
from lms.core.urls import path_for
from lms.homework.lateness import zone
from lms.core.types import utcnow
from lms.extensions import db
from lms.notifications import Kind, MailRule, notify, register_kind
from lms.notifications.models import Notification

REVIEW_TASKS_ASSIGNED = register_kind(Kind(
    "review_tasks_assigned", _l("I have classmates' work to review"),
    _l("You have classmates' work to review for “%(title)s”."),
    subject=_l("Classmates' work to review for “%(title)s”")))


#: a reviewer is mailed about new review tasks of one assignment at most once in this long (later rounds
#: within it still show on their bell and notifications page)
MAIL_ONCE_IN = timedelta(hours=24)


def _told_lately(assignment, reviewer_ids, now: datetime) -> set[int]:
    """Reviewers already told of new tasks of `assignment` within MAIL_ONCE_IN (one query)."""
    return set(db.session.scalars(db.select(Notification.user_id).where(
        Notification.user_id.in_(list(reviewer_ids)), Notification.kind == REVIEW_TASKS_ASSIGNED.name,
        Notification.subject_type == "assignment", Notification.subject_id == assignment.id,
        Notification.created_at > now - MAIL_ONCE_IN)))


def tasks_assigned(assignment, reviewer_ids, round_number: int, *, by_hand_id: int | None = None) -> None:
    """Tell `reviewer_ids` (only those who got tasks: a round that added nothing to someone tells them
    nothing) they have new review tasks for `assignment` (a round's, or one added by hand). Nothing names
    whose work it is. A reviewer hears once per round (and once per task added by hand) on their bell, but is
    mailed at most once in MAIL_ONCE_IN per assignment: the hourly rounds that cover late work do not send a
    mail each."""
    if not reviewer_ids:
        return
    key = f"review_tasks:{assignment.id}:{round_number}" if by_hand_id is None else f"review_task:{by_hand_id}"
    told = _told_lately(assignment, reviewer_ids, utcnow())
    for ids, rule in (([r for r in reviewer_ids if r not in told], MailRule.preference),
                      ([r for r in reviewer_ids if r in told], MailRule.never)):
        if ids:
            notify(REVIEW_TASKS_ASSIGNED, ids,
                   url=path_for("reviews.my_tasks", circle_id=assignment.circle_id, assignment_id=assignment.id),
                   circle_id=assignment.circle_id, params={"title": assignment.title, "circle": assignment.circle.name},
                   subject=("assignment", assignment.id), dedupe_key=key, mail=rule)


REVIEWS_AVAILABLE = register_kind(Kind(
    "reviews_available", _l("Reviews of my work are available"),
    _l("Classmates' reviews of your work on “%(title)s” are available."),
    subject=_l("Reviews of your work on “%(title)s”")))

REVIEW_FLAGGED = register_kind(Kind(
    "review_flagged", _l("A student flags a peer review as unfair"),
    _l("A student flagged a peer review of “%(title)s” as unfair."), staff_only=True))


def reviews_available(assignment, author_ids, url: str, *, key: str) -> None:
    """Tell the authors in `author_ids` that the reviews of their work can be read (once per release)."""
    if author_ids:
        notify(REVIEWS_AVAILABLE, list(author_ids), url=url, circle_id=assignment.circle_id,
               params={"title": assignment.title, "circle": assignment.circle.name},
               subject=("assignment", assignment.id), dedupe_key=f"reviews_available:{assignment.id}:{key}")


def review_flagged(assignment, teacher_ids, url: str, review_id: int) -> None:
    """Tell the circle's teachers a review is flagged; nothing names the author or the reviewer."""
    if teacher_ids:
        notify(REVIEW_FLAGGED, list(teacher_ids), url=url, circle_id=assignment.circle_id,
               params={"title": assignment.title, "circle": assignment.circle.name},
               subject=("assignment", assignment.id), dedupe_key=f"review_flagged:{review_id}")


REVIEW_EXTENSION_CHANGED = register_kind(Kind(
    "review_extension_changed", _l("My own time to review classmates' work changes"),
    _l("You can review classmates' work on “%(title)s” until %(closes)s."),
    subject=_l("More time to review classmates' work on “%(title)s”"),
    variants=(("changed", _l("Your time to review classmates' work on “%(title)s” now ends %(closes)s.")),
              ("removed", _l("Your extra time to review classmates' work on “%(title)s” is withdrawn; "
                             "the review window closes %(closes)s.")))))


def review_extension_changed(assignment, student, variant: str, closes_at) -> None:
    """Tell `student` their own close of the review window on `assignment` was granted, changed or removed
    (`variant`: "granted", "changed", "removed"); `closes_at` is the close that holds for them now, written
    in their language and time zone with the zone named. Nothing is sent about an assignment they cannot
    see. Leaves after the commit."""
    if not assignment.can_view(student):
        return
    closes = format_in_zone(closes_at, zone(student.timezone, assignment.circle.zone.key),
                            recipient_locale(student)) if closes_at else ""
    notify(REVIEW_EXTENSION_CHANGED, [student.id],
           url=path_for("reviews.my_tasks", circle_id=assignment.circle_id, assignment_id=assignment.id),
           circle_id=assignment.circle_id,
           params={"title": assignment.title, "circle": assignment.circle.name, "closes": closes,
                   "variant": variant}, subject=("assignment", assignment.id))
