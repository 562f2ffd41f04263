"""Reads of peer review: an assignment's set-up, scoped lookups of its tasks, the allocation view's rows,
and the people a round allocates between."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import unicodedata

import sqlalchemy as sa
from flask import abort

from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.inputs import number_key
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import queries as hw
from lms.homework.models import LEARNER_ROLES, Assignment, Submission
from lms.reviews.models import (LIVE_STATES, AllocationState, Anonymity, PeerReview, PeerReviewSettings,
                                ReviewAllocation, ReviewExtension)

#: how often later rounds run while the window is open
ROUND_EVERY = timedelta(hours=1)


def settings_of(assignment: Assignment) -> PeerReviewSettings | None:
    """The assignment's peer-review set-up, or None when nobody has set it up."""
    settings = db.session.get(PeerReviewSettings, assignment.id)
    if settings is not None:
        settings.assignment = assignment
    return settings


def settings_or_new(assignment: Assignment) -> PeerReviewSettings:
    """The set-up, or an unsaved one with the defaults (peer review off) for the form."""
    settings = settings_of(assignment)
    if settings is None:
        settings = PeerReviewSettings(assignment_id=assignment.id, is_enabled=False, reviews_per_submission=3,
                                      anonymity=Anonymity.double_blind, opens_at=None, closes_at=None, rubric_id=None,
                                      comment_min_length=0, min_timestamped_comments=0, score_share=0.0,
                                      reviewing_share=0.0, non_submitters_review=False, separate_groups=False,
                                      rounds=0, shortfall=[], idle=[])
        settings.assignment = assignment
    return settings


def get_allocation_or_404(assignment: Assignment, allocation_id: int) -> ReviewAllocation:
    """A task of `assignment`; 404 for ids of other assignments. The caller has checked the set-up's predicate."""
    allocation = db.session.scalar(db.select(ReviewAllocation).where(
        ReviewAllocation.id == allocation_id, ReviewAllocation.assignment_id == assignment.id))
    if allocation is None:
        abort(404)
    allocation.assignment = assignment
    return allocation


def allocations(assignment: Assignment) -> list[ReviewAllocation]:
    """Every task of the assignment (reassigned ones too), by round then creation; one query."""
    rows = list(db.session.scalars(db.select(ReviewAllocation).where(ReviewAllocation.assignment_id == assignment.id)
                                   .order_by(ReviewAllocation.round, ReviewAllocation.id)))
    for row in rows:
        row.assignment = assignment
    return rows


@dataclass
class Pairs:
    """An assignment's (reviewer, author) pairs, as the allocation reads them."""

    allocated: list[tuple[int, int]]  #: tasks of the rounds that still stand
    by_hand: list[tuple[int, int]]  #: tasks a teacher added or reassigned that still stand
    gone: list[tuple[int, int]]  #: tasks taken back (never made again)


def pairs(assignment: Assignment) -> Pairs:
    """Every (reviewer, author) pair of the assignment, sorted by what it counts for; one query."""
    found = Pairs([], [], [])
    for reviewer_id, author_id, state, by_hand in db.session.execute(
            db.select(ReviewAllocation.reviewer_id, ReviewAllocation.author_id, ReviewAllocation.state,
                      ReviewAllocation.is_by_hand)
            .where(ReviewAllocation.assignment_id == assignment.id).order_by(ReviewAllocation.id)):
        bucket = found.gone if state not in LIVE_STATES else found.by_hand if by_hand else found.allocated
        bucket.append((reviewer_id, author_id))
    return found


def pair_exists(assignment: Assignment, reviewer_id: int, author_id: int) -> bool:
    return bool(db.session.scalar(db.select(db.exists().where(
        ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.reviewer_id == reviewer_id,
        ReviewAllocation.author_id == author_id))))


def reviewers_of_author(assignment: Assignment, author_id: int) -> set[int]:
    """Everyone who has (or had: reassigned tasks count) a review task on `author_id`'s work (one query):
    the pair is never made again, so they cannot take another of that author's tasks."""
    return set(db.session.scalars(db.select(ReviewAllocation.reviewer_id).where(
        ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.author_id == author_id)))


@dataclass
class People:
    """Whom one round allocates between."""

    authors: list[int]  #: whose work is reviewed
    reviewers: list[int]  #: who reviews
    submissions: dict[int, Submission]  #: author → the latest version


def round_people(settings: PeerReviewSettings, first_round: bool) -> People:
    """The circle's active learners who handed in (the first round: on time only, against each one's own
    deadline; later rounds: late work too), and the reviewers: those who handed in, or every active learner
    when students who did not hand in may review. Three queries."""
    assignment = settings.assignment
    active = [m.user_id for m in hw.learners(assignment.circle)]
    latest = hw.latest_submissions(assignment)
    submitted = [user_id for user_id in active if user_id in latest]
    authors = [user_id for user_id in submitted if not (first_round and latest[user_id].lateness.is_late)]
    reviewers = active if settings.non_submitters_review else submitted
    return People(authors, reviewers, latest)


def rounds_due(now: datetime | None = None) -> list[int]:
    """Ids of the published assignments of active (not archived) circles whose review window is open and
    which are due a round: none run yet, or the last an hour ago or more (one query)."""
    now = now or utcnow()
    opens = sa.func.coalesce(PeerReviewSettings.opens_at, Assignment.due_at)
    return list(db.session.scalars(
        db.select(PeerReviewSettings.assignment_id).join(Assignment, Assignment.id == PeerReviewSettings.assignment_id)
        .join(Circle, Circle.id == Assignment.circle_id)
        .where(PeerReviewSettings.is_enabled.is_(True), Assignment.is_published.is_(True), Circle.is_archived.is_(False),
               opens.is_not(None), opens <= now, PeerReviewSettings.closes_at > now,
               sa.or_(PeerReviewSettings.last_round_at.is_(None), PeerReviewSettings.last_round_at <= now - ROUND_EVERY))
        .order_by(PeerReviewSettings.assignment_id)))


def names(assignment: Assignment, user_ids) -> dict[int, Membership]:
    """The circle identities of the people named on the allocation page (one query)."""
    return hw.memberships_by_user(assignment.circle, user_ids)




@dataclass
class Summary:
    """The allocation at a glance: tasks that stand, and the least and most per reviewer and per author."""

    tasks: int = 0
    reviewers: int = 0
    authors: int = 0
    load: tuple[int, int] = (0, 0)  #: fewest and most tasks of a reviewer
    received: tuple[int, int] = (0, 0)  #: fewest and most reviews of a submission
    by_state: dict = None


def summary(assignment: Assignment) -> Summary:
    """Counts of the assignment's tasks by state, and the spread of the loads (three aggregate queries)."""
    live = (ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.state.in_(LIVE_STATES))
    by_state = {state: 0 for state in AllocationState}
    for state, count in db.session.execute(
            db.select(ReviewAllocation.state, sa.func.count()).where(ReviewAllocation.assignment_id == assignment.id)
            .group_by(ReviewAllocation.state)):
        by_state[AllocationState(state)] = count

    def spread(column):
        inner = db.select(sa.func.count().label("n")).where(*live).group_by(column).subquery()
        row = db.session.execute(db.select(sa.func.count(), sa.func.min(inner.c.n), sa.func.max(inner.c.n))).one()
        return row[0] or 0, (row[1] or 0, row[2] or 0)

    reviewers, load = spread(ReviewAllocation.reviewer_id)
    authors, received = spread(ReviewAllocation.author_id)
    return Summary(sum(by_state[s] for s in LIVE_STATES), reviewers, authors, load, received, by_state)


# -- reviews (what reviewers wrote) -----------------------------------------------------------

def _reviews(*where) -> list[PeerReview]:
    return list(db.session.scalars(
        db.select(PeerReview).join(ReviewAllocation, ReviewAllocation.id == PeerReview.allocation_id)
        .where(*where).options(sa.orm.selectinload(PeerReview.comments), sa.orm.contains_eager(PeerReview.allocation))
        .order_by(ReviewAllocation.id)))


def reviews_of_submission(submission_id: int, *, submitted_only: bool = True) -> list[PeerReview]:
    """The reviews of the tasks allocated on one submission (by default handed-in ones only), with their
    allocations and timestamped comments (two queries). Tasks taken back are left out."""
    where = [ReviewAllocation.submission_id == submission_id, ReviewAllocation.state.in_(LIVE_STATES)]
    if submitted_only:
        where.append(PeerReview.submitted_at.is_not(None))
    return _reviews(*where)


def reviews_of_author(assignment: Assignment, author_id: int, *, submitted_only: bool = True) -> list[PeerReview]:
    """The reviews of an author's work on an assignment, whichever version was allocated (two queries)."""
    where = [ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.author_id == author_id,
             ReviewAllocation.state.in_(LIVE_STATES)]
    if submitted_only:
        where.append(PeerReview.submitted_at.is_not(None))
    return _reviews(*where)


def reviews_by_reviewer(assignment: Assignment, reviewer_id: int, *, submitted_only: bool = True) -> list[PeerReview]:
    """The reviews a reviewer wrote on an assignment (two queries)."""
    where = [ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.reviewer_id == reviewer_id,
             ReviewAllocation.state.in_(LIVE_STATES)]
    if submitted_only:
        where.append(PeerReview.submitted_at.is_not(None))
    return _reviews(*where)


def review_of(allocation: ReviewAllocation) -> PeerReview | None:
    """The review written for a task (a draft or handed in), or None when not started."""
    return db.session.scalar(db.select(PeerReview).where(PeerReview.allocation_id == allocation.id)
                             .options(sa.orm.selectinload(PeerReview.comments)))


def tasks_of(assignment: Assignment, reviewer_id: int) -> list[ReviewAllocation]:
    """A reviewer's tasks that still stand on an assignment, in the order they were given (one query)."""
    rows = list(db.session.scalars(db.select(ReviewAllocation).where(
        ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.reviewer_id == reviewer_id,
        ReviewAllocation.state.in_(LIVE_STATES)).order_by(ReviewAllocation.id)))
    for row in rows:
        row.assignment = assignment
    return rows


def latest_work(allocation: ReviewAllocation) -> Submission | None:
    """The latest version of the reviewed author's work (reviewers see the latest at review time)."""
    return db.session.scalar(db.select(Submission).where(
        Submission.assignment_id == allocation.assignment_id, Submission.student_id == allocation.author_id)
        .order_by(Submission.version.desc()).limit(1))


def task_count(assignment_id: int, reviewer_id: int) -> int:
    """How many of a reviewer's tasks on an assignment still stand (one query)."""
    return db.session.scalar(db.select(sa.func.count()).select_from(ReviewAllocation).where(
        ReviewAllocation.assignment_id == assignment_id, ReviewAllocation.reviewer_id == reviewer_id,
        ReviewAllocation.state.in_(LIVE_STATES))) or 0


def has_handed_in_review_of(assignment_id: int, author_id: int) -> bool:
    """Whether someone handed in a review of `author_id`'s work on the assignment (one EXISTS)."""
    return bool(db.session.scalar(db.select(
        db.select(ReviewAllocation.id).join(PeerReview, PeerReview.allocation_id == ReviewAllocation.id)
        .where(ReviewAllocation.assignment_id == assignment_id, ReviewAllocation.author_id == author_id,
               PeerReview.submitted_at.is_not(None)).exists())))


# -- extensions of the review window -----------------------------------------------------------

def extension_of(assignment_id: int, user_id: int | None) -> ReviewExtension | None:
    """One reviewer's extension of the review window on an assignment, or None (one query)."""
    if user_id is None:
        return None
    return db.session.scalar(db.select(ReviewExtension).where(
        ReviewExtension.assignment_id == assignment_id, ReviewExtension.user_id == user_id))


def extensions(assignment: Assignment) -> list[ReviewExtension]:
    """Every extension of the assignment's review window, latest close first (one query)."""
    rows = list(db.session.scalars(db.select(ReviewExtension).where(ReviewExtension.assignment_id == assignment.id)
                                   .order_by(ReviewExtension.closes_at.desc(), ReviewExtension.id)))
    for row in rows:
        row.assignment = assignment
    return rows


# -- choosing a student in a big class -----------------------------------------------------------

def _like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (% and _ typed in a search are not wildcards)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def learners_matching(circle: Circle, search: str | None, *, exclude=()) -> list[Membership]:
    """The circle's active learners (hw.learners' order) whose display name, real name or student number
    contains `search` (case and width ignored; a number as its key, so "sr2026 002" finds SR2026-002);
    all of them for an empty search. Staff-only: it matches the private fields (one query)."""
    query = (db.select(Membership).where(Membership.circle_id == circle.id,
                                         Membership.status == MembershipStatus.active,
                                         Membership.role.in_(LEARNER_ROLES))
             .order_by(Membership.sort_key, Membership.display_name, Membership.id))
    excluded = [user_id for user_id in exclude if user_id is not None]
    if excluded:
        query = query.where(Membership.user_id.not_in(excluded))
    text = unicodedata.normalize("NFKC", search or "").strip().lower()
    if text:
        like = _like(text)
        matches = [sa.func.lower(Membership.display_name).like(like, escape="\\"),
                   sa.func.lower(Membership.real_name).like(like, escape="\\")]
        number = number_key(text)
        if number:
            matches.append(Membership.student_no_key.like(_like(number), escape="\\"))
        query = query.where(sa.or_(*matches))
    return list(db.session.scalars(query))



def unfinished_tasks_on(assignment: Assignment, author_id: int) -> int:
    """How many tasks on an author's work still stand unfinished (not started or a draft; one query)."""
    return db.session.scalar(db.select(sa.func.count()).select_from(ReviewAllocation).where(
        ReviewAllocation.assignment_id == assignment.id, ReviewAllocation.author_id == author_id,
        ReviewAllocation.state.in_((AllocationState.assigned, AllocationState.draft)))) or 0
