"""Views of grading (thin: parse, scoped lookup, permission check, one operation, commit).

Rubric and category pages live in lms/grading/setup_routes.py; this module imports it so the views are attached."""
from __future__ import annotations

import re
from operator import itemgetter

from flask import (Response, abort, flash, jsonify, redirect, render_template, request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from lms.circles.models import CircleKind
from lms.circles.queries import get_circle_or_404
from lms.core.errors import wants_json
from lms.core.permissions import require
from lms.extensions import db
from lms.grading import bp
from lms.grading import exports
from lms.grading import models  # noqa: F401  (mappers are configured together)
from lms.grading import operations as ops
from lms.grading import queries as q
from lms.grading.forms import (ConfirmForm, DeclineRegradeForm, GradeForm, RegradeRequestForm, ReleaseForm)
from lms.grading.gradebook import LOOK, build_gradebook, to_json
from lms.homework import notifications as hw_notifications
from lms.homework import queries as hq
from lms.homework.forms import ExtensionForm

ASSIGNMENT = "/circles/<int:circle_id>/assignments/<int:assignment_id>"
_CRITERION_FIELD = re.compile(r"^c(\d+)$")


def _assignment(circle_id: int, assignment_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return hq.get_assignment_or_404(circle, assignment_id, current_user)


def _work_context(circle, submission, viewer, *, can_comment: bool) -> dict:
    """What templates/grading/_work.html needs. Call only once `viewer` may see `submission`."""
    from lms.uploads.queries import media_urls

    comments = hq.visible_comments(submission, viewer) if submission is not None else []
    return {"comments": comments, "markers": hq.comment_markers(comments), "media_urls": media_urls,
            "comment_names": hq.memberships_by_user(circle, {c.author_id for c in comments if c.author_id}),
            "can_comment": can_comment and not circle.is_archived}


def _grade_json(grade, assignment) -> dict:
    return {"assignment_id": assignment.id, "student_id": grade.student_id, "score": grade.score,
            "final_score": grade.final_score, "points": assignment.points, "penalty_percent": grade.penalty_percent,
            "criterion_scores": grade.criterion_scores, "feedback_md": grade.feedback_md,
            "excused": grade.is_excused, "released_at": grade.released_at.isoformat() if grade.released_at else None}


# -- SpeedGrader -----------------------------------------------------------------------------

@bp.route(f"{ASSIGNMENT}/grade")
@bp.route(f"{ASSIGNMENT}/grade/<int:student_id>", methods=["GET", "POST"])
@login_required
def speedgrader(circle_id: int, assignment_id: int, student_id: int | None = None):
    assignment = _assignment(circle_id, assignment_id)
    require(assignment.can_grade(current_user))
    filter_name = request.args.get("filter", "all")
    if filter_name not in q.FILTERS:
        filter_name = "all"
    everyone = request.args.get("everyone") == "1"  # step through students with nothing handed in too
    queue = q.grading_queue(assignment)
    if student_id is None:
        # `student`: the phone's chooser (a plain GET form) names the student to open
        first = (next((e for e in queue if e.student_id == request.args.get("student", type=int)), None)
                 or q.first_to_open(queue, filter_name))
        if first is not None:
            return redirect(url_for("grading.speedgrader", circle_id=circle_id, assignment_id=assignment_id,
                                    student_id=first.student_id, filter=filter_name, everyone=_flag(everyone)))
        return render_template("grading/speedgrader.html", **_page(assignment, queue, None, filter_name, everyone))
    entry = next((e for e in queue if e.student_id == student_id), None)
    if entry is None:
        abort(404)
    versions = hq.submission_history(assignment, student_id, current_user)
    chosen = request.args.get("version", type=int)
    submission = next((s for s in versions if s.version == chosen), versions[0] if versions else None)
    grade = entry.grade
    open_request = ops.open_regrade_request(grade) if grade is not None else None
    form = GradeForm()
    rubric = assignment.rubric
    if request.method == "GET":
        form.submission_id.data = submission.id if submission else None
        if grade is not None:
            form.score.data, form.feedback.data = grade.score, grade.feedback_md
            form.waive_penalty.data = grade.is_penalty_waived
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        graded = next((s for s in versions if s.id == form.submission_id.data), versions[0] if versions else None)
        scores = {m.group(1): value for key, value in request.form.items() if (m := _CRITERION_FIELD.match(key))}
        try:
            if open_request is not None and request.form.get("resolve") == "accept":
                ops.resolve_regrade(open_request, current_user, accept=True, response=form.regrade_response.data,
                                    score=form.score.data, criterion_scores=scores, feedback=form.feedback.data,
                                    waive_penalty=form.waive_penalty.data)
            else:
                ops.grade_submission(assignment, entry.membership.user, current_user, score=form.score.data,
                                     criterion_scores=scores, feedback=form.feedback.data or "",
                                     waive_penalty=form.waive_penalty.data, submission=graded, tell_student=True)
        except ops.GradingError as error:
            db.session.rollback()
            errors = error.errors
        else:
            db.session.commit()
            flash(_("Grade saved for %(name)s.", name=entry.membership.display_name), "success")
            target, done = student_id, None
            if "save_next" in request.form:
                following = q.next_to_grade(q.grading_queue(assignment), student_id, filter_name, everyone)
                target, done = (following.student_id, None) if following else (student_id, "1")
            return redirect(url_for("grading.speedgrader", circle_id=circle_id, assignment_id=assignment_id,
                                    student_id=target, filter=filter_name, everyone=_flag(everyone), done=done))
    elif request.method == "POST":
        errors = {name: messages[0] for name, messages in form.errors.items()}
    posted = ({m.group(1): v for k, v in request.form.items() if (m := _CRITERION_FIELD.match(k))}
              if request.method == "POST" else dict((grade.criterion_scores or {}) if grade else {}))
    context = _page(assignment, queue, entry, filter_name, everyone)
    context.update(versions=versions, submission=submission, grade=grade, form=form, errors=errors, rubric=rubric,
                   chosen_scores={str(k): v for k, v in posted.items()}, rubric_score=_rubric_score(rubric, posted),
                   open_request=open_request,
                   history=q.grade_history(grade) if grade is not None else [],
                   requests=q.regrade_requests(grade) if grade is not None else [],
                   decline_form=DeclineRegradeForm())
    context.update(_work_context(assignment.circle, submission, current_user, can_comment=True))
    extension = hq.extension_of(assignment, student_id)
    context.update(extension=extension, extension_form=ExtensionForm.filled(extension),
                   can_extend=assignment.can_grant_extensions(current_user) and not assignment.circle.is_archived)
    return render_template("grading/speedgrader.html", **context), (422 if errors else 200)


def _rubric_score(rubric, chosen: dict) -> float | None:
    """The rubric's points for the chosen levels (criterion id → points, as stored or posted), before any
    scaling to the assignment's points; None until every criterion has a level."""
    if rubric is None or not rubric.criteria:
        return None
    try:
        return sum(float(chosen[str(c.id)]) for c in rubric.criteria)
    except (KeyError, TypeError, ValueError):
        return None


def _flag(on: bool) -> str | None:
    """A query flag as SpeedGrader's links carry it: "1", or left out."""
    return "1" if on else None


def _page(assignment, queue, entry, filter_name, everyone=False) -> dict:
    previous, following = (q.neighbours(queue, entry.student_id, filter_name, everyone) if entry is not None
                           else (None, None))
    # after "Save and next" found nothing left: does other work (outside this filter) still wait?
    done = request.args.get("done") == "1"
    return {"assignment": assignment, "circle": assignment.circle, "queue": queue, "entry": entry,
            "everyone": everyone, "everyone_flag": _flag(everyone), "done": done,
            "left_elsewhere": done and any(q.matches(e, "ungraded") for e in queue),
            "filter_name": filter_name, "filters": q.FILTERS, "matches": q.matches, "previous": previous,
            "counts": {name: sum(1 for e in queue if q.matches(e, name)) for name in q.FILTERS},
            "following": following, "missing": [e for e in queue if q.matches(e, "missing")],
            "release_form": ReleaseForm(), "confirm": ConfirmForm()}


@bp.route(f"{ASSIGNMENT}/grade/<int:student_id>/excuse", methods=["POST"])
@login_required
def excuse(circle_id: int, assignment_id: int, student_id: int):
    assignment = _assignment(circle_id, assignment_id)
    require(assignment.can_grade(current_user))
    membership = q.get_learner_or_404(assignment.circle, student_id)
    if ConfirmForm().validate_on_submit():
        excused = request.form.get("excused") == "1"
        ops.set_excused(assignment, membership.user, current_user, excused)
        db.session.commit()
        flash(_("%(name)s is excused from this assignment.", name=membership.display_name) if excused
              else _("%(name)s is no longer excused.", name=membership.display_name), "success")
    return redirect(url_for("grading.speedgrader", circle_id=circle_id, assignment_id=assignment_id,
                            student_id=student_id))


@bp.route(f"{ASSIGNMENT}/release", methods=["POST"])
@bp.route(f"{ASSIGNMENT}/hide", methods=["POST"], endpoint="hide_grades", defaults={"hide": True})
@login_required
def release(circle_id: int, assignment_id: int, hide: bool = False):
    """Release (or hide again) the grades of one student (`student_id`) or of everyone graded."""
    assignment = _assignment(circle_id, assignment_id)
    require(assignment.can_grade(current_user))
    form = ReleaseForm()
    if not form.validate_on_submit():
        abort(400)
    students = None
    if form.student_id.data:
        students = [q.get_learner_or_404(assignment.circle, form.student_id.data).user]
    if hide:
        changed = ops.unrelease_grades(assignment, current_user, students)
        message = ngettext("%(num)d grade hidden from the student.", "%(num)d grades hidden from the students.",
                           len(changed))
    else:
        changed = ops.release_grades(assignment, current_user, students)
        message = ngettext("%(num)d grade released; the student was told.",
                           "%(num)d grades released; the students were told.", len(changed))
    db.session.commit()
    if wants_json():
        return jsonify(changed=[g.student_id for g in changed], message=message)
    flash(message if changed else _("There was no grade to change."), "success" if changed else "info")
    target = {"student_id": form.student_id.data} if form.student_id.data else {}
    return redirect(url_for("grading.speedgrader", circle_id=circle_id, assignment_id=assignment_id, **target))


@bp.route(f"{ASSIGNMENT}/regrades/<int:request_id>/decline", methods=["POST"])
@login_required
def decline_regrade(circle_id: int, assignment_id: int, request_id: int):
    assignment = _assignment(circle_id, assignment_id)
    require(assignment.can_grade(current_user))
    regrade = q.get_regrade_or_404(assignment, request_id)
    form = DeclineRegradeForm()
    if form.validate_on_submit():
        try:
            ops.resolve_regrade(regrade, current_user, accept=False, response=form.response.data)
        except ops.GradingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The regrade request is declined; the student was told."), "success")
    else:
        flash(_("Tell the student why the grade stays as it is."), "error")
    return redirect(url_for("grading.speedgrader", circle_id=circle_id, assignment_id=assignment_id,
                            student_id=regrade.student_id))


# -- the student's feedback ------------------------------------------------------------------

@bp.route(f"{ASSIGNMENT}/feedback", methods=["GET", "POST"])
@login_required
def feedback(circle_id: int, assignment_id: int):
    """A student's own grade and feedback (nothing of it before release); POST asks for a regrade."""
    assignment = _assignment(circle_id, assignment_id)
    if assignment.can_grade(current_user) and not wants_json():
        return redirect(url_for("grading.speedgrader", circle_id=circle_id, assignment_id=assignment_id))
    require(assignment.is_learner(current_user))
    grade = q.grade_of(assignment, current_user.id)
    if grade is not None and not grade.can_view(current_user):
        grade = None  # unreleased: as if there were none, in every form of the page
    form = RegradeRequestForm()
    status = 200
    if request.method == "GET":
        hw_notifications.assignment_opened(assignment, current_user.id)
        db.session.commit()
    if request.method == "POST":
        if grade is None:
            abort(403)
        if form.validate_on_submit():
            try:
                ops.request_regrade(grade, current_user, form.reason.data)
            except ops.GradingError as error:
                db.session.rollback()
                form.reason.errors = [*form.reason.errors, str(error)]
            else:
                db.session.commit()
                flash(_("Your request was sent to your teacher."), "success")
                return redirect(url_for("grading.feedback", circle_id=circle_id, assignment_id=assignment_id))
        status = 422
    versions = hq.submission_history(assignment, current_user.id, current_user)
    submission = None
    if versions:
        graded_id = grade.submission_id if grade is not None else None
        submission = next((s for s in versions if s.id == graded_id), versions[0])
    requests_ = q.regrade_requests(grade) if grade is not None else []
    if wants_json():
        return jsonify(assignment={"id": assignment.id, "title": assignment.title, "points": assignment.points},
                       grade=_grade_json(grade, assignment) if grade is not None else None,
                       regrade_requests=[{"id": r.id, "state": r.state.value, "reason": r.reason,
                                          "response": r.response} for r in requests_]), status
    return render_template("grading/feedback.html", circle=assignment.circle, assignment=assignment, grade=grade,
                           submission=submission, form=form, requests=requests_,
                           open_request=next((r for r in requests_ if r.is_open), None),
                           **_work_context(assignment.circle, submission, current_user, can_comment=False)), status


# -- gradebook -------------------------------------------------------------------------------

def _gradebook_circle(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    if circle.kind != CircleKind.teaching:
        abort(404)  # no grades in community and internal circles
    return circle


@bp.route("/circles/<int:circle_id>/grades")
@login_required
def gradebook(circle_id: int):
    circle = _gradebook_circle(circle_id)
    staff = hq.is_circle_staff(circle, current_user)
    book = build_gradebook(circle, current_user, staff=staff)
    if wants_json():
        return jsonify(to_json(book))
    return _gradebook_page(circle, book, staff)


def _row_cells(macro, staff: bool):
    """A function of a gradebook row giving its cells' markup, each drawn by `macro` (the template's cell)
    once per distinct look: a big class has tens of thousands of cells but a few hundred looks, and a
    macro call costs far more than a dictionary lookup."""
    class Drawn(dict):
        """A cell's values from `score` to `new_version` (Row.values[LOOK], a slice made in C) → its markup,
        drawn on the first miss: a row's cells are then looked up without a Python call per cell."""

        def __missing__(self, values: tuple) -> Markup:
            score, _graded, released, excused, submitted, late, missing, new_version = values
            html = self[values] = macro(excused, score, staff and not released, missing, submitted, late,
                                        new_version)
            return html

    look, draw = itemgetter(LOOK), Drawn().__getitem__

    def cells_of(row) -> Markup:
        return Markup("".join(map(draw, map(look, row.values))))  # every piece is the macro's Markup

    return cells_of


def _gradebook_page(circle, book, staff: bool, options=None, refusal=None):
    return render_template("grading/gradebook.html", circle=circle, book=book, staff=staff, row_cells=_row_cells,
                           columns=list(zip(book.assignments, book.stats)), exports=exports,
                           uncounted=q.uncounted_assignments(book.assignments, book.categories) if staff else [],
                           export_options=options or exports.ExportOptions(), export_refusal=refusal)


def _released_only(fmt: str) -> bool | None:
    """The checkbox of the format's group: the form sends a hidden 0 before it, so an unchecked box
    reads "0" and an absent one (a bare link) the format's default (None)."""
    values = request.values.getlist(f"{exports.GROUPS[fmt]}_released_only") or request.values.getlist("released_only")
    return "1" in values if values else None


@bp.route("/circles/<int:circle_id>/grades/export", methods=["GET", "POST"])
@bp.route("/circles/<int:circle_id>/grades.csv", endpoint="export_csv")
@login_required
def export_grades(circle_id: int):
    """The gradebook as a file: format=canvas|moodle|csv|xlsx, with the teacher's choices for blanks
    (canvas_blanks, moodle_blanks), matching (canvas_match, moodle_match), moodle_scale and whether to
    leave out unreleased grades (canvas_/moodle_/plain_released_only, or released_only; 1 or 0, the
    format's default when absent); a POST may add Canvas's own gradebook export (canvas_current). A file
    that would misplace grades is refused with the reason (422, on the gradebook page)."""
    circle = _gradebook_circle(circle_id)
    require(hq.is_circle_staff(circle, current_user))
    if request.method == "POST" and not ConfirmForm().validate_on_submit():
        abort(400)
    fmt = request.values.get("format", "canvas")
    if fmt not in exports.FORMATS:
        abort(400)
    options = exports.ExportOptions(fmt, blanks=request.values.get(f"{fmt}_blanks", ""),
                                    match=request.values.get(f"{fmt}_match", ""),
                                    scale=request.values.get(f"{fmt}_scale", "percent"),
                                    released_only=_released_only(fmt))
    upload = request.files.get("canvas_current") if fmt == "canvas" else None
    canvas_current = upload.read(exports.MAX_CANVAS_EXPORT_BYTES + 1) if upload and upload.filename else None
    if canvas_current is not None and len(canvas_current) > exports.MAX_CANVAS_EXPORT_BYTES:
        abort(413)
    book = build_gradebook(circle, current_user, staff=True)
    try:
        export = exports.prepare(book, options, canvas_current)
    except exports.ExportRefused as refusal:
        return _gradebook_page(circle, book, True, options, refusal), 422
    exports.record_export(circle, current_user, options, export, with_canvas_export=bool(canvas_current))
    db.session.commit()
    # The chunks are made from plain values read above: streaming needs no database session.
    response = Response(export.chunks, mimetype=export.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


from lms.grading import setup_routes  # noqa: E402,F401  (attaches the rubric and category views)
from lms.grading import peer_routes  # noqa: E402,F401  (attaches accepting the peer score as the grade)
