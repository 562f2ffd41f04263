"""Every state change of homework: assignments, hand-ins (new versions), video comments. Flush, never commit."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.core.inputs import line_problem, prepare_line
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.permissions import Forbidden
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import queries as q
from lms.homework.grades import grade_source, has_new_version
from lms.homework.notifications import (assignment_published, comments_changed, extension_changed,
                                        resubmitted_after_grading)
from lms.homework.lateness import Deadline
from lms.homework.models import (LEARNER_ROLES, Accepts, Assignment, CommentKind, Extension, ExtensionAction,
                                 ExtensionChange, LatePolicy, PeerVisibility, Submission, SubmissionFile, VideoComment,
                                 Window)
from lms.uploads.messages import human_seconds
from lms.uploads.models import Media, MediaKind
from lms.uploads.operations import attach_check

#: A video whose last byte reached the server in time may still be handed in this long afterwards:
#: the click on "Hand in" after a long upload must not turn on-time work into late or refused work.
HAND_IN_GRACE = timedelta(minutes=15)
MAX_ATTACHMENTS = 10
MAX_TEXT = 20000
MAX_COMMENT = 5000


class HomeworkError(ValueError):
    """A refused homework change; the message is for the user, `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


class SubmissionRefused(HomeworkError):
    """The work cannot be handed in (window, media, permissions); the message says why and what to do."""


# -- assignments -----------------------------------------------------------------------------

#: What create_assignment/update_assignment accept, with defaults for creation.
ASSIGNMENT_FIELDS = {
    "title": "", "instructions_md": "", "accepts": Accepts.video, "allow_attachments": True,
    "max_video_seconds": None, "opens_at": None, "due_at": None, "closes_at": None,
    "late_policy": LatePolicy.accept, "late_penalty_per_day": 0.0, "late_penalty_cap": 100.0, "points": 100.0,
    "rubric_id": None, "category_id": None, "peer_visibility": PeerVisibility.hidden,
}


def create_assignment(circle: Circle, author: User, *, publish: bool = False, **fields) -> Assignment:
    """Create an assignment in `circle` (a draft unless `publish`). Fields: see ASSIGNMENT_FIELDS.

    Raises HomeworkError (with the field at fault) on inconsistent settings: due before open, a
    penalty without a percentage, a rubric of another circle, ..."""
    values = {**ASSIGNMENT_FIELDS, **fields}
    assignment = Assignment(circle=circle, circle_id=circle.id, created_by_id=author.id, is_published=False)
    _apply(assignment, values)
    db.session.add(assignment)
    if publish:
        publish_assignment(assignment, author)
    db.session.flush()
    return assignment


def update_assignment(assignment: Assignment, editor: User, *, publish: bool | None = None, **fields) -> None:
    """Change an assignment's settings; `publish` True/False publishes it or takes it back to draft.

    Lateness is derived, so a new due time or late policy applies to work already handed in too.
    Raises HomeworkError."""
    values = {name: getattr(assignment, name) for name in ASSIGNMENT_FIELDS}
    unknown = set(fields) - set(ASSIGNMENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown assignment fields: {sorted(unknown)}")
    values.update(fields)
    _apply(assignment, values)
    if publish is True:
        publish_assignment(assignment, editor)
    elif publish is False and assignment.is_published:
        if q.has_submissions(assignment):
            raise HomeworkError(_l("Students have handed in work for this assignment, so it cannot go back to draft."),
                                "status")
        assignment.is_published = False
    db.session.flush()


def publish_assignment(assignment: Assignment, user: User) -> None:
    """Make the assignment visible to the circle's students (keeps the first publication time)."""
    assignment.is_published = True
    if assignment.published_at is None:
        assignment.published_at = utcnow()
        assignment_published(assignment, user)  # the first publication only


def delete_assignment(assignment: Assignment, user: User) -> None:
    """Delete an assignment nobody has handed anything in for. Raises HomeworkError otherwise:
    submissions are never lost."""
    if q.has_submissions(assignment):
        raise HomeworkError(_l("Students have handed in work for this assignment, so it cannot be deleted. "
                               "Change its dates or take it back to draft instead."))
    db.session.delete(assignment)
    db.session.flush()


def _apply(assignment: Assignment, v: dict) -> None:
    title = prepare_line(v["title"] or "")
    if not title:
        raise HomeworkError(_l("Give the assignment a title."), "title")
    problem = line_problem(title)  # a line break in a title would reach mail subjects and CSV headers
    if problem:
        raise HomeworkError(problem, "title")
    if len(title) > 200:
        raise HomeworkError(_l("The title is too long (200 characters at most)."), "title")
    accepts, policy = Accepts(v["accepts"]), LatePolicy(v["late_policy"])
    visibility = PeerVisibility(v["peer_visibility"])
    site_limit = current_app.config["MAX_VIDEO_SECONDS"]
    seconds = v["max_video_seconds"]
    if seconds is not None and not 1 <= seconds <= site_limit:
        raise HomeworkError(_l("Videos can be at most %(minutes)d minutes long on this site.",
                               minutes=site_limit // 60), "max_video_minutes")
    opens_at, due_at, closes_at = v["opens_at"], v["due_at"], v["closes_at"]
    if opens_at and due_at and due_at <= opens_at:
        raise HomeworkError(_l("The due time must be after the opening time."), "due_at")
    if closes_at and due_at and closes_at < due_at:
        raise HomeworkError(_l("The closing time cannot be before the due time."), "closes_at")
    if closes_at and opens_at and closes_at <= opens_at:
        raise HomeworkError(_l("The closing time must be after the opening time."), "closes_at")
    per_day = float(v["late_penalty_per_day"] or 0)
    cap = float(v["late_penalty_cap"] if v["late_penalty_cap"] is not None else 100)
    if policy == LatePolicy.penalty:
        if due_at is None:
            raise HomeworkError(_l("A late penalty needs a due time."), "due_at")
        if not 0 < per_day <= 100:
            raise HomeworkError(_l("Give the penalty per day as a percentage between 0 and 100."),
                                "late_penalty_per_day")
        if not 0 < cap <= 100:
            raise HomeworkError(_l("Give the largest penalty as a percentage between 0 and 100."), "late_penalty_cap")
    else:
        per_day, cap = 0.0, 100.0
    if visibility == PeerVisibility.after_due and due_at is None:
        raise HomeworkError(_l("Showing classmates' work after the due time needs a due time."), "peer_visibility")
    points = float(v["points"] if v["points"] is not None else 0)
    if not (math.isfinite(points) and 0 <= points <= 100000):
        raise HomeworkError(_l("Points must be a number between 0 and 100000."), "points")
    # The choices are grading's (lms/homework/grades.py): only ids it offers for this circle are kept.
    if v["rubric_id"] is not None and v["rubric_id"] not in dict(grade_source().rubric_choices(assignment.circle)):
        raise HomeworkError(_l("Choose one of this circle's rubrics."), "rubric_id")
    if v["category_id"] is not None and v["category_id"] not in dict(grade_source().category_choices(assignment.circle)):
        raise HomeworkError(_l("Choose one of this circle's grade categories."), "category_id")
    assignment.title = title
    assignment.instructions_md = v["instructions_md"] or ""
    assignment.accepts = accepts
    assignment.allow_attachments = bool(v["allow_attachments"])
    assignment.max_video_seconds = seconds
    assignment.opens_at, assignment.due_at, assignment.closes_at = opens_at, due_at, closes_at
    assignment.late_policy = policy
    assignment.late_penalty_per_day, assignment.late_penalty_cap = per_day, cap
    assignment.points = points
    assignment.rubric_id, assignment.category_id = v["rubric_id"], v["category_id"]
    assignment.peer_visibility = visibility


# -- handing in ------------------------------------------------------------------------------

def submit_homework(assignment: Assignment, student: User, *, media: Media | None = None, text: str = "",
                    files: list[Media] | tuple = (), now: datetime | None = None) -> Submission:
    """Hand in work: a new Submission row with the next version number (nothing is overwritten).

    The receipt time is the server's time of the video's last byte (`media.received_at`), else
    `now`. The window is the student's own (their extension's due and close times, else the
    assignment's). Lateness, days late and the penalty are not stored: they are derived from the
    receipt time whenever they are read (lms/homework/lateness.py). Handing in exactly the work of
    the latest version again (a double click, a resent form) returns that version instead of adding
    one. A version handed in after the previous one was graded waits for a grade again, and the graders
    are told after the commit (resubmitted_after_grading). Raises SubmissionRefused with the reason: not
    open yet, closed, late work refused, the wrong kind of media, someone else's upload, an upload not
    finished or failed, a video too long.
    """
    now = now or utcnow()
    text = (text or "").strip()
    files = list(files)
    if not assignment.is_learner(student) or not assignment.is_published:
        raise SubmissionRefused(_l("Only the circle's students hand in work for this assignment."))
    if assignment.circle.is_archived:
        raise SubmissionRefused(_l("This circle is archived; it no longer takes homework."))
    _lock_student(assignment, student)
    latest = q.latest_submission(assignment, student)
    if latest is not None and _same_work(latest, media, text, files):
        return latest
    _check_content(assignment, student, media, text, files)
    reused = media is not None and _handed_in_before(assignment, student, media)
    # The last byte's arrival counts when the student hands in right after it (an upload that ended
    # before the due time, clicked just after); a video uploaded long ago counts when handed in.
    fresh = (media is not None and media.received_at is not None and not reused
             and now - media.received_at <= HAND_IN_GRACE)
    at = min(media.received_at, now) if fresh else now
    _check_window(assignment, assignment.deadline_for(student.id), at, now)
    submission = Submission(assignment=assignment, assignment_id=assignment.id, student=student,
                            student_id=student.id, version=latest.version + 1 if latest else 1, media=media,
                            text=text, submitted_at=at)
    submission.files = [SubmissionFile(media=f, media_id=f.id, position=i) for i, f in enumerate(files)]
    db.session.add(submission)
    db.session.flush()
    if latest is not None:
        _tell_graders_of_new_version(assignment, student, latest, submission)
    return submission


def _tell_graders_of_new_version(assignment: Assignment, student: User, previous: Submission,
                                 submission: Submission) -> None:
    """When `submission` follows a version that had been graded, the work waits for a grade again
    (grades.has_new_version): tell the graders. Not when the previous version already waited (they heard
    of it then, or it was never graded), nor where nothing grades."""
    source = grade_source()
    grade = source.grade_of(assignment, student.id)
    if grade is None:
        return
    facts = {"is_graded": grade.score is not None or grade.is_excused, "is_excused": grade.is_excused,
             "graded_id": grade.submission_id, "graded_at": grade.graded_at}
    if (has_new_version(previous.id, previous.submitted_at, **facts)
            or not has_new_version(submission.id, submission.submitted_at, **facts)):
        return
    url = source.grading_url(assignment, student.id)
    if url is None:
        return
    membership = assignment.circle.membership_of(student)
    resubmitted_after_grading(assignment, submission, membership.display_name if membership else student.name, url)


def _lock_student(assignment: Assignment, student: User) -> None:
    # Two requests of the same student wait for each other here (PostgreSQL), so the second sees the
    # first's version; the unique (assignment, student, version) constraint catches the rest.
    db.session.execute(db.select(Membership.id).where(Membership.circle_id == assignment.circle_id,
                                                      Membership.user_id == student.id).with_for_update())


def _same_work(latest: Submission, media: Media | None, text: str, files: list[Media]) -> bool:
    return (latest.media_id == (media.id if media else None) and latest.text == text
            and [f.media_id for f in latest.files] == [f.id for f in files])


def _handed_in_before(assignment: Assignment, student: User, media: Media) -> bool:
    return bool(db.session.scalar(db.select(db.exists().where(
        Submission.assignment_id == assignment.id, Submission.student_id == student.id,
        Submission.media_id == media.id))))


def _check_content(assignment: Assignment, student: User, media: Media | None, text: str,
                   files: list[Media]) -> None:
    if assignment.takes_video:
        if media is None:
            raise SubmissionRefused(_l("Upload or record your video first, then hand it in."))
        problem = attach_check(media, student, MediaKind.video, max_seconds=assignment.video_limit)
        if problem:
            raise SubmissionRefused(problem)
        if media.duration is not None and media.duration > assignment.video_limit + 0.5:
            raise SubmissionRefused(_l("This video is longer than the %(limit)s this assignment allows. "
                                       "Shorten it and upload it again.", limit=human_seconds(assignment.video_limit)))
    else:
        if media is not None:
            raise SubmissionRefused(_l("This assignment takes text and files, not a video."))
        if not text and not files:
            raise SubmissionRefused(_l("Write your answer or attach a file before handing in."))
    if len(text) > MAX_TEXT:
        raise SubmissionRefused(_l("The text is too long (%(num)d characters at most).", num=MAX_TEXT))
    if files and not assignment.allow_attachments:
        raise SubmissionRefused(_l("This assignment takes no attachments."))
    if len(files) > MAX_ATTACHMENTS:
        raise SubmissionRefused(_l("Attach at most %(num)d files.", num=MAX_ATTACHMENTS))
    for item in files:
        problem = attach_check(item, student, MediaKind.file)
        if problem:
            raise SubmissionRefused(problem)


def _check_window(assignment: Assignment, deadline: Deadline, at: datetime, now: datetime) -> None:
    window = assignment.window(now, deadline)
    if window == Window.not_open:
        raise SubmissionRefused(_l("This assignment is not open yet. Come back when it opens."))
    if window != Window.closed:
        return
    if assignment.window(at, deadline) in (Window.open, Window.late) and now - at <= HAND_IN_GRACE:
        return  # the video arrived in time; the click came just after
    if deadline.closes_at is not None and now >= deadline.closes_at:
        raise SubmissionRefused(_l("This assignment is closed; it no longer takes work."))
    raise SubmissionRefused(_l("The due time has passed and this assignment does not take late work. "
                               "Talk to your teacher if something went wrong."))


# -- extensions ------------------------------------------------------------------------------

MAX_REASON = 500


def grant_extension(assignment: Assignment, students: list[User], actor: User, *, due_at: datetime,
                    closes_at: datetime | None = None, reason: str = "") -> list[Extension]:
    """Give each of `students` their own due time `due_at` and, when given, hard close `closes_at` (UTC)
    for `assignment`, as Canvas's assignment overrides and Moodle's user overrides do. Several students
    granted at once get one Extension each; a student who already has one gets the new times. Every
    grant and change is kept in ExtensionChange and the audit log; lateness, penalties and "missing"
    follow at once, for work already handed in too. Each student whose times were granted or changed is
    mailed and notified after the commit (a new reason alone is not news to them). Returns the extensions
    granted or changed.

    Raises HomeworkError (with the field at fault): nobody chosen, someone who is not a student of the
    circle, no due time, a due time not after the opening, a close before the due time, a reason too long.
    """
    reason = (reason or "").strip()
    if not students:
        raise HomeworkError(_l("Choose at least one student."), "student_id")
    ids = {student.id for student in students}
    learners = set(db.session.scalars(db.select(Membership.user_id).where(
        Membership.circle_id == assignment.circle_id, Membership.user_id.in_(ids),
        Membership.status == MembershipStatus.active, Membership.role.in_(LEARNER_ROLES))))
    if learners != ids:
        raise HomeworkError(_l("Extensions are for the circle's students only."), "student_id")
    if due_at is None:
        raise HomeworkError(_l("Give the new due time."), "due_at")
    if assignment.opens_at is not None and due_at <= assignment.opens_at:
        raise HomeworkError(_l("The due time must be after the opening time."), "due_at")
    if closes_at is not None and closes_at < due_at:
        raise HomeworkError(_l("The closing time cannot be before the due time."), "closes_at")
    if len(reason) > MAX_REASON:
        raise HomeworkError(_l("The reason is too long (%(num)d characters at most).", num=MAX_REASON), "reason")
    existing = {e.student_id: e for e in db.session.scalars(db.select(Extension).where(
        Extension.assignment_id == assignment.id, Extension.student_id.in_([s.id for s in students])))}
    changed = []
    for student in students:
        extension = existing.get(student.id)
        if extension is None:
            extension = Extension(assignment=assignment, assignment_id=assignment.id, student_id=student.id,
                                  due_at=due_at, closes_at=closes_at, reason=reason, created_by_id=actor.id)
            db.session.add(extension)
            action, times_changed = ExtensionAction.granted, True
        elif (extension.due_at, extension.closes_at, extension.reason) == (due_at, closes_at, reason):
            continue
        else:
            times_changed = (extension.due_at, extension.closes_at) != (due_at, closes_at)
            extension.due_at, extension.closes_at, extension.reason = due_at, closes_at, reason
            action = ExtensionAction.changed
        db.session.flush()
        _record_extension(assignment, extension, actor, action)
        if times_changed:  # a new reason alone is staff's note, not news to the student
            extension_changed(assignment, student, action, extension.deadline(assignment))
        changed.append(extension)
    db.session.flush()
    return changed


def remove_extension(extension: Extension, actor: User) -> None:
    """Take an extension back: the student's times are the assignment's again (the history keeps it); the
    student is mailed and notified after the commit."""
    _record_extension(extension.assignment, extension, actor, ExtensionAction.removed)
    extension_changed(extension.assignment, extension.student, ExtensionAction.removed,
                      extension.assignment.base_deadline)
    db.session.delete(extension)
    db.session.flush()


_AUDIT = {ExtensionAction.granted: AuditAction.extension_granted,
          ExtensionAction.changed: AuditAction.extension_changed,
          ExtensionAction.removed: AuditAction.extension_removed}


def _record_extension(assignment: Assignment, extension: Extension, actor: User, action: ExtensionAction) -> None:
    db.session.add(ExtensionChange(
        assignment_id=assignment.id, student_id=extension.student_id, action=action, due_at=extension.due_at,
        closes_at=extension.closes_at, reason=extension.reason, changed_by_id=actor.id, changed_at=utcnow()))
    student = db.session.get(User, extension.student_id)
    record_event(_AUDIT[action], actor, target=extension, circle_id=assignment.circle_id,
                 target_label=f"{assignment.title} · {student.name} <{student.email}>", details={
        "assignment_id": assignment.id, "assignment": assignment.title, "student_id": extension.student_id,
        "student": student.name, "due_at": extension.due_at,
        "closes_at": extension.closes_at, "reason": extension.reason})


def format_seconds(seconds: float) -> str:
    """0:42, 12:05, 1:02:03."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# -- video comments --------------------------------------------------------------------------

_KEEP = object()


def add_video_comment(submission: Submission, author: User, body: str, *,
                      at_seconds: float | None = None, held: bool = False) -> VideoComment:
    """Comment on a submission, pinned to a moment of its video (or to none). Staff comments are
    feedback (the student reads them once the grade is released); others are peer comments.
    The caller has checked `submission.can_comment(author)`. Raises HomeworkError on bad input."""
    kind = CommentKind.feedback if submission.assignment.is_staff(author) else CommentKind.peer
    comment = VideoComment(submission=submission, submission_id=submission.id, author=author, author_id=author.id,
                           kind=kind, body=_clean_body(body), at_seconds=_moment(submission, at_seconds),
                           hidden_at=utcnow() if held else None)  # held for review (lms.moderation.policy)
    db.session.add(comment)
    db.session.flush()
    comments_changed(submission)
    return comment


def edit_video_comment(comment: VideoComment, user: User, body: str, *, at_seconds=_KEEP) -> None:
    """Change one's own comment (text, and the moment when given). Raises Forbidden, HomeworkError."""
    if not comment.can_edit(user):
        raise Forbidden()
    comment.body = _clean_body(body)
    if at_seconds is not _KEEP:
        comment.at_seconds = _moment(comment.submission, at_seconds)
    comment.updated_at = utcnow()
    db.session.flush()
    comments_changed(comment.submission)


def delete_video_comment(comment: VideoComment, user: User) -> None:
    """Hide a comment (kept, marked deleted): its author, or the circle's staff moderating. Raises Forbidden."""
    if not (comment.can_edit(user) or comment.submission.assignment.is_staff(user)):
        raise Forbidden()
    comment.deleted_at = utcnow()
    db.session.flush()
    comments_changed(comment.submission)


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise HomeworkError(_l("Write something before posting."), "body")
    if len(body) > MAX_COMMENT:
        raise HomeworkError(_l("The comment is too long (%(num)d characters at most).", num=MAX_COMMENT), "body")
    return body


def _moment(submission: Submission, at_seconds) -> float | None:
    if at_seconds is None:
        return None
    if isinstance(at_seconds, bool):
        raise HomeworkError(_l("The moment of the video is not a number of seconds."), "at_seconds")
    try:
        value = float(at_seconds)
    except (TypeError, ValueError):
        raise HomeworkError(_l("The moment of the video is not a number of seconds."), "at_seconds") from None
    if not math.isfinite(value) or value < 0:
        raise HomeworkError(_l("The moment of the video is not a number of seconds."), "at_seconds")
    duration = submission.media.duration if submission.media is not None else None
    if duration is not None:
        value = min(value, duration)  # a player can report a hair past the end
    return round(value, 2)
