"""Every state change of peer review: the set-up, the allocation rounds, a teacher's reassignment and
tasks added by hand. Flush, never commit."""
from __future__ import annotations

import math
from datetime import datetime

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Membership, MembershipStatus
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import queries as hw
from lms.homework.grades import grade_source
from lms.homework.models import LEARNER_ROLES, Assignment
from lms.reviews import queries as q
from lms.reviews.allocation import Allocation, allocate
from lms.reviews.groups import groups_for
from lms.reviews.models import Anonymity, AllocationState, PeerReviewSettings, ReviewAllocation, WindowState
from lms.reviews.notifications import tasks_assigned

MAX_K = 20
MAX_COMMENT_LENGTH = 5000
MAX_TIMESTAMPED = 50


class ReviewError(ValueError):
    """A refused peer-review change; the message is for the user, `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


# -- set-up ----------------------------------------------------------------------------------

#: What save_settings accepts.
SETTINGS_FIELDS = ("is_enabled", "reviews_per_submission", "opens_at", "closes_at", "anonymity", "rubric_id",
                   "comment_min_length", "min_timestamped_comments", "score_share", "reviewing_share",
                   "non_submitters_review", "separate_groups")


def save_settings(assignment: Assignment, actor: User, **values) -> PeerReviewSettings:
    """Turn peer review on or off for `assignment` and set it up (fields: SETTINGS_FIELDS; times UTC).

    Raises ReviewError (with the field at fault): k below 1 or above MAX_K; a window without a closing
    time, opening with no due time to open at, opening before the due time, or closing before it opens; a rubric of another circle;
    a minimum out of range; grade shares outside 0–100 or adding up to more than 100; and, once tasks
    were allocated, a different k or turning the group rule on (the allocation would no longer hold)."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown peer review fields: {sorted(unknown)}")
    settings = q.settings_of(assignment)
    is_new = settings is None
    if is_new:
        settings = q.settings_or_new(assignment)
    before = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
    v = {**before, **values}
    _check(assignment, settings, v)
    for name in SETTINGS_FIELDS:
        setattr(settings, name, v[name])
    settings.anonymity = Anonymity(v["anonymity"])
    settings.updated_by_id = actor.id
    if is_new:
        db.session.add(settings)
    db.session.flush()
    # "peer_" keeps these keys apart from other domains' (an assignment's own closes_at reads "Closes")
    changed = {f"peer_{name}": {"from": before[name], "to": getattr(settings, name)}
               for name in SETTINGS_FIELDS if before[name] != getattr(settings, name)}
    if changed or is_new:
        record_event(AuditAction.peer_review_changed, actor, target=assignment, circle_id=assignment.circle_id,
                     details={"assignment_id": assignment.id, "assignment": assignment.title, **changed})
    return settings


def _check(assignment: Assignment, settings: PeerReviewSettings, v: dict) -> None:
    k = v["reviews_per_submission"]
    if k is None or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ReviewError(_l("Reviews per submission must be a whole number from 1 to %(max)d.", max=MAX_K),
                          "reviews_per_submission")
    opens_at, closes_at = v["opens_at"], v["closes_at"]
    opening = opens_at or assignment.due_at
    if v["is_enabled"]:
        if opening is None:
            raise ReviewError(_l("The assignment has no due time: give the time the review window opens."),
                              "opens_at")
        if closes_at is None:
            raise ReviewError(_l("Give the time the review window closes."), "closes_at")
    if opens_at is not None and assignment.due_at is not None and opens_at < assignment.due_at:
        # Reviews go to the work handed in on time, so the window cannot open before the work is due.
        raise ReviewError(_l("The review window opens at the due time or later."), "opens_at")
    if opening is not None and closes_at is not None and closes_at <= opening:
        raise ReviewError(_l("The review window must close after it opens."), "closes_at")
    if v["rubric_id"] is not None and v["rubric_id"] not in dict(grade_source().rubric_choices(assignment.circle)):
        raise ReviewError(_l("Choose one of this circle's rubrics."), "rubric_id")
    for name, top in (("comment_min_length", MAX_COMMENT_LENGTH), ("min_timestamped_comments", MAX_TIMESTAMPED)):
        value = v[name]
        if value is None or isinstance(value, bool) or not 0 <= value <= top:
            raise ReviewError(_l("Give a whole number from 0 to %(max)d.", max=top), name)
    for name in ("score_share", "reviewing_share"):
        value = v[name]
        if value is None or not math.isfinite(value) or not 0 <= value <= 100:
            raise ReviewError(_l("Give a percentage from 0 to 100."), name)
    if v["score_share"] + v["reviewing_share"] > 100:
        raise ReviewError(_l("The two peer shares add up to more than %(max)d %%.", max=100), "reviewing_share")
    if settings.rounds:
        if k != settings.reviews_per_submission:
            raise ReviewError(_l("Reviews are already allocated, so the number of reviews per submission stays "
                                 "%(k)d. Add reviews by hand instead.", k=settings.reviews_per_submission),
                              "reviews_per_submission")
        if v["separate_groups"] and not settings.separate_groups:
            raise ReviewError(_l("Reviews are already allocated; the group rule can no longer be turned on."),
                              "separate_groups")


# -- rounds ----------------------------------------------------------------------------------

def run_round(settings: PeerReviewSettings, now: datetime | None = None, *, force: bool = False
              ) -> Allocation | None:
    """Run the next allocation round of an assignment whose review window is open: the first gives every
    on-time submission k reviews and every reviewer k tasks; later ones cover late work and newcomers
    without moving earlier tasks (lms/reviews/allocation.py). Records what could not be covered on the
    set-up (the teacher's page shows it) and tells the reviewers who got new tasks (after the commit).

    Locks the set-up's row first (PostgreSQL), so two schedulers never run the same round; returns None when
    the window is not open, or when the last round ran less than an hour ago (another process ran it
    meanwhile) unless `force` (the teacher's "Allocate now")."""
    now = now or utcnow()
    assignment = settings.assignment
    db.session.execute(db.select(PeerReviewSettings.assignment_id)
                       .where(PeerReviewSettings.assignment_id == assignment.id).with_for_update())
    db.session.refresh(settings)
    if (settings.window_state(now) != WindowState.open or not assignment.is_published
            or assignment.circle.is_archived):
        return None
    if not force and settings.last_round_at is not None and now - settings.last_round_at < q.ROUND_EVERY:
        return None
    number = settings.rounds + 1
    people = q.round_people(settings, first_round=settings.rounds == 0)
    made = q.pairs(assignment)
    result = allocate(people.authors, people.reviewers, settings.reviews_per_submission, existing=made.allocated,
                      by_hand=made.by_hand, avoid=made.gone,
                      groups=groups_for(assignment) if settings.separate_groups else None,
                      seed=f"{assignment.id}:{number}")
    rows = [{"assignment_id": assignment.id, "reviewer_id": reviewer, "author_id": author,
             "submission_id": people.submissions[author].id, "round": number, "state": AllocationState.assigned,
             "is_by_hand": False, "created_at": now} for reviewer, author in result.tasks]
    if rows:
        db.session.execute(db.insert(ReviewAllocation), rows)  # one INSERT, whatever the class size
    settings.rounds = number
    settings.last_round_at = now
    settings.shortfall = [{"author_id": s.author, "missing": s.missing, "eligible": s.eligible}
                          for s in result.shortfall]
    settings.idle = [{"reviewer_id": r, "missing": n} for r, n in result.idle.items()]
    db.session.flush()
    tasks_assigned(assignment, sorted({reviewer for reviewer, _ in result.tasks}), number)
    return result


# -- the teacher's changes -------------------------------------------------------------------

def _learner(assignment: Assignment, user_id: int | None, field: str) -> User:
    """An active student of the assignment's circle, or ReviewError."""
    membership = db.session.scalar(db.select(Membership).where(
        Membership.circle_id == assignment.circle_id, Membership.user_id == user_id,
        Membership.status == MembershipStatus.active, Membership.role.in_(LEARNER_ROLES)))
    if membership is None:
        raise ReviewError(_l("Choose one of the circle's students."), field)
    return membership.user


def _check_pair(settings: PeerReviewSettings, reviewer: User, author_id: int) -> None:
    assignment = settings.assignment
    if reviewer.id == author_id:
        raise ReviewError(_l("Nobody reviews their own work."), "reviewer_id")
    if q.pair_exists(assignment, reviewer.id, author_id):
        raise ReviewError(_l("This student already has (or had) this review task."), "reviewer_id")
    if settings.separate_groups:
        groups = groups_for(assignment)
        if groups.get(reviewer.id) is not None and groups.get(reviewer.id) == groups.get(author_id):
            raise ReviewError(_l("Members of one group do not review each other in this assignment."),
                              "reviewer_id")


def reassign_task(allocation: ReviewAllocation, reviewer: User | None, actor: User,
                  settings: PeerReviewSettings) -> ReviewAllocation:
    """Give a task not handed in yet to another student: the old one is kept as reassigned (that pair is
    never made again) and the new reviewer gets a task of the same round, marked by hand. Audited.

    Raises ReviewError: a review already handed in or reassigned, someone who is not an active student, the
    author themselves, a pair made before, a group mate under the group rule."""
    if not allocation.can_reassign:
        raise ReviewError(_l("This review is handed in or already reassigned; it stays as it is."))
    assignment = allocation.assignment
    reviewer = _learner(assignment, reviewer.id if reviewer else None, "reviewer_id")
    _check_pair(settings, reviewer, allocation.author_id)
    now = utcnow()
    allocation.state = AllocationState.reassigned
    allocation.reassigned_at = now
    task = ReviewAllocation(assignment_id=assignment.id, reviewer_id=reviewer.id, author_id=allocation.author_id,
                            submission_id=allocation.submission_id, round=allocation.round, is_by_hand=True,
                            state=AllocationState.assigned, created_by_id=actor.id, created_at=now)
    db.session.add(task)
    db.session.flush()
    names = q.names(assignment, {allocation.reviewer_id, reviewer.id, allocation.author_id})
    record_event(AuditAction.review_reassigned, actor, target=task, circle_id=assignment.circle_id,
                 target_label=f"{assignment.title} · {member_label(names, allocation.author_id)}", details={
                     "assignment_id": assignment.id, "assignment": assignment.title,
                     "author_id": allocation.author_id, "author": member_label(names, allocation.author_id),
                     "previous_reviewer_id": allocation.reviewer_id, "reviewer_id": reviewer.id,
                     "reviewer": {"from": member_label(names, allocation.reviewer_id), "to": member_label(names, reviewer.id)}})
    tasks_assigned(assignment, [reviewer.id], task.round, by_hand_id=task.id)
    return task


def add_task(settings: PeerReviewSettings, reviewer: User | None, author: User | None, actor: User) -> ReviewAllocation:
    """Add one review task by hand: `reviewer` reviews `author`'s latest work. Audited.

    Raises ReviewError: not active students, an author who handed nothing in, a reviewer who may not review
    (handed nothing in while only those who did may review), the same person, a pair made before, group mates
    under the group rule."""
    assignment = settings.assignment
    reviewer = _learner(assignment, reviewer.id if reviewer else None, "reviewer_id")
    author = _learner(assignment, author.id if author else None, "author_id")
    submission = hw.latest_submission(assignment, author)
    if submission is None:
        raise ReviewError(_l("This student has handed nothing in to review."), "author_id")
    if not settings.non_submitters_review and hw.latest_submission(assignment, reviewer) is None:
        raise ReviewError(_l("Only students who handed in may review in this assignment."), "reviewer_id")
    _check_pair(settings, reviewer, author.id)
    task = ReviewAllocation(assignment_id=assignment.id, reviewer_id=reviewer.id, author_id=author.id,
                            submission_id=submission.id, round=0, is_by_hand=True, state=AllocationState.assigned,
                            created_by_id=actor.id, created_at=utcnow())
    db.session.add(task)
    db.session.flush()
    names = q.names(assignment, {reviewer.id, author.id})
    record_event(AuditAction.review_added, actor, target=task, circle_id=assignment.circle_id,
                 target_label=f"{assignment.title} · {member_label(names, author.id)}", details={
                     "assignment_id": assignment.id, "assignment": assignment.title,
                     "author_id": author.id, "author": member_label(names, author.id),
                     "reviewer_id": reviewer.id, "reviewer": member_label(names, reviewer.id)})
    tasks_assigned(assignment, [reviewer.id], 0, by_hand_id=task.id)
    return task


def member_label(names: dict, user_id: int) -> str:
    """The circle display name of `user_id` from `names` (queries.names), or the id when they left."""
    membership = names.get(user_id)
    return membership.display_name if membership is not None else str(user_id)
