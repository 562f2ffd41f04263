"""The reviewing side of peer review: a reviewer's tasks, the rubric they score with (read from grading's
tables without importing grading), drafts that save themselves, comments pinned to moments of the video,
the final hand-in (reopened only by a teacher), the reminder before the window closes, and the labels
("Classmate A") that keep an author anonymous. Operations flush, never commit."""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.core.i18n import format_names
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.homework.models import Assignment
from lms.notifications import Kind, notify, register_kind
from lms.reviews import queries as q
from lms.reviews.models import (LIVE_STATES, AllocationState, Anonymity, PeerReview, PeerReviewSettings,
                                ReviewAllocation, ReviewComment, ReviewExtension, WindowState)
from lms.reviews.operations import ReviewError, member_label

MAX_OVERALL = 20000
MAX_COMMENT = 2000
MAX_COMMENTS = 200
#: the reminder goes this long before the window closes
REMIND_BEFORE = timedelta(hours=24)

# -- the rubric (grading's tables, read as plain tables: reviews sits below grading) ---------------

_criteria = sa.table("rubric_criteria", sa.column("id"), sa.column("rubric_id"), sa.column("position"),
                     sa.column("title"), sa.column("description"), sa.column("points"),
                     sa.column("levels", sa.JSON))
_rubrics = sa.table("rubrics", sa.column("id"), sa.column("title"))


@dataclass
class Level:
    title: str
    points: float
    description: str = ""


@dataclass
class Criterion:
    id: int
    title: str
    description: str
    points: float
    levels: list[Level] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.id)


@dataclass
class RubricView:
    title: str
    criteria: list[Criterion]

    @property
    def points(self) -> float:
        return sum(c.points for c in self.criteria)


def rubric_id_of(settings: PeerReviewSettings) -> int | None:
    """The rubric reviewers score with: the set-up's own, else the assignment's."""
    return settings.rubric_id or settings.assignment.rubric_id


def rubric_for(settings: PeerReviewSettings) -> RubricView | None:
    """The rubric reviewers score with, criteria in order (two queries), or None when there is none."""
    rubric_id = rubric_id_of(settings)
    if rubric_id is None:
        return None
    title = db.session.scalar(sa.select(_rubrics.c.title).where(_rubrics.c.id == rubric_id))
    if title is None:
        return None
    criteria = []
    for row in db.session.execute(sa.select(_criteria).where(_criteria.c.rubric_id == rubric_id)
                                  .order_by(_criteria.c.position, _criteria.c.id)):
        levels = [Level(str(level.get("title", "")), float(level.get("points") or 0), str(level.get("description", "")))
                  for level in (row.levels or []) if isinstance(level, dict)]
        criteria.append(Criterion(row.id, row.title, row.description or "", float(row.points or 0), levels))
    return RubricView(title, criteria)


# -- labels -------------------------------------------------------------------------------------

def letter(index: int) -> str:
    """A, B, …, Z, AA, AB, … for the index-th task of a reviewer."""
    letters = string.ascii_uppercase
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = letters[rest] + text
    return text


def shows_author(settings: PeerReviewSettings) -> bool:
    """Do reviewers see whose work they review? Only when authors are named."""
    return settings.anonymity == Anonymity.authors_named


def task_labels(assignment: Assignment, reviewer_id: int, settings: PeerReviewSettings) -> dict[int, str]:
    """allocation id → what the reviewer sees for whose work it is: "Classmate A", "Classmate B", … in the
    order the tasks were given, or the author's circle name when authors are named."""
    tasks = q.tasks_of(assignment, reviewer_id)
    if shows_author(settings):
        names = q.names(assignment, {t.author_id for t in tasks})
        return {t.id: names[t.author_id].display_name if t.author_id in names else _("A classmate") for t in tasks}
    return {t.id: _("Classmate %(letter)s", letter=letter(i)) for i, t in enumerate(tasks)}


# -- who may do what ----------------------------------------------------------------------------

def is_reviewer(allocation: ReviewAllocation, user: User | None) -> bool:
    """The task's reviewer, while the task still stands."""
    return bool(user and user.is_authenticated and allocation.reviewer_id == user.id and allocation.is_live)


@dataclass
class ReviewWindow:
    """One reviewer's review window: everyone's, or later with their extension."""

    state: WindowState
    closes_at: datetime | None
    extension: ReviewExtension | None = None

    @property
    def is_open(self) -> bool:
        return self.state == WindowState.open


def review_window(settings: PeerReviewSettings, reviewer_id: int | None, now: datetime | None = None
                  ) -> ReviewWindow:
    """The review window as it stands for `reviewer_id` (their extension counted; one query): the one
    answer every page and route reads about whether that reviewer may write now."""
    extension = q.extension_of(settings.assignment_id, reviewer_id)
    return ReviewWindow(settings.window_state(now, extension), settings.closes_at_for(extension), extension)


def window_refusal(settings: PeerReviewSettings, reviewer_id: int | None = None, now: datetime | None = None
                   ) -> str | None:
    """THE check of the clock for writing a review: why `reviewer_id` may not open, save or hand in their
    reviews now (before the window opens, after it closes — after their own extension's close when they
    have one), or None when their window is open. Every route that shows, saves or submits a review goes
    through it (review_routes._task); without `reviewer_id`, everyone's window."""
    state = review_window(settings, reviewer_id, now).state
    if state.value == "open":
        return None
    if state.value == "not_open":
        return _("The review window has not opened yet.")
    if state.value == "closed":
        return _("The review window has closed: reviews can no longer be written or changed.")
    return _("Peer review is not on for this assignment.")


# -- drafts and hand-in -------------------------------------------------------------------------

def review_for(allocation: ReviewAllocation, now: datetime | None = None) -> PeerReview:
    """The task's review, started now if it was not (the task becomes a draft)."""
    review = q.review_of(allocation)
    if review is None:
        review = PeerReview(allocation_id=allocation.id, criterion_scores={}, overall_comment="",
                            started_at=now or utcnow())
        review.allocation = allocation
        db.session.add(review)
        if allocation.state == AllocationState.assigned:
            allocation.state = AllocationState.draft
        db.session.flush()
    return review


def _editable(review: PeerReview) -> None:
    if review.is_submitted:
        raise ReviewError(_("This review is handed in; only a teacher can reopen it."))


def clean_scores(rubric: RubricView | None, raw) -> dict:
    """The scores a form or script sent, kept to the rubric's criteria and levels: {key: {"level", "points"}}.
    `raw`: {criterion key: level position (int or digit string) or "" for none}."""
    if rubric is None or not isinstance(raw, dict):
        return {}
    scores = {}
    for criterion in rubric.criteria:
        value = raw.get(criterion.key)
        if value in (None, ""):
            continue
        try:
            index = int(value)
        except (TypeError, ValueError):
            continue
        if 0 <= index < len(criterion.levels):
            scores[criterion.key] = {"level": index, "points": criterion.levels[index].points}
    return scores


@dataclass
class TypedReview:
    """What a reviewer sent with a hand-in that came outside their window: shown again on the task page (read
    only), never saved, so nothing they typed is lost from the page."""

    criterion_scores: dict
    overall_comment: str
    comments: list
    draft_saved_at: datetime | None = None
    is_submitted: bool = False


def as_typed(review: PeerReview | None, rubric: RubricView | None, scores, overall) -> PeerReview | TypedReview:
    """The review as the page shows it after a refused late hand-in: a review already handed in as it is;
    otherwise the scores and overall comment just sent (kept to the rubric, as a draft would be) with the
    comments pinned so far."""
    if review is not None and review.is_submitted:
        return review
    return TypedReview(clean_scores(rubric, scores), str(overall or "")[:MAX_OVERALL],
                       list(review.comments) if review is not None else [],
                       review.draft_saved_at if review is not None else None)


def save_draft(review: PeerReview, rubric: RubricView | None, *, scores=None, overall: str | None = None,
               now: datetime | None = None) -> PeerReview:
    """Keep what the reviewer typed so far (scores and the overall comment); nothing is checked but sizes."""
    _editable(review)
    if scores is not None:
        review.criterion_scores = clean_scores(rubric, scores)
    if overall is not None:
        review.overall_comment = str(overall)[:MAX_OVERALL]
    review.draft_saved_at = now or utcnow()
    db.session.flush()
    return review


def _seconds(at, duration: float | None) -> float:
    try:
        value = float(at)
    except (TypeError, ValueError):
        raise ReviewError(_("Choose the moment of the video the comment is about."), "at_seconds") from None
    if value != value or value < 0 or (duration and value > duration + 1):
        raise ReviewError(_("That moment is not in the video."), "at_seconds")
    return round(value, 2)


def _body(body) -> str:
    text = str(body or "").strip()
    if not text:
        raise ReviewError(_("Write the comment."), "body")
    if len(text) > MAX_COMMENT:
        raise ReviewError(ngettext("A comment can be at most %(num)d character long.",
                                    "A comment can be at most %(num)d characters long.", MAX_COMMENT), "body")
    return text


def add_comment(review: PeerReview, at_seconds, body, *, duration: float | None = None) -> ReviewComment:
    """Pin a comment to a moment of the video (a draft only)."""
    _editable(review)
    if len(review.comments) >= MAX_COMMENTS:
        raise ReviewError(ngettext("A review can have at most %(num)d comment.",
                                    "A review can have at most %(num)d comments.", MAX_COMMENTS))
    comment = ReviewComment(at_seconds=_seconds(at_seconds, duration), body=_body(body), created_at=utcnow())
    review.comments.append(comment)
    review.draft_saved_at = utcnow()
    db.session.flush()
    return comment


def edit_comment(review: PeerReview, comment: ReviewComment, body, at_seconds=None, *,
                 duration: float | None = None) -> ReviewComment:
    _editable(review)
    comment.body = _body(body)
    if at_seconds is not None:
        comment.at_seconds = _seconds(at_seconds, duration)
    review.draft_saved_at = utcnow()
    db.session.flush()
    return comment


def delete_comment(review: PeerReview, comment: ReviewComment) -> None:
    _editable(review)
    review.comments.remove(comment)
    review.draft_saved_at = utcnow()
    db.session.flush()


def problems(review: PeerReview, rubric: RubricView | None, settings: PeerReviewSettings) -> list[str]:
    """Why the review cannot be handed in yet (translated sentences), or [] when it can."""
    found = []
    if rubric is not None:
        missing = [c.title for c in rubric.criteria if c.levels and c.key not in (review.criterion_scores or {})]
        if missing:
            found.append(_("Score every criterion of the rubric (missing: %(names)s).", names=format_names(missing)))
    length = len((review.overall_comment or "").strip())
    need = settings.comment_min_length or 0
    if need and length < need:
        found.append(ngettext("Write an overall comment of at least %(num)d character (it has %(has)d).",
                              "Write an overall comment of at least %(num)d characters (it has %(has)d).",
                              need, has=length))
    pinned = len(review.comments)
    if settings.min_timestamped_comments and pinned < settings.min_timestamped_comments:
        found.append(ngettext("Pin at least %(num)d comment to a moment of the video (it has %(has)d).",
                              "Pin at least %(num)d comments to moments of the video (it has %(has)d).",
                              settings.min_timestamped_comments, has=pinned))
    return found


def submit(review: PeerReview, rubric: RubricView | None, settings: PeerReviewSettings,
           now: datetime | None = None) -> PeerReview:
    """Hand the review in: final unless a teacher reopens it. Raises ReviewError listing what is missing
    (nothing typed is lost: the draft stays as it is)."""
    _editable(review)
    found = problems(review, rubric, settings)
    if found:
        raise ReviewError(" ".join(found))
    now = now or utcnow()
    review.submitted_at = now
    review.draft_saved_at = now
    review.allocation.state = AllocationState.submitted
    db.session.flush()
    return review


def reopen(allocation: ReviewAllocation, actor: User, now: datetime | None = None) -> PeerReview:
    """A teacher lets the reviewer change a handed-in review again (it becomes a draft)."""
    review = q.review_of(allocation)
    if review is None or not review.is_submitted or allocation.state != AllocationState.submitted:
        raise ReviewError(_("Only a handed-in review can be reopened."))
    review.submitted_at = None
    review.reopened_by_id = actor.id
    review.reopened_at = now or utcnow()
    allocation.state = AllocationState.draft
    db.session.flush()
    assignment = allocation.assignment
    names = q.names(assignment, {allocation.reviewer_id, allocation.author_id})
    record_event(AuditAction.review_reopened, actor, target=allocation, circle_id=assignment.circle_id,
                 target_label=f"{assignment.title} · {member_label(names, allocation.author_id)}", details={
                     "assignment_id": assignment.id, "assignment": assignment.title,
                     "author_id": allocation.author_id, "author": member_label(names, allocation.author_id),
                     "reviewer_id": allocation.reviewer_id, "reviewer": member_label(names, allocation.reviewer_id)})
    return review


# -- the reminder -------------------------------------------------------------------------------

REVIEW_REMINDER = register_kind(Kind(
    "review_reminder", _l("Review tasks are still unfinished before the review window closes"),
    _l("The review window of “%(title)s” closes within a day, and you have %(num)s unfinished review tasks."),
    subject=_l("Unfinished review tasks for “%(title)s”"),
    # a stored message cannot take ngettext: the singular is its own variant (params "variant": "one")
    variants=(("one", _l("The review window of “%(title)s” closes within a day, and you have one unfinished "
                         "review task.")),)))


def _own_close():
    """Each task's reviewer's close of the window, in SQL: their extension's when later, else everyone's."""
    return sa.case((ReviewExtension.closes_at > PeerReviewSettings.closes_at, ReviewExtension.closes_at),
                   else_=PeerReviewSettings.closes_at)


def reminders_due(now: datetime | None = None) -> list[tuple[int, list[int]]]:
    """(assignment id, reviewers with unfinished tasks) for each open window that closes within a day for
    them: a reviewer with an extension is reminded a day before their own close, not everyone's."""
    now = now or utcnow()
    opens = sa.func.coalesce(PeerReviewSettings.opens_at, Assignment.due_at)
    closes = _own_close()
    rows = db.session.execute(
        db.select(ReviewAllocation.assignment_id, ReviewAllocation.reviewer_id)
        .join(PeerReviewSettings, PeerReviewSettings.assignment_id == ReviewAllocation.assignment_id)
        .join(Assignment, Assignment.id == ReviewAllocation.assignment_id)
        .outerjoin(ReviewExtension, sa.and_(ReviewExtension.assignment_id == ReviewAllocation.assignment_id,
                                            ReviewExtension.user_id == ReviewAllocation.reviewer_id))
        .where(PeerReviewSettings.is_enabled.is_(True), Assignment.is_published.is_(True), opens <= now,
               closes > now, closes <= now + REMIND_BEFORE,
               ReviewAllocation.state.in_((AllocationState.assigned, AllocationState.draft)))
        .distinct().order_by(ReviewAllocation.assignment_id, ReviewAllocation.reviewer_id))
    due: dict[int, list[int]] = {}
    for assignment_id, reviewer_id in rows:
        due.setdefault(assignment_id, []).append(reviewer_id)
    return list(due.items())


def send_reminders(now: datetime | None = None) -> int:
    """Remind each reviewer with unfinished tasks, once per assignment, a day before their window closes
    (their extension's close when they have one: once more for each new extended close). Nothing names
    whose work it is. Returns how many reviewers were reminded (the service dedupes)."""
    sent = 0
    for assignment_id, reviewer_ids in reminders_due(now):
        assignment = db.session.get(Assignment, assignment_id)
        unfinished = dict(db.session.execute(
            db.select(ReviewAllocation.reviewer_id, sa.func.count())
            .where(ReviewAllocation.assignment_id == assignment_id, ReviewAllocation.reviewer_id.in_(reviewer_ids),
                   ReviewAllocation.state.in_((AllocationState.assigned, AllocationState.draft)))
            .group_by(ReviewAllocation.reviewer_id)).all())
        extended = dict(db.session.execute(
            db.select(ReviewExtension.user_id, ReviewExtension.closes_at)
            .where(ReviewExtension.assignment_id == assignment_id, ReviewExtension.user_id.in_(reviewer_ids))).all())
        settings = q.settings_of(assignment)
        for reviewer_id in reviewer_ids:
            key = f"review_reminder:{assignment.id}"
            own = extended.get(reviewer_id)
            if own is not None and settings is not None and settings.closes_at is not None and own > settings.closes_at:
                key += f":until:{int(own.timestamp())}"
            notify(REVIEW_REMINDER, [reviewer_id],
                   url=path_for("reviews.my_tasks", circle_id=assignment.circle_id, assignment_id=assignment.id),
                   circle_id=assignment.circle_id,
                   params={"title": assignment.title, "circle": assignment.circle.name,
                           "num": unfinished.get(reviewer_id, 1),
                           **({"variant": "one"} if unfinished.get(reviewer_id, 1) == 1 else {})},
                   subject=("assignment", assignment.id), dedupe_key=key)
            sent += 1
    return sent


def progress(tasks: list[ReviewAllocation]) -> tuple[int, int]:
    """(handed in, total) of a reviewer's tasks that stand."""
    live = [t for t in tasks if t.state in LIVE_STATES]
    return sum(t.state == AllocationState.submitted for t in live), len(live)


def remind_review_tasks() -> None:
    """Periodic (every 15 minutes): the reminder a day before review windows close; idempotent (dedupe_key)."""
    send_reminders()
    db.session.commit()
