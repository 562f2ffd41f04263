"""Views of extensions: a later due or close time for chosen students (owner and teachers)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import from_local
from lms.core.permissions import require
from lms.extensions import db
from lms.homework import bp
from lms.homework import operations as ops
from lms.homework import queries as q
from lms.homework.forms import ExtensionForm
from lms.homework.grades import grade_source

PREFIX = "/circles/<int:circle_id>/assignments/<int:assignment_id>/extensions"


def _load(circle_id: int, assignment_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    assignment = q.get_assignment_or_404(circle, assignment_id, current_user)
    require(assignment.can_grant_extensions(current_user) and not circle.is_archived)
    return circle, assignment


def _after_extension(circle, assignment, student_ids: list[int]):
    # Back where the teacher was: SpeedGrader for one student when asked from there (no free-form URL).
    if request.form.get("back") == "grade" and len(student_ids) == 1:
        grading_url = grade_source().grading_url(assignment, student_ids[0])
        if grading_url:
            return redirect(grading_url)
    return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id) + "#extensions")


@bp.route(PREFIX, methods=["POST"])
@login_required
def grant_extension(circle_id: int, assignment_id: int):
    """Give the students ticked (`student_id`, repeated) a later due time, or change theirs."""
    circle, assignment = _load(circle_id, assignment_id)
    form = ExtensionForm()
    ids = sorted({int(raw) for raw in request.form.getlist("student_id") if raw.strip().isdigit()})
    if not form.validate_on_submit():
        for name, messages in form.errors.items():
            label = getattr(form, name).label.text if hasattr(form, name) else ""
            flash(_("%(label)s: %(value)s", label=label, value=messages[0]) if label else messages[0], "error")
        return _after_extension(circle, assignment, ids)
    members = q.memberships_by_user(circle, ids)
    students = [members[i].user for i in ids if i in members]
    try:
        if len(students) != len(ids):
            raise ops.HomeworkError(_("Extensions are for the circle's students only."), "student_id")
        changed = ops.grant_extension(assignment, students, current_user, due_at=from_local(form.due_at.data),
                                      closes_at=from_local(form.closes_at.data), reason=form.reason.data or "")
    except ops.HomeworkError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _after_extension(circle, assignment, ids)
    db.session.commit()
    if changed:
        flash(ngettext("Extension saved for %(num)d student.", "Extensions saved for %(num)d students.",
                       len(changed)), "success")
    else:
        flash(_("Nothing changed."), "info")
    return _after_extension(circle, assignment, ids)


@bp.route(PREFIX + "/<int:extension_id>/delete", methods=["POST"])
@login_required
def remove_extension(circle_id: int, assignment_id: int, extension_id: int):
    """Take an extension back: the student's times are the assignment's again."""
    circle, assignment = _load(circle_id, assignment_id)
    extension = q.get_extension_or_404(assignment, extension_id)
    student_id = extension.student_id
    if ConfirmForm().validate_on_submit():
        ops.remove_extension(extension, current_user)
        db.session.commit()
        flash(_("The extension is removed; the assignment's times apply again."), "success")
    return _after_extension(circle, assignment, [student_id])
