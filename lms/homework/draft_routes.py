"""Views of a student's draft: may I upload now, keep this upload, discard it, hand it in (from "My uploads" too)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.extensions import db
from lms.homework import bp, drafts
from lms.homework import operations as ops
from lms.homework import queries as q
from lms.homework.routes import hand_in, handed_in  # routes imports this module at its end
from lms.uploads.queries import get_own_media, quota_problem

PREFIX = "/circles/<int:circle_id>/assignments/<int:assignment_id>/draft"


def _load(circle_id: int, assignment_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    assignment = q.get_assignment_or_404(circle, assignment_id, current_user)
    require(assignment.is_learner(current_user))
    return circle, assignment


def _refusal(message: str, status: int):
    return jsonify(error={"code": status, "message": message}), status


@bp.get(PREFIX + "/may-upload")
@login_required
def may_upload(circle_id: int, assignment_id: int):
    """Asked by the uploader before it creates an upload for this assignment (?size=bytes): 200
    when it may start, else 403 (window, role) or 413 (storage quota) with the sentence to show."""
    _circle, assignment = _load(circle_id, assignment_id)
    problem = drafts.upload_problem(assignment, current_user)
    if problem:
        return _refusal(problem, 403)
    size = request.args.get("size", type=int) or 0
    problem = quota_problem(current_user, size)
    if problem:
        return _refusal(problem, 413)
    return jsonify(ok=True)


@bp.post(PREFIX)
@login_required
def keep_draft(circle_id: int, assignment_id: int):
    """JSON {"media_id"}: keep this upload (the student's own video, under way or finished) as the
    draft of the assignment until it is handed in or discarded."""
    _circle, assignment = _load(circle_id, assignment_id)
    data = request.get_json(silent=True) or {}
    media = get_own_media(current_user, data.get("media_id"))
    if media is None:  # someone else's upload, or none at all: the same answer
        return _refusal(_("That upload was not found. Upload the file again."), 404)
    try:
        draft = drafts.attach_to_draft(assignment, current_user, media)
    except drafts.DraftError as error:
        db.session.rollback()
        return _refusal(str(error), 409)
    db.session.commit()
    return jsonify(media_id=draft.media_id)


@bp.post(PREFIX + "/discard")
@login_required
def discard_draft(circle_id: int, assignment_id: int):
    """Take the video off the draft (it stays in "My uploads")."""
    circle, assignment = _load(circle_id, assignment_id)
    if ConfirmForm().validate_on_submit() and drafts.discard_draft(assignment, current_user):
        db.session.commit()
        flash(_("The video is no longer kept for this assignment. It is still in “My uploads”."), "success")
    return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id))


@bp.post(PREFIX + "/hand-in")
@login_required
def hand_in_draft(circle_id: int, assignment_id: int):
    """Hand in the draft's video as the next version (the button on "My uploads")."""
    circle, assignment = _load(circle_id, assignment_id)
    back = redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id))
    if not ConfirmForm().validate_on_submit():
        return back
    draft = drafts.draft_of(assignment, current_user)
    if draft is None or draft.media is None:
        flash(_("There is no video kept for this assignment. Upload it again."), "error")
        return back
    try:
        submission = hand_in(assignment, media=draft.media, text=draft.text or "")
    except ops.SubmissionRefused as error:
        flash(str(error), "error")
        return back
    return handed_in(circle, assignment, submission)
