"""Views of review-window extensions: a teacher gives one student a later close for their review tasks,
changes or removes it (from the allocation page, or a student's own page linked from the results)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.models import User
from lms.circles.forms import ConfirmForm
from lms.circles.models import MembershipStatus
from lms.core.i18n import from_local
from lms.extensions import db
from lms.homework import queries as hw
from lms.homework.models import LEARNER_ROLES
from lms.reviews import bp
from lms.reviews import extensions as ext
from lms.reviews import queries as q
from lms.reviews import reviewing as rv
from lms.reviews.forms import ExtensionForm
from lms.reviews.operations import ReviewError
from lms.reviews.routes import PREFIX, _field_error, _load

EXTENSIONS = PREFIX + "/extensions"


def _learner_or_404(circle, user_id: int):
    """The circle identity of an active student of the circle, else 404."""
    member = hw.memberships_by_user(circle, {user_id}).get(user_id)
    if member is None or member.status != MembershipStatus.active or member.role not in LEARNER_ROLES:
        abort(404)
    return member


def _to_student(circle_id: int, assignment_id: int, user_id: int):
    return redirect(url_for("reviews.student_extension", circle_id=circle_id, assignment_id=assignment_id,
                            user_id=user_id))


def _to_allocation(circle_id: int, assignment_id: int):
    return redirect(url_for("reviews.allocation", circle_id=circle_id, assignment_id=assignment_id) + "#extensions")


def _save(setup, form: ExtensionForm, user_id: int | None) -> bool:
    """Grant or change from a validated form; flashes the outcome. False (and the error on the form) when
    refused."""
    try:
        extension = ext.grant_extension(setup, db.session.get(User, user_id) if user_id else None, current_user,
                                        from_local(form.closes_at.data))
    except ReviewError as error:
        db.session.rollback()
        _field_error(form, error)
        return False
    db.session.commit()
    flash(_("The extension is saved: the student is told.") if extension else _("Nothing changed."),
          "success" if extension else "info")
    return True


@bp.route(EXTENSIONS, methods=["POST"])
@login_required
def grant_extension(circle_id: int, assignment_id: int):
    """Give the student chosen on the allocation page a later close of their review window (or move it)."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_grant_extensions")
    form = ExtensionForm()
    if form.validate_on_submit() and _save(setup, form, form.user_id.data):
        return _to_allocation(circle.id, assignment.id)
    for name, messages in form.errors.items():
        label = getattr(form, name).label.text
        flash(_("%(label)s: %(value)s", label=label, value=messages[0]), "error")
    return _to_allocation(circle.id, assignment.id)


@bp.route(EXTENSIONS + "/<int:user_id>", methods=["GET", "POST"])
@login_required
def student_extension(circle_id: int, assignment_id: int, user_id: int):
    """One student's review window: their tasks, their extension (give, change, remove)."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_grant_extensions")
    member = _learner_or_404(circle, user_id)
    extension = q.extension_of(assignment.id, user_id)
    form = ExtensionForm()
    form.user_id.choices = [(member.user_id, member.display_name)]
    if not form.is_submitted() and extension is not None:
        form.fill(extension)
    if form.validate_on_submit() and _save(setup, form, user_id):
        return _to_student(circle.id, assignment.id, user_id)
    tasks = q.tasks_of(assignment, user_id)
    done, total = rv.progress(tasks)
    granted_by = hw.memberships_by_user(circle, {extension.granted_by_id}) if extension and extension.granted_by_id else {}
    return render_template("reviews/extension.html", circle=circle, assignment=assignment, setup=setup,
                           member=member, extension=extension, form=form, done=done, total=total,
                           window=rv.review_window(setup, user_id), granted_by=granted_by,
                           confirm=ConfirmForm()), 422 if form.errors else 200


@bp.route(EXTENSIONS + "/<int:user_id>/delete", methods=["POST"])
@login_required
def remove_extension(circle_id: int, assignment_id: int, user_id: int):
    """Take a student's extension back: everyone's window holds for them again."""
    circle, assignment, setup = _load(circle_id, assignment_id, "can_grant_extensions")
    extension = q.extension_of(assignment.id, user_id)
    if extension is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        ext.remove_extension(setup, extension, current_user)
        db.session.commit()
        flash(_("The extension is removed: the review window closes for them with everyone's."), "success")
    if request.form.get("back") == "student":
        return _to_student(circle.id, assignment.id, user_id)
    return _to_allocation(circle.id, assignment.id)
