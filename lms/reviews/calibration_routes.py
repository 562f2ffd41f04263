"""Calibration pages: the teacher's examples (add with a video, score with the reviewers' rubric, edit,
reorder, remove, see the students' practice) and a student's practice review with its comparison to the
teacher's reference (thin: scoped lookup, predicate, one operation, commit)."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import Forbidden

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.extensions import db
from lms.homework import queries as hw
from lms.reviews import bp
from lms.reviews import calibration as cal
from lms.reviews import queries as q
from lms.reviews import reviewing as rv
from lms.reviews.calibration_forms import CalibrationForm, ExampleForm
from lms.reviews.models import WindowState
from lms.reviews.operations import ReviewError
from lms.reviews.routes import PREFIX, _load
from lms.uploads.queries import get_own_media, media_urls

EXAMPLES = PREFIX + "/examples"
PRACTICE = PREFIX + "/practice/<int:example_id>"


class PracticeRefused(Forbidden):
    """Practice refused with a reason the page shows (the window has closed, the circle is archived)."""

    lms_message = True


def _scores_from_form() -> dict:
    return {key[len("score-"):]: value for key, value in request.form.items() if key.startswith("score-")}


def _urls(example) -> dict:
    return media_urls(example.media, (cal.MEDIA_SUBJECT, example.id)) if example.media is not None else {}


# -- the teacher's examples ---------------------------------------------------------------------

def _saved(setup, circle, assignment):
    """The set-up must be saved before examples hang on it; otherwise back to the set-up page."""
    if q.settings_of(assignment) is None:
        flash(_("Save the peer review set-up first."), "error")
        return redirect(url_for("reviews.settings", circle_id=circle.id, assignment_id=assignment.id))
    return None


def _back(circle, assignment):
    return redirect(url_for("reviews.examples", circle_id=circle.id, assignment_id=assignment.id))


@bp.route(EXAMPLES)
@login_required
def examples(circle_id: int, assignment_id: int):
    """The examples, the two calibration switches, the form to add one, and every student's practice."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_view_allocation")
    rubric = rv.rubric_for(setup)
    items = cal.examples_of(assignment)
    form = CalibrationForm(formdata=None, obj=setup)
    learners = hw.learners(circle)
    practices: dict = {}
    for practice in cal.all_practices(assignment):
        practices.setdefault(practice.reviewer_id, {})[practice.example_id] = practice
    figures = cal.accuracy_figures(setup, rubric=rubric) if q.settings_of(assignment) is not None else {}
    return render_template(
        "reviews/examples.html", circle=circle, assignment=assignment, setup=setup, rubric=rubric, examples=items,
        scored={e.id: cal.is_scored(e, rubric) for e in items}, form=form, add_form=ExampleForm(formdata=None),
        can_edit=setup.can_set_up(current_user), is_saved=q.settings_of(assignment) is not None,
        learners=learners, practices=practices, figures=figures, confirm=ConfirmForm(),
        max_examples=cal.MAX_EXAMPLES)


@bp.route(EXAMPLES + "/calibration", methods=["POST"])
@login_required
def save_calibration(circle_id: int, assignment_id: int):
    circle, assignment, setup = _load(circle_id, assignment_id, "can_set_up")
    refused = _saved(setup, circle, assignment)
    if refused:
        return refused
    form = CalibrationForm()
    if form.validate_on_submit():
        cal.save_calibration(setup, current_user, calibration_required=form.calibration_required.data,
                             weight_by_accuracy=form.weight_by_accuracy.data)
        db.session.commit()
        flash(_("Calibration saved."), "success")
    return _back(circle, assignment)


@bp.route(EXAMPLES + "/add", methods=["POST"])
@login_required
def add_example(circle_id: int, assignment_id: int):
    """Add an example: a title and a video uploaded with the upload widget (its media id)."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_set_up")
    refused = _saved(setup, circle, assignment)
    if refused:
        return refused
    form = ExampleForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors) or _("Give the example a title."),
              "error")
        return _back(circle, assignment)
    try:
        example = cal.add_example(setup, current_user, title=form.title.data,
                                  media=get_own_media(current_user, request.form.get("media_id")))
    except ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(circle, assignment)
    db.session.commit()
    flash(_("The example is added. Now score it with the rubric."), "success")
    return redirect(url_for("reviews.edit_example", circle_id=circle.id, assignment_id=assignment.id,
                            example_id=example.id))


@bp.route(EXAMPLES + "/<int:example_id>", methods=["GET", "POST"])
@login_required
def edit_example(circle_id: int, assignment_id: int, example_id: int):
    """Score an example with the reviewers' rubric, change its title, comment or video."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_set_up")
    example = cal.get_example_or_404(assignment, example_id)
    rubric = rv.rubric_for(setup)
    form = ExampleForm(obj=example) if request.method == "GET" else ExampleForm()
    status = 200
    if form.validate_on_submit():
        raw = request.form.get("media_id")
        media = get_own_media(current_user, raw) if raw and raw != str(example.media_id) else None
        try:
            if raw and raw != str(example.media_id) and media is None:
                raise ReviewError(_("That upload was not found. Upload the file again."), "media_id")
            cal.update_example(example, current_user, rubric, title=form.title.data, media=media,
                               scores=_scores_from_form(), comment=form.teacher_comment.data or "")
        except ReviewError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 422
        else:
            db.session.commit()
            if cal.is_scored(example, rubric):
                flash(_("The example is saved."), "success")
            else:
                flash(_("The example is saved, but not every criterion is scored: students practise on it once "
                        "it is."), "warning")
            return _back(circle, assignment)
    elif form.errors:
        status = 422
    return render_template("reviews/example_form.html", circle=circle, assignment=assignment, setup=setup,
                           example=example, rubric=rubric, form=form, urls=_urls(example)), status


@bp.route(EXAMPLES + "/<int:example_id>/move", methods=["POST"])
@login_required
def move_example(circle_id: int, assignment_id: int, example_id: int):
    circle, assignment, setup = _load(circle_id, assignment_id, "can_set_up")
    example = cal.get_example_or_404(assignment, example_id)
    if ConfirmForm().validate_on_submit():
        cal.move_example(example, -1 if request.form.get("step") == "up" else 1)
        db.session.commit()
    return _back(circle, assignment)


@bp.route(EXAMPLES + "/<int:example_id>/remove", methods=["POST"])
@login_required
def remove_example(circle_id: int, assignment_id: int, example_id: int):
    circle, assignment, setup = _load(circle_id, assignment_id, "can_set_up")
    example = cal.get_example_or_404(assignment, example_id)
    if ConfirmForm().validate_on_submit():
        cal.remove_example(example)
        db.session.commit()
        flash(_("The example is removed."), "success")
    return _back(circle, assignment)


@bp.route(EXAMPLES + "/<int:example_id>/practice/<int:student_id>")
@login_required
def student_practice(circle_id: int, assignment_id: int, example_id: int, student_id: int):
    """One student's practice of an example, compared with the reference (staff)."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_view_allocation")
    example = cal.get_example_or_404(assignment, example_id)
    member = hw.memberships_by_user(circle, {student_id}).get(student_id)
    practice = cal.practice_of(example, student_id) if member is not None else None
    if practice is None or not practice.is_submitted:
        abort(404)
    rubric = rv.rubric_for(setup)
    return render_template("reviews/practice.html", circle=circle, assignment=assignment, setup=setup,
                           example=example, practice=practice, rubric=rubric, urls=_urls(example), member=member,
                           rows=cal.comparison(practice, example, rubric), editable=False, confirm=ConfirmForm(),
                           problems=[], position=None, total=None)


# -- a student's practice -----------------------------------------------------------------------

def _practice(circle_id: int, assignment_id: int, example_id: int, *, write: bool = False,
              refused_ok: bool = False):
    """The assignment, set-up, example and rubric, when the viewer may practise on it: 404 for anyone
    outside the circle, for an example not ready for practice, and when peer review is off; 403 for staff and
    other members who do not practise; 403 with the reason for writing after the window closed (unless
    `refused_ok`: the hand-in shows the page again with what was typed)."""
    circle = get_circle_or_404(circle_id, current_user)
    assignment = hw.get_assignment_or_404(circle, assignment_id, current_user)
    setup = q.settings_of(assignment)
    if setup is None or not setup.is_enabled:
        abort(404)
    require(cal.can_practise(setup, current_user))
    example = cal.get_example_or_404(assignment, example_id)
    rubric = rv.rubric_for(setup)
    if not cal.is_practisable(example, rubric):
        abort(404)
    if write and not refused_ok:
        refusal = cal.practice_refusal(setup, current_user.id)
        if refusal:
            raise PracticeRefused(description=refusal)
    return circle, assignment, setup, example, rubric


def _render_practice(circle, assignment, setup, example, rubric, practice, status: int = 200, problems=()):
    shown = practice is not None and practice.is_submitted  # the reference only after the hand-in
    examples = cal.practisable(setup, rubric)
    position = next((i for i, e in enumerate(examples, 1) if e.id == example.id), None)
    own = rv.review_window(setup, current_user.id)
    return render_template(
        "reviews/practice.html", circle=circle, assignment=assignment, setup=setup, example=example,
        practice=practice, rubric=rubric, urls=_urls(example), member=None,
        rows=cal.comparison(practice, example, rubric) if shown else [],
        editable=not shown and cal.practice_refusal(setup, current_user.id) is None, confirm=ConfirmForm(), problems=problems,
        closed_at=own.closes_at if own.state == WindowState.closed else None,
        position=position, total=len(examples)), status


@bp.route(PRACTICE)
@login_required
def practice(circle_id: int, assignment_id: int, example_id: int):
    """The practice page: the example video, the rubric and an overall comment; once handed in, the
    comparison with the teacher's scores, criterion by criterion, and the accuracy."""
    circle, assignment, setup, example, rubric = _practice(circle_id, assignment_id, example_id)
    found = cal.practice_of(example, current_user.id)
    if found is None and cal.practice_refusal(setup, current_user.id) is None:
        found = cal.practice_for(example, current_user)
        db.session.commit()
    return _render_practice(circle, assignment, setup, example, rubric, found)


@bp.route(PRACTICE + "/draft", methods=["POST"])
@login_required
def save_practice_draft(circle_id: int, assignment_id: int, example_id: int):
    """Autosave (JSON, as static/js/reviews/review.js sends it): {"scores": {key: level}, "overall": "…"}."""
    circle, assignment, setup, example, rubric = _practice(circle_id, assignment_id, example_id, write=True)
    data = request.get_json(silent=True) or {}
    found = cal.practice_for(example, current_user)
    try:
        cal.save_practice(found, rubric, scores=data.get("scores"), overall=data.get("overall"))
    except ReviewError as error:
        db.session.rollback()
        return jsonify(error=str(error)), 409
    db.session.commit()
    return jsonify(saved=True)


@bp.route(PRACTICE, methods=["POST"])
@login_required
def submit_practice(circle_id: int, assignment_id: int, example_id: int):
    """Hand the practice in (what was typed is saved first, so a refusal loses nothing)."""
    circle, assignment, setup, example, rubric = _practice(circle_id, assignment_id, example_id, write=True,
                                                           refused_ok=True)
    require(ConfirmForm().validate_on_submit())
    refusal = cal.practice_refusal(setup, current_user.id)
    if refusal:  # too late: nothing is saved, but the page keeps what was typed and says why
        typed = rv.as_typed(cal.practice_of(example, current_user.id), rubric, _scores_from_form(),
                            request.form.get("overall", ""))
        return _render_practice(circle, assignment, setup, example, rubric, typed, 422, [refusal])
    found = cal.practice_for(example, current_user)
    try:
        cal.save_practice(found, rubric, scores=_scores_from_form(), overall=request.form.get("overall", ""))
        db.session.commit()
        cal.submit_practice(found, example, rubric, setup)
    except ReviewError as error:
        db.session.rollback()
        db.session.expire_all()
        found = cal.practice_of(example, current_user.id)
        problems = (cal.practice_problems(found, rubric, setup) if found and not found.is_submitted else []) or [str(error)]
        return _render_practice(circle, assignment, setup, example, rubric, found, 422, problems)
    db.session.commit()
    flash(_("Your practice review is handed in. See how close you came to your teacher's scores."), "success")
    return redirect(url_for("reviews.practice", circle_id=circle.id, assignment_id=assignment.id,
                            example_id=example.id))
