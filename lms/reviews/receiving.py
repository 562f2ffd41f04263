"""Receiving reviews: the teacher releases them to their authors (or the window closes), an author reads
the reviews of their own work — reviewers named or numbered by the anonymity setting — marks each helpful
or not, and flags an unfair one for the teacher. Operations flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.circles.models import Membership, MembershipStatus, TEACHING_ROLES
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.homework import queries as hw
from lms.homework.models import Assignment
from lms.reviews import queries as q
from lms.reviews.models import Anonymity, PeerReview, PeerReviewSettings, ReviewAllocation, WindowState
from lms.reviews.notifications import review_flagged, reviews_available

MAX_FLAG_REASON = 2000


class ReceivingError(ValueError):
    """A refused change by an author or teacher; the message is for the user."""


def received_url(assignment: Assignment) -> str:
    return path_for("reviews.received", circle_id=assignment.circle_id, assignment_id=assignment.id)


# -- the teacher releases ----------------------------------------------------------------------

def release(settings: PeerReviewSettings, actor: User) -> list[int]:
    """Let the authors read the reviews of their work now, before the window closes, and tell every author
    who has a handed-in review. Idempotent: a second release changes nothing and tells nobody. Returns the
    ids of the authors told."""
    if not settings.is_enabled:
        raise ReceivingError(_l("Peer review is not on for this assignment."))
    if settings.released_at is not None:
        return []
    settings.released_at = settings.announced_at = utcnow()
    settings.released_by_id = actor.id
    db.session.flush()
    authors = authors_with_reviews(settings.assignment)
    reviews_available(settings.assignment, authors, received_url(settings.assignment), key="released")
    return authors


def announce_closed(settings: PeerReviewSettings, now: datetime | None = None) -> list[int]:
    """After the window has closed (and nothing was released): tell the authors with a handed-in review that
    they can read it, once (`announced_at`). Returns the ids told."""
    if settings.announced_at is not None or settings.window_state(now) != WindowState.closed:
        return []
    settings.announced_at = utcnow()
    db.session.flush()
    authors = authors_with_reviews(settings.assignment)
    reviews_available(settings.assignment, authors, received_url(settings.assignment), key="closed")
    return authors


def announce_late_review(settings: PeerReviewSettings, allocation: ReviewAllocation,
                         now: datetime | None = None) -> bool:
    """A review handed in after its authors were told (a reviewer's extension past the window's close, or
    after an early release): it is readable at once, and its author is told now, once per task. Before the
    announcement nothing is sent here: the announcement will include them. Returns whether told."""
    if settings.announced_at is None or not settings.reviews_visible_to_authors(now):
        return False
    reviews_available(settings.assignment, [allocation.author_id], received_url(settings.assignment),
                      key=f"late:{allocation.id}")
    return True


def closed_unannounced(now: datetime | None = None) -> list[int]:
    """Ids of assignments whose review window has closed and whose authors were not told yet (one query;
    for the periodic job: announce_closed each, committing each)."""
    now = now or utcnow()
    return list(db.session.scalars(
        db.select(PeerReviewSettings.assignment_id).where(
            PeerReviewSettings.is_enabled.is_(True), PeerReviewSettings.announced_at.is_(None),
            PeerReviewSettings.closes_at.is_not(None), PeerReviewSettings.closes_at <= now)
        .order_by(PeerReviewSettings.assignment_id)))


def authors_with_reviews(assignment: Assignment) -> list[int]:
    """Authors with at least one handed-in review on `assignment` (one query)."""
    return list(db.session.scalars(
        db.select(ReviewAllocation.author_id).join(PeerReview, PeerReview.allocation_id == ReviewAllocation.id)
        .where(ReviewAllocation.assignment_id == assignment.id, PeerReview.submitted_at.is_not(None))
        .distinct().order_by(ReviewAllocation.author_id)))


# -- an author reads -------------------------------------------------------------------------

@dataclass
class Received:
    """One review as its author sees it."""

    review: PeerReview
    reviewer_label: str  #: the reviewer's name (reviewers named) or "Reviewer 1", "Reviewer 2", …
    number: int


def received(settings: PeerReviewSettings, author: User) -> list[Received]:
    """The handed-in reviews of `author`'s work, labelled per the anonymity setting: reviewers' names when
    reviewers are named, else "Reviewer 1/2/3" in the order the tasks were given. Empty until the reviews
    are visible to authors (window closed or released)."""
    if not settings.reviews_visible_to_authors():
        return []
    reviews = q.reviews_of_author(settings.assignment, author.id)
    names = {}
    if settings.anonymity == Anonymity.reviewers_named:
        names = hw.memberships_by_user(settings.assignment.circle, {r.allocation.reviewer_id for r in reviews})
    rows = []
    for number, review in enumerate(reviews, start=1):
        member = names.get(review.allocation.reviewer_id)
        label = member.display_name if member is not None else str(_l("Reviewer %(num)d", num=number))
        rows.append(Received(review, label, number))
    return rows


def markers(rows: list[Received]) -> list[dict]:
    """Every timestamped comment of the reviews, for the player's timeline: [{"at", "label"}]."""
    found = [{"at": c.at_seconds, "label": _("%(name)s: %(text)s", name=row.reviewer_label, text=c.body[:80])}
             for row in rows for c in row.review.comments]
    return sorted(found, key=lambda m: m["at"])


def get_received_or_404(settings: PeerReviewSettings, author: User, review_id: int) -> PeerReview:
    """A handed-in review of `author`'s own work, visible to them now; 404 for any other id."""
    for row in received(settings, author):
        if row.review.id == review_id:
            return row.review
    abort(404)


# -- an author answers -------------------------------------------------------------------------

def mark_helpful(review: PeerReview, author: User, helpful: bool | None) -> None:
    """The author's verdict on a review of their work: helpful, not helpful, or withdrawn (None)."""
    if review.allocation.author_id != author.id:
        raise ReceivingError(_l("Only the author of the work can say this."))
    review.helpful = helpful
    db.session.flush()


def flag(review: PeerReview, author: User, reason: str) -> bool:
    """Flag a review of the author's work as unfair, with a reason, and tell the circle's teachers (the
    first flag only; editing the reason tells nobody again). Returns True when newly flagged."""
    if review.allocation.author_id != author.id:
        raise ReceivingError(_l("Only the author of the work can flag its reviews."))
    reason = (reason or "").strip()
    if not reason:
        raise ReceivingError(_l("Say why the review is unfair."))
    if len(reason) > MAX_FLAG_REASON:
        raise ReceivingError(_l("The reason is too long (at most %(max)d characters).", max=MAX_FLAG_REASON))
    is_new = review.flagged_at is None
    review.flag_reason = reason
    if is_new:
        review.flagged_at = utcnow()
    db.session.flush()
    if is_new:
        assignment = review.allocation.assignment
        teachers = list(db.session.scalars(db.select(Membership.user_id).where(
            Membership.circle_id == assignment.circle_id, Membership.status == MembershipStatus.active,
            Membership.role.in_(TEACHING_ROLES))))
        review_flagged(assignment, teachers, path_for("reviews.teacher_submission", circle_id=assignment.circle_id,
                                                      assignment_id=assignment.id,
                                                      author_id=review.allocation.author_id), review.id)
    return is_new


def unflag(review: PeerReview, author: User) -> None:
    """The author withdraws their flag."""
    if review.allocation.author_id != author.id:
        raise ReceivingError(_l("Only the author of the work can flag its reviews."))
    review.flagged_at = None
    review.flag_reason = None
    db.session.flush()
