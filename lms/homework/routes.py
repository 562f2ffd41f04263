"""Views of homework (thin: parse, scoped lookup, permission check, one operation, commit)."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from babel.dates import format_time
from flask_babel import format_decimal, format_timedelta, get_locale, get_timezone, gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import from_local, local_datetime, tight_in_chinese, time_with_zone, to_local
from lms.core.permissions import require
from lms.core.text import render_markdown
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import bp, drafts, notifications
from lms.homework import models  # noqa: F401  (mappers are configured together)
from lms.homework import operations as ops
from lms.homework import queries as q
from lms.homework.forms import AssignmentForm, ExtensionForm, SubmitForm
from lms.homework.grades import grade_source, is_released
from lms.homework import lateness
from lms.homework.lateness import Deadline
from lms.homework.models import Accepts, Assignment, LatePolicy, PeerVisibility, Submission, Window
from lms.moderation import policy
from lms.uploads.models import MediaKind
from lms.uploads.queries import get_own_media, media_urls

PREFIX = "/circles/<int:circle_id>/assignments"


@bp.app_template_filter("video_time")
def video_time(seconds) -> str:
    """Seconds as a player shows them: 0:42, 12:05, 1:02:03."""
    return ops.format_seconds(seconds or 0)


def _load(circle_id: int, assignment_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return circle, q.get_assignment_or_404(circle, assignment_id, current_user)


# -- list ------------------------------------------------------------------------------------

@bp.route(PREFIX)
@login_required
def index(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    assignments = q.circle_assignments(circle, current_user)
    staff = q.is_circle_staff(circle, current_user)
    now = utcnow()
    context = {}
    if staff:
        context.update(counts=q.submitted_counts(assignments), learner_count=q.learner_count(circle))
    else:
        deadlines = q.my_deadlines(assignments, current_user)
        mine = q.my_latest_by_assignment(assignments, current_user, deadlines)
        grades = grade_source().released_grades([a.id for a in assignments], current_user.id)
        missing = {a.id for a in assignments if lateness.is_missing(
            deadlines[a.id], now, submitted=a.id in mine, excused=a.id in grades and grades[a.id].is_excused)}
        context.update(mine=mine, grades=grades, deadlines=deadlines, missing=missing)
    return render_template("homework/index.html", circle=circle, assignments=assignments, staff=staff,
                           can_create=circle.can_edit(current_user) and not circle.is_archived, now=now,
                           **context)


# -- create, edit, publish, delete -------------------------------------------------------------

def _form_values(form: AssignmentForm) -> dict:
    minutes = form.max_video_minutes.data
    return {
        "title": form.title.data, "instructions_md": form.instructions_md.data or "",
        "accepts": Accepts(form.accepts.data), "allow_attachments": form.allow_attachments.data,
        "max_video_seconds": round(minutes * 60) if minutes else None,
        "opens_at": from_local(form.opens_at.data), "due_at": from_local(form.due_at.data),
        "closes_at": from_local(form.closes_at.data), "late_policy": LatePolicy(form.late_policy.data),
        "late_penalty_per_day": form.late_penalty_per_day.data or 0,
        "late_penalty_cap": form.late_penalty_cap.data if form.late_penalty_cap.data is not None else 100,
        "points": form.points.data, "rubric_id": form.rubric_id.data or None,
        "category_id": form.category_id.data or None, "peer_visibility": PeerVisibility(form.peer_visibility.data),
    }


def _fill_form(form: AssignmentForm, assignment: Assignment) -> None:
    """The form's fields from an assignment, local times in the editor's timezone."""
    form.title.data = assignment.title
    form.instructions_md.data = assignment.instructions_md
    form.accepts.data = assignment.accepts.value
    form.allow_attachments.data = assignment.allow_attachments
    form.max_video_minutes.data = assignment.max_video_seconds / 60 if assignment.max_video_seconds else None
    for name in ("opens_at", "due_at", "closes_at"):
        value = getattr(assignment, name)
        getattr(form, name).data = to_local(value).replace(tzinfo=None) if value else None
    form.late_policy.data = assignment.late_policy.value
    form.late_penalty_per_day.data = assignment.late_penalty_per_day or None
    form.late_penalty_cap.data = assignment.late_penalty_cap
    form.points.data = assignment.points
    form.rubric_id.data = assignment.rubric_id or 0
    form.category_id.data = assignment.category_id or 0
    form.peer_visibility.data = assignment.peer_visibility.value
    form.status.data = "published" if assignment.is_published else "draft"


def _field_error(form: AssignmentForm, error: ops.HomeworkError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        flash(str(error), "error")
    else:
        field.errors = list(field.errors) + [str(error)]


def _set_options(form: AssignmentForm, circle) -> None:
    source = grade_source()
    form.set_options(source.rubric_choices(circle), source.category_choices(circle))


def _render_form(circle, form, assignment=None, status=200):
    source = grade_source()  # the rubrics' totals and the categories' weights, for the form's notes
    return render_template("homework/form.html", circle=circle, form=form, assignment=assignment,
                           site_minutes=current_app.config["MAX_VIDEO_SECONDS"] // 60,
                           rubric_points=source.rubric_points(circle),
                           uncategorised_weight=source.uncategorised_weight(circle),
                           confirm=ConfirmForm()), status


@bp.route(PREFIX + "/new", methods=["GET", "POST"])
@login_required
def create(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(circle.can_edit(current_user) and not circle.is_archived)
    form = AssignmentForm()
    _set_options(form, circle)
    if form.validate_on_submit():
        try:
            assignment = ops.create_assignment(circle, current_user, publish=form.status.data == "published",
                                               **_form_values(form))
        except ops.HomeworkError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The assignment is published.") if assignment.is_published else
                  _("The assignment is saved as a draft; only the staff see it."), "success")
            return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id))
    return _render_form(circle, form, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/<int:assignment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(circle_id: int, assignment_id: int):
    circle, assignment = _load(circle_id, assignment_id)
    require(assignment.can_edit(current_user))
    form = AssignmentForm()
    _set_options(form, circle)
    if not form.is_submitted():
        _fill_form(form, assignment)
    if form.validate_on_submit():
        try:
            ops.update_assignment(assignment, current_user, publish=form.status.data == "published",
                                  **_form_values(form))
        except ops.HomeworkError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id))
    return _render_form(circle, form, assignment, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/<int:assignment_id>/publish", methods=["POST"])
@login_required
def publish(circle_id: int, assignment_id: int):
    circle, assignment = _load(circle_id, assignment_id)
    require(assignment.can_edit(current_user))
    if ConfirmForm().validate_on_submit():
        ops.publish_assignment(assignment, current_user)
        db.session.commit()
        flash(_("The assignment is published."), "success")
    return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id))


@bp.route(PREFIX + "/<int:assignment_id>/delete", methods=["POST"])
@login_required
def delete(circle_id: int, assignment_id: int):
    circle, assignment = _load(circle_id, assignment_id)
    require(assignment.can_edit(current_user))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id))
    try:
        ops.delete_assignment(assignment, current_user)
    except ops.HomeworkError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment_id))
    db.session.commit()
    flash(_("The assignment is deleted."), "success")
    return redirect(url_for("homework.index", circle_id=circle.id))


# -- the assignment page and handing in ------------------------------------------------------

def window_lines(assignment: Assignment, now, deadline: Deadline | None = None) -> tuple[str, list[str]]:
    """The window's state and what to tell people about it, before they upload anything, against the
    viewer's own `deadline` (their extension's times, else the assignment's)."""
    deadline = deadline or assignment.base_deadline
    window = assignment.window(now, deadline)
    due_at, closes_at = deadline.due_at, deadline.closes_at
    lines = []
    if window == Window.not_open:
        lines.append(_("Opens in %(when)s (%(at)s).", when=format_timedelta(assignment.opens_at - now),
                       at=local_datetime(assignment.opens_at, "short")))
    if due_at is None:
        if window != Window.closed:
            lines.append(_("No due time."))
    elif now <= due_at:
        if deadline.is_extended:
            lines.append(_("Due in %(when)s (%(at)s, extended for you).", when=format_timedelta(due_at - now),
                           at=local_datetime(due_at, "short")))
        else:
            lines.append(_("Due in %(when)s (%(at)s).", when=format_timedelta(due_at - now),
                           at=local_datetime(due_at, "short")))
    elif deadline.is_extended:
        lines.append(_("Past due since %(at)s (extended for you).", at=local_datetime(due_at, "short")))
    else:
        lines.append(_("Past due since %(at)s.", at=local_datetime(due_at, "short")))
    if due_at is not None and window != Window.closed:
        if assignment.late_policy == LatePolicy.refuse:
            lines.append(_("Late work is not accepted."))
        elif assignment.late_policy == LatePolicy.penalty:
            lines.append(_("Late work is accepted with %(percent)s %% off per started day, up to %(cap)s %%.",
                           percent=format_decimal(assignment.late_penalty_per_day),
                           cap=format_decimal(assignment.late_penalty_cap)))
        else:
            lines.append(_("Late work is accepted and marked late."))
    if window == Window.closed:
        lines.append(_("Closed: no more work is accepted."))
    elif closes_at is not None:
        lines.append(_("Nothing is accepted after %(at)s.", at=local_datetime(closes_at, "short")))
    if due_at is not None and assignment.late_policy != LatePolicy.refuse:
        lines.append(late_day_line(due_at, assignment.tz))
    return window.value, lines


def late_day_line(due_at, circle_zone) -> str:
    """When each late day ends, in the viewer's zone like every other time on the page, the zone named as the
    viewer's language names it, offset as at the due time (time_with_zone). Late days are counted in the circle's
    zone; where its clock differs from the viewer's, its time is given once more: "each late day ends at 5:00 AM
    your time, 6:00 PM Asia/Shanghai (GMT+08:00)"."""
    viewer_zone = get_timezone()
    mine = format_time(due_at.astimezone(viewer_zone), "short", tzinfo=viewer_zone, locale=get_locale())
    theirs = format_time(due_at.astimezone(circle_zone), "short", tzinfo=circle_zone, locale=get_locale())
    if str(viewer_zone) == circle_zone.key or mine == theirs:
        shown = time_with_zone(mine, str(viewer_zone), at=due_at)
        line = _("Days late are counted from the due time: each late day ends at %(time)s.", time=shown)
        return tight_in_chinese(line, shown)  # "在该时区的06:32结束", not "…的 清晨6:32 結束"
    there = time_with_zone(theirs, circle_zone.key, at=due_at)
    line = _("Days late are counted in the circle's time zone: each late day ends at %(time)s your time, "
             "%(circle_time)s.", time=mine, circle_time=there)
    return tight_in_chinese(line, mine, there)


def gallery_note(assignment: Assignment, has_submitted: bool, now) -> str | None:
    """Why the current learner cannot browse classmates' work yet and when they will; None when they can,
    or never will (the gallery is hidden, or they are not a student of the assignment)."""
    if not assignment.is_learner(current_user) or not assignment.is_published \
            or assignment.can_see_classmates(current_user, has_submitted, now):
        return None
    if assignment.peer_visibility == PeerVisibility.after_submit:
        return _("Classmates' work opens here once you hand in yours.")
    if assignment.peer_visibility == PeerVisibility.after_due:
        due_at = assignment.deadline_for(current_user.id).due_at
        if due_at is not None:
            return _("Classmates' work opens here after your due time (%(at)s).", at=local_datetime(due_at, "short"))
    return None


@bp.route(PREFIX + "/<int:assignment_id>")
@login_required
def show(circle_id: int, assignment_id: int):
    circle, assignment = _load(circle_id, assignment_id)
    if not assignment.is_staff(current_user):
        notifications.assignment_opened(assignment, current_user.id)
        db.session.commit()
    return _show(circle, assignment, SubmitForm())


def _show(circle, assignment, form, status=200, chosen_media=None):
    now = utcnow()
    staff = assignment.is_staff(current_user)
    deadline = assignment.base_deadline if staff else assignment.deadline_for(current_user.id)
    window, lines = window_lines(assignment, now, deadline)
    history = [] if staff else q.submission_history(assignment, current_user.id, current_user)
    extensions = q.extensions_by_student(assignment) if staff else {}
    changes = q.extension_history(assignment) if staff else []
    can_extend = staff and assignment.can_grant_extensions(current_user) and not circle.is_archived
    if assignment.accepts == Accepts.text:  # the text is the work itself, not a note beside a video
        form.text.label.text = _("Your answer (Markdown)")
    if history and window == Window.late and is_released(assignment, current_user.id):
        lines.append(_("You already have a grade for the version you handed in. A new version now arrives after "
                       "the due time: it counts as late, and your teacher grades it again."))
    return render_template(
        "homework/show.html", circle=circle, assignment=assignment, form=form, staff=staff, window=window,
        window_lines=lines, history=history, can_submit=assignment.can_submit(current_user, now),
        statuses=q.submission_status_by_student(assignment, now) if staff else [],
        can_see_classmates=assignment.can_see_classmates(current_user, bool(history), now),
        gallery_note=None if staff else gallery_note(assignment, bool(history), now),
        released=(not staff and bool(history) and is_released(assignment, current_user.id)),
        extensions=extensions, can_extend=can_extend, extension_form=ExtensionForm.filled(None),
        extension_forms={sid: ExtensionForm.filled(e) for sid, e in extensions.items()} if can_extend else {},
        extension_history=changes,
        extension_names=q.memberships_by_user(circle, {c.student_id for c in changes}),
        grades=grade_source(),
        chosen_media=chosen_media, kept_files=_kept_files() if request.method == "POST" else [], confirm=ConfirmForm(),
        draft=None if staff else drafts.draft_of(assignment, current_user)), status


def _kept_files() -> list:
    """The attachments a refused hand-in sent (repeated `file_id`), listed again as still attached so
    nothing is uploaded twice: the student's own file uploads that did not fail, each once."""
    kept = []
    for raw in request.form.getlist("file_id"):
        item = get_own_media(current_user, raw.strip()) if raw.strip() else None
        if item is not None and item.kind == MediaKind.file and not item.is_failed and item not in kept:
            kept.append(item)
    return kept


@bp.route(PREFIX + "/<int:assignment_id>/submit", methods=["POST"])
@login_required
def submit(circle_id: int, assignment_id: int):
    circle, assignment = _load(circle_id, assignment_id)
    require(assignment.is_learner(current_user) and assignment.is_published)
    form = SubmitForm()
    if not form.validate_on_submit():
        return _show(circle, assignment, form, 422)
    media = None
    if form.media_id.data:
        media = get_own_media(current_user, form.media_id.data)
        if media is None:  # someone else's upload, or none at all: the same answer
            flash(_("That upload was not found. Upload the file again."), "error")
            return _show(circle, assignment, form, 422)
    files = []
    for raw in request.form.getlist("file_id"):
        if raw.strip():
            item = get_own_media(current_user, raw.strip())
            if item is None:
                flash(_("That upload was not found. Upload the file again."), "error")
                return _show(circle, assignment, form, 422)
            files.append(item)
    try:
        submission = hand_in(assignment, media=media, text=form.text.data or "", files=files)
    except ops.SubmissionRefused as error:
        flash(str(error), "error")
        # Offer the same upload again unless it is the problem (failed); it may just need to finish.
        keep = media if media is not None and not media.is_failed and media.kind == MediaKind.video else None
        return _show(circle, assignment, form, 422, chosen_media=keep)
    return handed_in(circle, assignment, submission)


def hand_in(assignment: Assignment, *, media, text: str, files=()) -> Submission:
    """Hand in the current user's work as the next version and commit (the student's draft is cleared).
    A concurrent request of the same student that inserted this version first wins: its submission is
    returned. Raises SubmissionRefused (rolled back) with the reason for the student."""
    try:
        submission = ops.submit_homework(assignment, current_user, media=media, text=text, files=list(files))
        drafts.clear_after_hand_in(submission)
        db.session.commit()
        return submission
    except ops.SubmissionRefused:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
        return q.latest_submission(assignment, current_user)


def handed_in(circle, assignment: Assignment, submission: Submission):
    """The answer to a hand-in: the receipt (the server's time of the work) and its page."""
    flash(_("Handed in. The server received your work at %(at)s.",
            at=local_datetime(submission.submitted_at, "medium")), "success")
    return redirect(url_for("homework.submission", circle_id=circle.id, assignment_id=assignment.id,
                            submission_id=submission.id))


@bp.route(PREFIX + "/<int:assignment_id>/submissions/<int:submission_id>")
@login_required
def submission(circle_id: int, assignment_id: int, submission_id: int):
    circle, assignment = _load(circle_id, assignment_id)
    submission = q.get_submission_or_404(assignment, submission_id, current_user)
    staff = assignment.is_staff(current_user)
    own = submission.is_own(current_user)
    history = q.submission_history(assignment, submission.student_id, current_user)
    comments = q.visible_comments(submission, current_user)
    names = q.memberships_by_user(circle, {submission.student_id} | {c.author_id for c in comments if c.author_id})
    return render_template(
        "homework/submission.html", circle=circle, assignment=assignment, submission=submission, staff=staff,
        own=own, history=history, comments=comments, names=names, student=names.get(submission.student_id),
        markers=q.comment_markers(comments), media_urls=media_urls,
        can_comment=not circle.is_archived, released=own and is_released(assignment, submission.student_id),
        grades=grade_source())


@bp.route(PREFIX + "/<int:assignment_id>/gallery")
@login_required
def gallery(circle_id: int, assignment_id: int):
    """The classmates' latest work. A student it has not opened for yet is told when it will (403)."""
    circle, assignment = _load(circle_id, assignment_id)
    has_submitted, now = q.has_submitted(assignment, current_user), utcnow()
    if not assignment.can_see_classmates(current_user, has_submitted, now):
        note = gallery_note(assignment, has_submitted, now)
        require(note is not None)
        return render_template("homework/gallery_closed.html", circle=circle, assignment=assignment, note=note), 403
    return render_template("homework/gallery.html", circle=circle, assignment=assignment,
                           rows=q.gallery(assignment, current_user, now), media_urls=media_urls)


# -- video comments (JSON) -------------------------------------------------------------------

COMMENTS = PREFIX + "/<int:assignment_id>/submissions/<int:submission_id>/comments"


def _load_submission(circle_id: int, assignment_id: int, submission_id: int):
    circle, assignment = _load(circle_id, assignment_id)
    return circle, q.get_submission_or_404(assignment, submission_id, current_user)


def comment_json(comment, names: dict, user) -> dict:
    """A comment as the comments script and API callers read it (`names`: user id → Membership)."""
    member = names.get(comment.author_id)
    author = member.display_name if member else (comment.author.name if comment.author else _("Former member"))
    return {
        "id": comment.id,
        "at_seconds": comment.at_seconds,
        "kind": comment.kind.value,
        "body": comment.body,
        "html": str(render_markdown(comment.body)),
        "author": {"name": author, "is_staff": bool(member and member.is_staff), "is_me": comment.author_id == user.id},
        "created_at": comment.created_at.isoformat(),
        "updated_at": comment.updated_at.isoformat() if comment.updated_at else None,
        "can_edit": comment.can_edit(user),
        "can_delete": comment.can_edit(user) or comment.submission.assignment.is_staff(user),
        #: hidden by a moderator or held for review (lms.moderation): shown only to its author and the staff
        "hidden": comment.hidden_at is not None,
    }


def _comment_input() -> tuple[str, object]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data.get("body") if isinstance(data.get("body"), str) else "", data.get("at_seconds")


def _json_error(error: ops.HomeworkError):
    return jsonify(error={"code": 422, "message": str(error), "field": error.field}), 422


@bp.route(COMMENTS, methods=["GET", "POST"])
@login_required
def comments(circle_id: int, assignment_id: int, submission_id: int):
    """GET: the comments the user may read, by moment. POST {"body", "at_seconds"|null}: add one."""
    circle, submission = _load_submission(circle_id, assignment_id, submission_id)
    if request.method == "GET":
        rows = q.visible_comments(submission, current_user)
        names = q.memberships_by_user(circle, {c.author_id for c in rows if c.author_id})
        return jsonify(comments=[comment_json(c, names, current_user) for c in rows])
    require(not circle.is_archived)
    body, at_seconds = _comment_input()
    me = circle.membership_of(current_user)
    policy.check_write(circle, current_user, policy.WriteAction.video_comment, me)
    screening = policy.screen(circle, me, body or "")
    if screening.refused:
        return jsonify(error={"code": 422, "message": screening.refused, "field": "body"}), 422
    try:
        comment = ops.add_video_comment(submission, current_user, body, at_seconds=at_seconds,
                                        held=screening.held)
        if screening.held:
            policy.record_hold(circle, "video_comment", comment.id, current_user.id, screening, comment.body)
    except ops.HomeworkError as error:
        db.session.rollback()
        return _json_error(error)
    policy.count_write(circle, current_user, policy.WriteAction.video_comment)  # a refused one counts nothing
    db.session.commit()
    names = q.memberships_by_user(circle, {current_user.id})
    return jsonify(comment=comment_json(comment, names, current_user)), 201


@bp.route(COMMENTS + "/<int:comment_id>", methods=["PATCH", "DELETE"])
@login_required
def comment(circle_id: int, assignment_id: int, submission_id: int, comment_id: int):
    """PATCH {"body", "at_seconds"?}: edit one's own comment. DELETE: hide it (author or staff)."""
    circle, submission = _load_submission(circle_id, assignment_id, submission_id)
    comment = q.get_comment_or_404(submission, comment_id)
    comment.submission = submission
    if request.method == "DELETE":
        require(comment.can_edit(current_user) or submission.assignment.is_staff(current_user))
        ops.delete_video_comment(comment, current_user)
        db.session.commit()
        return "", 204
    require(comment.can_edit(current_user) and not circle.is_archived)
    policy.ensure_not_muted(circle.membership_of(current_user))  # an edit is writing too
    body, at_seconds = _comment_input()
    extra = {"at_seconds": at_seconds} if "at_seconds" in request.get_json() else {}
    try:
        ops.edit_video_comment(comment, current_user, body, **extra)
    except ops.HomeworkError as error:
        db.session.rollback()
        return _json_error(error)
    db.session.commit()
    return jsonify(comment=comment_json(comment, q.memberships_by_user(circle, {current_user.id}), current_user))


from lms.homework import extension_routes  # noqa: E402,F401  (attaches the extension views)
from lms.homework import draft_routes  # noqa: E402,F401  (attaches the draft views)
from lms.homework import zip_routes  # noqa: E402,F401  (attaches the staff's ZIP of the work)
