"""Account merge views: likely duplicates, preview, confirm, result. Who may not merge gets 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.audit.models import AuditAction, AuditEvent
from lms.extensions import db
from lms.merge import bp
from lms.merge import models  # noqa: F401  (merge_dismissals)
from lms.merge import notifications  # noqa: F401  (registers the merged_grades kind)
from lms.merge import queries as q
from lms.merge.forms import MergeForm
from lms.merge.operations import (IRREVERSIBLE, UNDO_WINDOW, MergeError, merge_accounts, preview_merge, report_of,
                                  undo_blocker, undo_merge, undo_plan)


def _scope(org_id: int | None):
    """The organization whose merge pages these are (/orgs/<id>/merge/...: its admins, both accounts its
    members only), or None for the site's pages (/merge/...: site admins, and org admins over their orgs).
    404 for anyone else."""
    if org_id is not None:
        return q.get_org_for_merge_or_404(current_user, org_id)
    if not q.may_use_merge(current_user):
        abort(404)
    return None


def _routes(rule: str, **options):
    """Register a view at /merge<rule> and at /orgs/<org_id>/merge<rule> (org_id None on the first)."""
    def decorate(view):
        bp.add_url_rule(f"/merge{rule}", view_func=view, defaults={"org_id": None}, **options)
        bp.add_url_rule(f"/orgs/<int:org_id>/merge{rule}", view_func=view, **options)
        return view
    return decorate


@_routes("/")
@login_required
def duplicates(org_id: int | None):
    org = _scope(org_id)
    return render_template("merge/duplicates.html", pairs=q.likely_duplicates(current_user, org), org=org,
                           org_id=org_id, form=MergeForm())


@_routes("/dismiss/<int:a_id>/<int:b_id>", methods=["POST"])
@login_required
def dismiss(a_id: int, b_id: int, org_id: int | None):
    """"Not a duplicate": the pair stops showing in the list (stored, for every admin)."""
    import sqlalchemy as sa

    from lms.merge.models import MergeDismissal

    org = _scope(org_id)
    a = q.get_user_for_merge_or_404(current_user, a_id, org)
    b = q.get_user_for_merge_or_404(current_user, b_id, org)
    if a.id == b.id or not MergeForm().validate_on_submit():
        abort(400 if a.id != b.id else 404)
    low, high = min(a.id, b.id), max(a.id, b.id)
    if not db.session.scalar(sa.select(MergeDismissal.id).where(MergeDismissal.user_a_id == low,
                                                               MergeDismissal.user_b_id == high)):
        db.session.add(MergeDismissal(user_a_id=low, user_b_id=high, dismissed_by_id=current_user.id))
        from lms.audit.operations import record_event

        record_event(AuditAction.merge_dismissed, current_user, target=a, org_id=org.id if org else None,
                     details={"kept": a.email, "merged": b.email})
        db.session.commit()
    flash(_("%(a)s and %(b)s are no longer listed as likely duplicates.", a=a.email, b=b.email), "success")
    return redirect(url_for("merge.duplicates", org_id=org_id))


@_routes("/<int:kept_id>/<int:merged_id>", methods=["GET", "POST"])
@login_required
def merge(kept_id: int, merged_id: int, org_id: int | None):
    org = _scope(org_id)
    kept = q.get_user_for_merge_or_404(current_user, kept_id, org)
    merged = q.get_user_for_merge_or_404(current_user, merged_id, org)
    if kept.id == merged.id or current_user.id in (kept.id, merged.id):
        abort(404)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            report = merge_accounts(kept, merged, current_user)
        except MergeError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("merge.duplicates", org_id=org_id))
        db.session.commit()
        flash(_("%(merged)s was merged into %(kept)s.", merged=merged.email, kept=kept.email), "success")
        return redirect(url_for("merge.result", event_id=report["audit_event_id"], org_id=org_id))
    from lms.merge.operations import missing_rules, missing_rules_message

    missing = missing_rules()
    return render_template("merge/confirm.html", kept=kept, merged=merged, plan=preview_merge(kept, merged), form=form,
                           irreversible=IRREVERSIBLE, window=UNDO_WINDOW, org_id=org_id,
                           refusal=missing_rules_message(missing) if missing else None)


@_routes("/done/<int:event_id>")
@login_required
def result(event_id: int, org_id: int | None):
    org = _scope(org_id)
    event = _merge_event_or_404(event_id, org)
    return render_template("merge/result.html", event=event, report=report_of(event),
                           grade_circles=_circles_with_left_grades(event.details.get("merged_id")),
                           undo_blocker=undo_blocker(event), irreversible=IRREVERSIBLE, window=UNDO_WINDOW,
                           form=MergeForm(), org_id=org_id)


@_routes("/done/<int:event_id>/undo", methods=["GET", "POST"])
@login_required
def undo(event_id: int, org_id: int | None):
    """Undo a merge from its audit record (within UNDO_WINDOW, if nothing later depends on it): GET shows
    what it will put back and asks; POST does it."""
    org = _scope(org_id)
    event = _merge_event_or_404(event_id, org)
    form = MergeForm()
    if request.method == "GET":
        return render_template("merge/undo.html", event=event, plan=undo_plan(event), blocker=undo_blocker(event),
                               irreversible=IRREVERSIBLE, form=form, org_id=org_id)
    if not form.validate_on_submit():
        abort(400)
    try:
        undo_merge(event, current_user)
    except MergeError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("merge.result", event_id=event.id, org_id=org_id))
    db.session.commit()
    flash(_("The merge is undone: %(merged)s is a separate account again.", merged=event.details.get("merged")),
          "success")
    return redirect(url_for("merge.duplicates", org_id=org_id))


def _merge_event_or_404(event_id: int, org=None) -> AuditEvent:
    """A merge's audit record: site admins reach every one, an org admin the merges they made; on an
    organization's pages only merges of two accounts still within that organization."""
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.action != AuditAction.accounts_merged or not (
            current_user.can_administer_site() or event.actor_id == current_user.id):
        abort(404)
    if org is not None:
        from lms.accounts.models import User

        for key in ("kept_id", "merged_id"):
            user = db.session.get(User, (event.details or {}).get(key))
            if user is None or user.is_admin or q.linked_orgs([user.id])[user.id] - {org.id}:
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
        .where(Grade.student_id == merged_id))).order_by(Circle.sort_key, Circle.name)))


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
