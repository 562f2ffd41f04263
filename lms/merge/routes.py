"""Account merge views: likely duplicates, preview, confirm, result. Who may not merge gets 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.audit.models import AuditAction, AuditEvent
from lms.extensions import db
from lms.merge import bp
from lms.merge import queries as q
from lms.merge.forms import MergeForm
from lms.merge.operations import MergeError, merge_accounts, preview_merge


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
    return render_template("merge/confirm.html", kept=kept, merged=merged, plan=preview_merge(kept, merged), form=form)


@bp.route("/merge/done/<int:event_id>")
@login_required
def result(event_id: int):
    _require_merger()
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.action != AuditAction.accounts_merged or not (
            current_user.can_administer_site() or event.actor_id == current_user.id):
        abort(404)
    return render_template("merge/result.html", event=event, report=event.details.get("report", {}))
