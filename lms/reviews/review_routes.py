"""The reviewing side of peer review: a student's tasks, the task page (the classmate's video, the rubric,
comments at moments, the overall comment), the draft's JSON endpoints, the hand-in, the video served by
the task (so nothing of the author's file reaches the reviewer) and a teacher's reopen.

Every request checks again that the viewer is the task's reviewer (or staff of the circle: read only) and,
for the reviewer, that the review window is open (403 with the reason). After the window closed for them,
the reviewer still reads their task (read only: their scores, comments and pinned comments, with when the
window closed), and a hand-in that came too late shows the page again with what they typed and why (422).
Someone else gets 404."""
from __future__ import annotations

import re

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import Forbidden

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import from_local, local_datetime
from lms.core.permissions import require
from lms.core.text import render_markdown
from lms.extensions import db
from lms.homework import queries as hw
from lms.moderation import policy
from lms.reviews import bp
from lms.reviews import calibration as cal
from lms.reviews import queries as q
from lms.reviews import extensions as ext
from lms.reviews import receiving
from lms.reviews import reviewing as rv
from lms.reviews.forms import ReopenForm
from lms.reviews.models import ReviewAllocation, ReviewComment, WindowState
from lms.reviews.operations import ReviewError
from lms.reviews.routes import PREFIX, _load
from lms.storage import get_storage
from lms.uploads.models import MediaKind, MediaState

TASK = "/circles/<int:circle_id>/reviews/tasks/<int:allocation_id>"
#: headers of the served video: nothing about the file (no name, no dates, no validators)
NEUTRAL = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


class OutsideWindow(Forbidden):
    """Reviewing refused by the clock; the page says why (before the window opens, after it closes)."""

    lms_message = True  # lms.core.errors shows the description as it is


class Task:
    """A task as a request sees it: allocation, assignment, set-up, the viewer's role."""

    def __init__(self, circle, allocation, settings, is_reviewer: bool, refusal: str | None = None,
                 closed_at=None):
        self.circle, self.allocation, self.settings = circle, allocation, settings
        self.assignment = allocation.assignment
        self.is_reviewer = is_reviewer
        #: why the reviewer may not write now (rv.window_refusal), when the page is shown anyway (read only)
        self.refusal = refusal
        #: when the window closed for the reviewer (their extension counted), when it has
        self.closed_at = closed_at


def _task(circle_id: int, allocation_id: int, *, write: bool = False, refused_ok: bool = False) -> Task:
    """The task if the viewer is its reviewer (window open) or staff of its circle (reading only); 404 for
    anyone else, 403 (with why) for the reviewer outside the window or staff trying to write.

    After the window closed for the reviewer, reading (not `write`) is allowed: the task comes back with
    `refusal` and `closed_at` set, and the page is read only. `refused_ok` (the hand-in): any refusal by the
    clock comes back the same way, for the route to show the page again with what was typed."""
    circle = get_circle_or_404(circle_id, current_user)
    allocation = db.session.get(ReviewAllocation, allocation_id)
    if allocation is None:
        abort(404)
    assignment = hw.get_assignment_or_404(circle, allocation.assignment_id, current_user)
    allocation.assignment = assignment
    settings = q.settings_of(assignment)
    is_reviewer = rv.is_reviewer(allocation, current_user)
    if settings is None or not (is_reviewer or assignment.is_staff(current_user)):
        abort(404)
    refusal = closed_at = None
    if is_reviewer:
        refusal = rv.window_refusal(settings, current_user.id)
        if refusal:
            window = rv.review_window(settings, current_user.id)
            closed = window.state == WindowState.closed
            if not (refused_ok or (closed and not write)):
                raise OutsideWindow(description=refusal)
            closed_at = window.closes_at if closed else None
        elif cal.is_locked(settings, current_user.id):
            raise OutsideWindow(description=_("Practise on your teacher's examples first: your classmates' work "
                                              "opens for review once every practice review is handed in."))
    elif write:
        abort(403)
    return Task(circle, allocation, settings, is_reviewer, refusal, closed_at)


def _media(task: Task):
    """The video of the author's latest work, if it is a ready video (else None)."""
    submission = q.latest_work(task.allocation)
    media = submission.media if submission is not None else None
    if media is None or media.kind != MediaKind.video or media.state != MediaState.ready:
        return submission, None
    return submission, media


def _json_error(error: ReviewError, status: int = 422):
    return jsonify(error=str(error), field=error.field), status


# -- my tasks -------------------------------------------------------------------------------------

@bp.route(PREFIX + "/tasks")
@login_required
def my_tasks(circle_id: int, assignment_id: int):
    """The viewer's review tasks for an assignment, with how many are handed in."""
    circle = get_circle_or_404(circle_id, current_user)
    assignment = hw.get_assignment_or_404(circle, assignment_id, current_user)
    settings = q.settings_of(assignment)
    if settings is None or not settings.is_enabled:
        abort(404)
    tasks = q.tasks_of(assignment, current_user.id)
    labels = rv.task_labels(assignment, current_user.id, settings)
    done, total = rv.progress(tasks)
    own = rv.review_window(settings, current_user.id)  # the viewer's window (their extension counted)
    # a learner who handed nothing in where only those who did review: one message, no practice to do
    left_out = (not tasks and not settings.non_submitters_review and assignment.is_learner(current_user)
                and hw.latest_submission(assignment, current_user) is None)
    return render_template("reviews/my_tasks.html", circle=circle, assignment=assignment, setup=settings,
                           left_out=left_out,
                           tasks=tasks, labels=labels, done=done, total=total, window=own.state,
                           closes_at=own.closes_at, extension=own.extension,
                           refusal=rv.window_refusal(settings, current_user.id),
                           calibration=cal.calibration_for(settings, current_user.id))


# -- the task page --------------------------------------------------------------------------------

def _video_urls(task: Task, media) -> dict:
    ids = {"circle_id": task.circle.id, "allocation_id": task.allocation.id}
    urls = {"mp4": url_for("reviews.task_video", **ids)}
    if media.poster_key:
        urls["poster"] = url_for("reviews.task_poster", **ids)
    if media.hls_prefix:
        urls["hls"] = url_for("reviews.task_hls", name="index.m3u8", **ids)
    return urls


class _Shown:
    """What the player partial reads of a media item, with nothing that identifies it."""

    id = "task"
    kind = "video"
    state = "ready"
    is_ready = True
    is_failed = False
    progress = 100

    def __init__(self, duration):
        self.duration = duration


def _render_task(task: Task, review, status: int = 200, problems=()):
    submission, media = _media(task)
    labels = rv.task_labels(task.assignment, task.allocation.reviewer_id, task.settings)
    rubric = rv.rubric_for(task.settings)
    comments = list(review.comments) if review is not None else []
    editable = task.is_reviewer and not task.refusal and not (review is not None and review.is_submitted)
    return render_template(
        "reviews/task.html", circle=task.circle, assignment=task.assignment, task=task.allocation, setup=task.settings,
        label=labels.get(task.allocation.id, _("A classmate")), review=review, rubric=rubric, comments=comments,
        shown=_Shown(media.duration) if media else None, urls=_video_urls(task, media) if media else {},
        text=render_markdown(submission.text) if submission is not None and submission.text else None,
        markers=[{"at": c.at_seconds, "label": c.body[:80]} for c in comments], editable=editable,
        problems=problems, confirm=ConfirmForm(), closed_at=task.closed_at if task.is_reviewer else None), status


@bp.route(TASK)
@login_required
def task(circle_id: int, allocation_id: int):
    """The task: the classmate's video and work, the rubric, the comments at moments, the overall comment."""
    found = _task(circle_id, allocation_id)
    review = q.review_of(found.allocation)
    if found.is_reviewer and review is None and not found.refusal:
        review = rv.review_for(found.allocation)
        db.session.commit()
    return _render_task(found, review)


@bp.route(TASK + "/draft", methods=["POST"])
@login_required
def save_draft(circle_id: int, allocation_id: int):
    """Autosave (JSON): {"scores": {criterion key: level position}, "overall": "…"}."""
    found = _task(circle_id, allocation_id, write=True)
    data = request.get_json(silent=True) or {}
    review = rv.review_for(found.allocation)
    try:
        rv.save_draft(review, rv.rubric_for(found.settings), scores=data.get("scores"), overall=data.get("overall"))
    except ReviewError as error:
        db.session.rollback()
        return _json_error(error, 409)
    db.session.commit()
    return jsonify(saved_at=review.draft_saved_at.isoformat())


@bp.route(TASK + "/submit", methods=["POST"])
@login_required
def submit(circle_id: int, allocation_id: int):
    """Hand the review in (a form: the scores and overall comment are saved first, so a refusal loses nothing)."""
    found = _task(circle_id, allocation_id, write=True, refused_ok=True)
    require(ConfirmForm().validate_on_submit())
    rubric = rv.rubric_for(found.settings)
    scores = {key[len("score-"):]: value for key, value in request.form.items() if key.startswith("score-")}
    if found.refusal:  # too late (or too early): nothing is saved, but nothing typed is lost either
        typed = rv.as_typed(q.review_of(found.allocation), rubric, scores, request.form.get("overall", ""))
        return _render_task(found, typed, 422, [found.refusal])
    review = rv.review_for(found.allocation)
    try:
        rv.save_draft(review, rubric, scores=scores, overall=request.form.get("overall", ""))
        db.session.commit()
        rv.submit(review, rubric, found.settings)
        receiving.announce_late_review(found.settings, found.allocation)
    except ReviewError as error:
        db.session.rollback()
        db.session.expire_all()
        review = q.review_of(found.allocation)
        problems = rv.problems(review, rubric, found.settings) if review and not review.is_submitted else [str(error)]
        return _render_task(found, review, 422, problems or [str(error)])
    db.session.commit()
    flash(_("Your review is handed in. Thank you!"), "success")
    return redirect(url_for("reviews.my_tasks", circle_id=found.circle.id, assignment_id=found.assignment.id))


# -- comments at moments (the JSON that static/js/homework/comments.js reads) ---------------------

def _comment_json(comment: ReviewComment, editable: bool) -> dict:
    return {"id": comment.id, "kind": "peer", "at_seconds": comment.at_seconds, "body": comment.body,
            "html": str(render_markdown(comment.body)), "author": {"name": _("You")},
            "created_at": comment.created_at.isoformat(), "updated_at": None,
            "can_edit": editable, "can_delete": editable}


@bp.route(TASK + "/comments", methods=["GET", "POST"])
@login_required
def comments(circle_id: int, allocation_id: int):
    found = _task(circle_id, allocation_id, write=request.method == "POST")
    review = q.review_of(found.allocation)
    if request.method == "GET":
        editable = found.is_reviewer and not found.refusal and review is not None and not review.is_submitted
        return jsonify(comments=[_comment_json(c, editable) for c in (review.comments if review else [])])
    data = request.get_json(silent=True) or {}
    # a comment pinned to a moment is a video comment: a muted reviewer waits (403 saying until when), and the
    # write limits hold (counted once accepted)
    policy.check_write(found.circle, current_user, policy.WriteAction.video_comment)
    review = review or rv.review_for(found.allocation)
    _, media = _media(found)
    try:
        comment = rv.add_comment(review, data.get("at_seconds"), data.get("body"),
                                 duration=media.duration if media else None)
    except ReviewError as error:
        db.session.rollback()
        return _json_error(error)
    policy.count_write(found.circle, current_user, policy.WriteAction.video_comment)
    db.session.commit()
    return jsonify(comment=_comment_json(comment, True)), 201


@bp.route(TASK + "/comments/<int:comment_id>", methods=["PATCH", "DELETE"])
@login_required
def comment(circle_id: int, allocation_id: int, comment_id: int):
    found = _task(circle_id, allocation_id, write=True)
    review = q.review_of(found.allocation)
    target = next((c for c in (review.comments if review else []) if c.id == comment_id), None)
    if target is None:
        abort(404)
    try:
        if request.method == "DELETE":
            rv.delete_comment(review, target)
        else:
            policy.ensure_not_muted(found.circle.membership_of(current_user))
            data = request.get_json(silent=True) or {}
            _, media = _media(found)
            rv.edit_comment(review, target, data.get("body"), data.get("at_seconds"),
                            duration=media.duration if media else None)
    except ReviewError as error:
        db.session.rollback()
        return _json_error(error, 409)
    db.session.commit()
    if request.method == "DELETE":
        return "", 204
    return jsonify(comment=_comment_json(target, True))


# -- the video, keyed by the task -----------------------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _stream(key: str | None, mimetype: str) -> Response:
    """The stored object, with range requests, and no header about the file (no name, date or ETag)."""
    if not key:
        abort(404)
    storage = get_storage()
    try:
        size = storage.size(key)
    except FileNotFoundError:
        abort(404)
    start, end, status = 0, size - 1, 200
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if match and size and (match.group(1) or match.group(2)):
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:
            start = max(size - int(match.group(2)), 0)
        if start > end or start >= size:
            return Response(status=416, headers={**NEUTRAL, "Content-Range": f"bytes */{size}"})
        status = 206
    body = storage.iter_range(key, start, end) if size else iter(())
    response = Response(body, status=status, mimetype=mimetype, direct_passthrough=True)
    response.headers.update(NEUTRAL)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Content-Length"] = str(end - start + 1 if size else 0)
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


@bp.route(TASK + "/video")
@login_required
def task_video(circle_id: int, allocation_id: int):
    _, media = _media(_task(circle_id, allocation_id))
    return _stream(media.mp4_key if media else None, "video/mp4")


@bp.route(TASK + "/poster")
@login_required
def task_poster(circle_id: int, allocation_id: int):
    _, media = _media(_task(circle_id, allocation_id))
    return _stream(media.poster_key if media else None, "image/jpeg")


@bp.route(TASK + "/hls/<name>")
@login_required
def task_hls(circle_id: int, allocation_id: int, name: str):
    """The HLS playlist and its segments (their names are relative, so they come back here)."""
    _, media = _media(_task(circle_id, allocation_id))
    if media is None or not media.hls_prefix or name.startswith(".") or "/" in name:
        abort(404)
    if name.endswith(".m3u8"):
        return _stream(f"{media.hls_prefix}/{name}", "application/vnd.apple.mpegurl")
    if name.endswith(".ts"):
        return _stream(f"{media.hls_prefix}/{name}", "video/mp2t")
    abort(404)


# -- a teacher reopens a handed-in review ---------------------------------------------------------

@bp.route(PREFIX + "/allocation/<int:allocation_id>/reopen", methods=["GET", "POST"])
@login_required
def reopen(circle_id: int, assignment_id: int, allocation_id: int):
    """Let the reviewer change their handed-in review again. After their review window closed, the page asks
    until when (and gives them that extension in the same action): a reopened review they cannot open
    would change nothing."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_allocate")
    allocation = q.get_allocation_or_404(assignment, allocation_id)
    window = rv.review_window(setup, allocation.reviewer_id)
    closed = window.state == WindowState.closed
    if closed:
        require(setup.can_grant_extensions(current_user))
    form = ReopenForm()
    if form.validate_on_submit():
        until = from_local(form.closes_at.data) if closed else None
        try:
            ext.reopen_review(setup, allocation, current_user, until)
        except ReviewError as error:
            db.session.rollback()
            field = getattr(form, error.field, None) if error.field else None
            if field is None:
                flash(str(error), "error")
                return redirect(url_for("reviews.allocation", circle_id=circle.id, assignment_id=assignment.id))
            field.errors = list(field.errors) + [str(error)]
        else:
            db.session.commit()
            if closed:
                flash(_("The review is reopened, and its reviewer can change it until %(when)s (an extension; "
                        "they are told).", when=local_datetime(until, "short")), "success")
            else:
                flash(_("The review is reopened: its reviewer can change it and hand it in again."), "success")
            return redirect(url_for("reviews.allocation", circle_id=circle.id, assignment_id=assignment.id))
    names = q.names(assignment, {allocation.reviewer_id, allocation.author_id})
    return render_template("reviews/reopen.html", circle=circle, assignment=assignment, setup=setup, task=allocation,
                           names=names, form=form, window=window, closed=closed), 422 if form.errors else 200


def review_task_count(assignment) -> int:
    """How many review tasks the current user has on `assignment`, or else examples to practise on
    (homework's page links to them)."""
    if not current_user.is_authenticated:
        return 0
    count = q.task_count(assignment.id, current_user.id)
    if not count:
        settings = q.settings_of(assignment)
        if (settings is not None and cal.can_practise(settings, current_user)
                and (settings.non_submitters_review or hw.latest_submission(assignment, current_user) is not None)):
            count = len(cal.practisable(settings))
    return count


def peer_reviews_to_read(assignment) -> bool:
    """Whether the current user has handed-in reviews of their work on `assignment` they may read now
    (homework's page links to them)."""
    if not current_user.is_authenticated:
        return False
    settings = q.settings_of(assignment)
    return (settings is not None and settings.reviews_visible_to_authors()
            and q.has_handed_in_review_of(assignment.id, current_user.id))


bp.add_app_template_global(review_task_count, "review_task_count")
bp.add_app_template_global(peer_reviews_to_read, "peer_reviews_to_read")
