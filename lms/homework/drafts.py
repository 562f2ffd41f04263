"""A student's work in progress on one assignment: the upload that finished (or is still arriving) before "Hand in".

A video uploaded on the assignment page is attached to the student's draft the moment its upload is
created, so leaving the page (closing the laptop, a dead phone battery) loses nothing: the
assignment page and "My uploads" show it again and hand it in. Handing in clears the draft;
discarding it only detaches the video (the upload stays in "My uploads").
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.core.errors import abort_with
from lms.core.types import utcnow
from lms.extensions import db
from lms.circles.models import Membership, MembershipStatus
from lms.homework.models import LEARNER_ROLES, Assignment, Extension, Submission, SubmissionDraft, Window
from lms.uploads.models import Media, MediaKind, MediaState, Upload


class DraftError(ValueError):
    """A refused draft change; the message is for the student."""


# -- may this student upload for this assignment now? ------------------------------------------

def upload_problem(assignment: Assignment, student: User, now: datetime | None = None) -> str | None:
    """Why `student` may not start an upload for `assignment` now (the sentence to show before the
    first byte is sent), or None. Judged on the student's own deadline (extensions included), as
    the hand-in is: a page left open past the close time is told so here, not after the upload."""
    if not (assignment.is_published and assignment.is_learner(student)):
        return str(_l("Only the circle's students hand in work for this assignment."))
    if assignment.circle.is_archived:
        return str(_l("This circle is archived; it no longer takes homework."))
    now = now or utcnow()
    deadline = assignment.deadline_for(student.id)
    window = assignment.window(now, deadline)
    if window == Window.not_open:
        return str(_l("This assignment is not open yet. Come back when it opens."))
    if window == Window.closed:
        if deadline.closes_at is not None and now >= deadline.closes_at:
            return str(_l("This assignment has closed; it no longer takes work, "
                          "so nothing was uploaded. Talk to your teacher if something went wrong."))
        return str(_l("The due time has passed and this assignment does not take late work, so nothing "
                      "was uploaded. Talk to your teacher if something went wrong."))
    return None


def purpose_checker(user: User, assignment_id: int) -> int | None:
    """The "assignment" purpose of an upload's creation (registered with lms.uploads.access): the
    assignment's circle when `user` may upload for it now. None (the create answers 404, as for a
    stranger) when they may not see it; a refusal with its reason (403) when they may see it but it
    takes no work from them now, so a page left open past the close says so before the first byte."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not assignment.can_view(user):
        return None
    problem = upload_problem(assignment, user)
    if problem:
        abort_with(403, problem)
    return assignment.circle_id


def accepts_bytes(upload: Upload, now: datetime | None = None) -> str | None:
    """The "assignment" purpose's check before each chunk of an upload made for it (registered with
    lms.uploads.access; it runs per PATCH, so one indexed query: the assignment with its circle, the
    uploader's membership and extension). None while the student may still hand in for it (open, or
    late and the late policy takes late work, on their own deadline, extensions included); else the
    sentence refusing the rest of the file: a phone's tus app resuming after the close is told so
    before it sends the rest, not at "Hand in"."""
    student_id = upload.owner_id
    row = db.session.execute(
        db.select(Assignment, Membership, Extension)
        .outerjoin(Membership, (Membership.circle_id == Assignment.circle_id) & (Membership.user_id == student_id))
        .outerjoin(Extension, (Extension.assignment_id == Assignment.id) & (Extension.student_id == student_id))
        .where(Assignment.id == upload.purpose_id)).first()
    if row is None:
        return str(_l("This assignment was deleted, so the rest of this upload was not sent."))
    assignment, membership, extension = row
    if membership is None or membership.status != MembershipStatus.active or membership.role not in LEARNER_ROLES:
        return str(_l("You are no longer a student of this circle, so the rest of this upload was not sent."))
    if not assignment.is_published:
        return str(_l("This assignment was taken back to draft by the teacher, so the rest of this upload "
                      "was not sent."))
    if assignment.circle.is_archived:
        return str(_l("This circle is archived; it no longer takes homework, so the rest of this upload "
                      "was not sent."))
    now = now or utcnow()
    deadline = assignment.deadline_for(student_id, extension)
    window = assignment.window(now, deadline)
    if window == Window.not_open:
        return str(_l("This assignment is not open yet, so the rest of this upload was not sent. "
                      "Come back when it opens."))
    if window == Window.closed:
        if deadline.closes_at is not None and now >= deadline.closes_at:
            return str(_l("This assignment has closed; it no longer takes work, so the rest of this upload "
                          "was not sent. Talk to your teacher if something went wrong."))
        return str(_l("The due time has passed and this assignment does not take late work, so the rest of "
                      "this upload was not sent. Talk to your teacher if something went wrong."))
    return None


# -- reads ---------------------------------------------------------------------------------------

def draft_of(assignment: Assignment, student: User) -> SubmissionDraft | None:
    return db.session.scalar(db.select(SubmissionDraft).where(
        SubmissionDraft.assignment_id == assignment.id, SubmissionDraft.student_id == student.id))


def drafts_by_media(student: User, media_ids) -> dict[int, SubmissionDraft]:
    """The student's drafts holding any of `media_ids`, by media id (one query, assignments and circles joined)."""
    ids = [int(i) for i in media_ids]
    if not ids:
        return {}
    rows = db.session.scalars(
        db.select(SubmissionDraft).options(joinedload(SubmissionDraft.assignment))
        .where(SubmissionDraft.student_id == student.id, SubmissionDraft.media_id.in_(ids)))
    return {d.media_id: d for d in rows}


# -- changes (flush, never commit) -----------------------------------------------------------

def attach_to_draft(assignment: Assignment, student: User, media: Media, now: datetime | None = None) -> SubmissionDraft:
    """Keep `media` (the student's own video, being uploaded or already there) as the student's draft
    for `assignment`, replacing what the draft held. Raises DraftError when the student may not hand
    in for it now, or the media is not theirs, not a video, or failed."""
    problem = upload_problem(assignment, student, now)
    if problem:
        raise DraftError(problem)
    if media.owner_id != student.id or media.kind != MediaKind.video:
        raise DraftError(str(_l("That upload was not found. Upload the file again.")))
    if media.state == MediaState.failed:
        raise DraftError(str(_l("This video could not be processed; upload another one.")))
    draft = draft_of(assignment, student)
    if draft is None:
        draft = SubmissionDraft(assignment=assignment, assignment_id=assignment.id, student_id=student.id)
        db.session.add(draft)
    draft.media = media
    draft.media_id = media.id
    draft.updated_at = now or utcnow()
    db.session.flush()
    return draft


def keep_new_upload(student: User, assignment_id: int, media: Media) -> None:
    """The "assignment" purpose's creation hook (lms.uploads.access): a video upload created for
    the assignment is the student's draft from its creation, whichever client created it (the
    page, a tus app) and whether or not the page's own keep request gets through afterwards. The
    purpose checker has just allowed the upload; anything else (an attachment) is left alone."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or media.kind != MediaKind.video:
        return
    try:
        attach_to_draft(assignment, student, media)
    except DraftError:
        pass  # not the student's to hand in (a teacher trying the page): the upload stays in "My uploads"


def discard_draft(assignment: Assignment, student: User) -> bool:
    """Detach what the student's draft for `assignment` holds (the upload itself stays in "My
    uploads"). Returns whether there was a draft."""
    draft = draft_of(assignment, student)
    if draft is None:
        return False
    db.session.delete(draft)
    db.session.flush()
    return True


def clear_after_hand_in(submission: Submission) -> None:
    """The work is handed in: the draft has done its job (nothing else in it is lost: the
    submission holds its video)."""
    db.session.execute(db.delete(SubmissionDraft).where(
        SubmissionDraft.assignment_id == submission.assignment_id,
        SubmissionDraft.student_id == submission.student_id))


def library_uses(user: User, media_list) -> dict[int, list[dict]]:
    """For "My uploads" (registered with lms.uploads): each upload kept in one of the user's drafts,
    with its assignment and a "Hand in" that hands it in. One query for the page."""
    from flask import url_for

    uses: dict[int, list[dict]] = {}
    for media_id, draft in drafts_by_media(user, [m.id for m in media_list]).items():
        assignment = draft.assignment
        if not assignment.can_view(user):
            continue  # taken back to draft by the teacher, or the student left the circle
        link = url_for("homework.show", circle_id=assignment.circle_id, assignment_id=assignment.id)
        uses.setdefault(media_id, []).append({
            "text": str(_l("Kept for “%(title)s” in %(circle)s; not handed in yet.",
                           title=assignment.title, circle=assignment.circle.name)),
            "url": link,
            "link_label": str(_l("Open the assignment")),
            # Only what has arrived can be handed in; an unfinished upload resumes on the assignment page.
            "action": url_for("homework.hand_in_draft", circle_id=assignment.circle_id, assignment_id=assignment.id)
            if draft.media is not None and draft.media.state not in (MediaState.uploading, MediaState.failed) else None,
            "action_label": str(_l("Hand in")),
        })
    return uses
