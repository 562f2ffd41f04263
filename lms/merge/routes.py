"""Account merge views: likely duplicates, preview, confirm, result. Who may not merge gets 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.audit.models import AuditAction, AuditEvent
from lms.extensions import db
from lms.merge import bp
from lms.merge import notifications  # noqa: F401  (registers the merged_grades kind)
from lms.merge import queries as q
from lms.merge.forms import MergeForm
from lms.merge.operations import (IRREVERSIBLE, UNDO_WINDOW, MergeError, merge_accounts, preview_merge, report_of,
                                  undo_blocker, undo_merge)


def _require_merger() -> None:
    if not q.may_use_merge(current_user):
        abort(404)


@bp.route("/merge/")
@login_required
def duplicates():
    _require_merger()
    return render_template("merge/duplicates.html", pairs=q.likely_duplicates(current_user))


@bp.route("/merge/<int:kept_id>/<int:merged_id>", methods=["GET", "POST"])
@login_required
def merge(kept_id: int, merged_id: int):
    _require_merger()
    kept = q.get_user_for_merge_or_404(current_user, kept_id)
    merged = q.get_user_for_merge_or_404(current_user, merged_id)
    if kept.id == merged.id or current_user.id in (kept.id, merged.id):
        abort(404)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            report = merge_accounts(kept, merged, current_user)
        except MergeError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("merge.duplicates"))
        db.session.commit()
        flash(_("%(merged)s was merged into %(kept)s.", merged=merged.email, kept=kept.email), "success")
        return redirect(url_for("merge.result", event_id=report["audit_event_id"]))
    return render_template("merge/confirm.html", kept=kept, merged=merged, plan=preview_merge(kept, merged), form=form,
                           irreversible=IRREVERSIBLE, window=UNDO_WINDOW)


@bp.route("/merge/done/<int:event_id>")
@login_required
def result(event_id: int):
    _require_merger()
    event = _merge_event_or_404(event_id)
    return render_template("merge/result.html", event=event, report=report_of(event),
                           grade_circles=_circles_with_left_grades(event.details.get("merged_id")),
                           undo_blocker=undo_blocker(event), irreversible=IRREVERSIBLE, window=UNDO_WINDOW,
                           form=MergeForm())


@bp.route("/merge/done/<int:event_id>/undo", methods=["POST"])
@login_required
def undo(event_id: int):
    """Undo a merge from its audit record (within UNDO_WINDOW, if nothing later depends on it)."""
    _require_merger()
    event = _merge_event_or_404(event_id)
    if not MergeForm().validate_on_submit():
        abort(400)
    try:
        undo_merge(event, current_user)
    except MergeError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("merge.result", event_id=event.id))
    db.session.commit()
    flash(_("The merge is undone: %(merged)s is a separate account again.", merged=event.details.get("merged")),
          "success")
    return redirect(url_for("merge.duplicates"))


def _merge_event_or_404(event_id: int) -> AuditEvent:
    """A merge's audit record: site admins reach every one, an org admin the merges they made."""
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.action != AuditAction.accounts_merged or not (
            current_user.can_administer_site() or event.actor_id == current_user.id):
        abort(404)
    return event


def _circles_with_left_grades(merged_id) -> list:
    """The circles where grades stayed on the merged-away account (their graders choose on merged-grades)."""
    import sqlalchemy as sa

    from lms.circles.models import Circle
    from lms.grading.models import Grade
    from lms.homework.models import Assignment

    if not isinstance(merged_id, int):
        return []
    return list(db.session.scalars(sa.select(Circle).where(Circle.id.in_(
        sa.select(Assignment.circle_id).join(Grade, Grade.assignment_id == Assignment.id)
        .where(Grade.student_id == merged_id))).order_by(Circle.name)))


# -- grades left on merged-away accounts: the circle's graders choose which stays --------------------

@bp.route("/circles/<int:circle_id>/merged-grades", methods=["GET", "POST"])
@login_required
def grade_conflicts(circle_id: int):
    from flask import request

    from lms.circles.queries import get_circle_or_404
    from lms.merge import grades

    circle = get_circle_or_404(circle_id, current_user)
    if not circle.can_manage_members(current_user):
        abort(404)
    form = MergeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        grade_id = request.form.get("grade", "")
        conflict = grades.get_conflict_or_404(circle, current_user, int(grade_id) if grade_id.isdigit() else 0)
        use_other = request.form.get("choice") == "other"
        grades.choose(conflict, current_user, use_other)
        db.session.commit()
        flash(_("The grade from the merged account now counts.") if use_other else
              _("The kept account's grade stays."), "success")
        return redirect(url_for("merge.grade_conflicts", circle_id=circle.id))
    return render_template("merge/grade_conflicts.html", circle=circle,
                           conflicts=grades.open_conflicts(circle, current_user), form=form)
