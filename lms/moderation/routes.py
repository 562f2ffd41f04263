"""Moderation pages: report (any member), a circle's review queue and its actions, the circle's moderation
settings, an organization's and the site's queues, the site admin's suspension. Thin: parse, scoped lookup,
check, one operation, commit."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.models import User
from lms.circles.locks import locked_settings, refuse_change
from lms.circles.queries import get_circle_or_404
from lms.core.errors import wants_json
from lms.core.permissions import admin_required, require
from lms.core.types import utcnow
from lms.core.urls import safe_next
from lms.extensions import db
from lms.moderation import bp
from lms.moderation import operations as ops
from lms.moderation import queries as q
from lms.moderation.forms import REASON_LABELS, ActionForm, ReportForm, SettingsForm
from lms.moderation.kinds import KIND_LABELS, load_target
from lms.moderation.models import ActionKind, ReportKind, ReportReason
from lms.moderation.policy import WriteAction, count_write, ensure_write_rate, settings_of
from lms.orgs.queries import get_org_or_404

PREFIX = "/c/<int:circle_id>/moderation"


def _answer(ok: bool, message: str, status: int, back: str):
    if wants_json():
        return jsonify(ok=ok, message=message), status
    flash(message, "success" if ok else "error")
    return redirect(back)


# -- reporting -------------------------------------------------------------------------------------

@bp.route(PREFIX + "/report", methods=["POST"])
@login_required
def report(circle_id: int):
    """Report a thing of the circle (JSON from static/js/report.js, or a plain form)."""
    circle = get_circle_or_404(circle_id, current_user)
    require(q.can_report(circle, current_user))
    form = ReportForm(data=request.get_json(silent=True)) if request.is_json else ReportForm()
    back = safe_next(form.next.data, "circles.index") if form.next.data else url_for("circles.home", circle_id=circle.id)
    if not form.validate_on_submit():
        return _answer(False, _("Choose a reason."), 422, back)
    try:
        kind = ReportKind(form.kind.data)
    except ValueError:
        abort(404)
    ensure_write_rate(circle, current_user, WriteAction.report)
    try:
        _report, created = ops.file_report(circle, current_user, kind, form.object_id.data,
                                           ReportReason(form.reason.data), form.details.data or "")
    except ops.ModerationError as error:
        db.session.rollback()
        return _answer(False, str(error), 422, back)
    if created:  # a refused report, or one the reporter had already filed, uses none of their allowance
        count_write(circle, current_user, WriteAction.report)
    db.session.commit()
    message = (_("Thank you. The circle's staff will look at it; you will hear what they decide.") if created
               else _("You reported this already; the staff have your report."))
    return _answer(True, message, 201 if created else 200, back)


# -- the queues ------------------------------------------------------------------------------------

def _queue_page(scope, template_args: dict, *, show_circle: bool, hidden_author_ids: list[int] = ()):
    sort = request.args.get("sort", "newest")
    if sort not in q.SORTS:
        sort = "newest"
    page = q.queue(scope, sort=sort, page=request.args.get("page", 1, type=int), hidden_author_ids=hidden_author_ids)
    figures = q.figures(scope, hidden_author_ids=hidden_author_ids)
    return render_template("moderation/queue.html", page=page, sort=sort, figures=figures, now=utcnow(),
                           show_circle=show_circle, form=ActionForm(), kind_labels=KIND_LABELS,
                           reason_labels=REASON_LABELS, is_site_admin=current_user.is_admin, **template_args)


@bp.route(PREFIX)
@login_required
def queue(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(q.can_moderate(circle, current_user))
    # reports about a staff member go above them (their org's and the site's admins, the owner for a teacher)
    return _queue_page([circle.id], {"circle": circle, "can_configure": q.can_configure(circle, current_user)},
                       show_circle=False, hidden_author_ids=q.unreviewable_author_ids(circle, current_user))


@bp.route("/orgs/<int:org_id>/moderation")
@login_required
def org_queue(org_id: int):
    org = get_org_or_404(org_id, current_user)
    require(org.can_manage(current_user))
    return _queue_page(q.org_circle_ids(org.id), {"org": org}, show_circle=True,
                       hidden_author_ids=q.org_unreviewable_author_ids(org.id, current_user))


@bp.route("/admin/moderation")
@admin_required
def site_queue():
    return _queue_page(None, {"site": True}, show_circle=True,
                       hidden_author_ids=q.site_unreviewable_author_ids(current_user))


@bp.route(PREFIX + "/<kind>/<int:object_id>/<any(hide, unhide, delete, approve, warn, mute, remove, ban, dismiss, "
          "site_hide):action>", methods=["POST"])
@login_required
def act(circle_id: int, kind: str, object_id: int, action: str):
    circle = get_circle_or_404(circle_id, current_user)
    require(q.can_moderate(circle, current_user))
    if action == ActionKind.site_hide:
        require(current_user.is_admin)
    try:
        kind = ReportKind(kind)
    except ValueError:
        abort(404)
    target = load_target(circle, kind, object_id)
    if target is not None and not q.can_review(circle, current_user, target.author_id):
        abort(404)  # about themselves, or someone above them: for them there is no such report
    form = ActionForm()
    back = safe_next(form.next.data, "circles.index") if form.next.data else url_for("moderation.queue",
                                                                                     circle_id=circle.id)
    if not form.validate_on_submit():
        return _answer(False, _("Check the reason and the time, then try again."), 422, back)
    try:
        ops.act(circle, kind, object_id, ActionKind(action), current_user, form.reason.data or "",
                mute_minutes=form.mute_minutes.data)
    except ops.ModerationError as error:
        db.session.rollback()
        return _answer(False, str(error), 422, back)
    db.session.commit()
    if action == ActionKind.approve:
        return _answer(True, _("Approved: everyone sees it now."), 200, back)
    return _answer(True, _("Done. The report is answered."), 200, back)


@bp.route("/admin/moderation/users/<int:user_id>/suspend", methods=["POST"])
@admin_required
def suspend(user_id: int):
    """A site admin suspends an account site-wide (the accounts' disable path), from a queue item or not."""
    user = db.session.get(User, user_id) or abort(404)
    form = ActionForm()
    back = safe_next(form.next.data, "moderation.site_queue") if form.next.data else url_for("moderation.site_queue")
    circle = kind = object_id = None
    if request.form.get("circle_id", type=int):
        circle = get_circle_or_404(request.form.get("circle_id", type=int), current_user)
        try:
            kind = ReportKind(request.form.get("kind", ""))
        except ValueError:
            abort(404)
        object_id = request.form.get("object_id", type=int)
    if not form.validate_on_submit():
        return _answer(False, _("Check the reason, then try again."), 422, back)
    try:
        ops.suspend_account(user, current_user, form.reason.data or "", circle=circle, kind=kind, object_id=object_id)
    except ops.ModerationError as error:
        db.session.rollback()
        return _answer(False, str(error), 422, back)
    db.session.commit()
    return _answer(True, _("The account is suspended: signed out everywhere, and sign-in is refused."), 200, back)


# -- settings --------------------------------------------------------------------------------------

@bp.route(PREFIX + "/settings", methods=["GET", "POST"])
@login_required
def settings(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(q.can_configure(circle, current_user))
    stored = settings_of(circle)
    form = SettingsForm(obj=None if request.method == "POST" else _settings_data(stored))
    status = 200
    locked = locked_settings(circle)
    if form.validate_on_submit() and not refuse_change(form.word_list, locked, "word_list",
                                                       stored.word_list if stored else "", form.word_list.data,
                                                       key=_words):
        try:
            ops.update_settings(circle, current_user, first_posts_need_approval=form.first_posts_need_approval.data,
                                word_list=form.word_list.data or "", links_allowed=form.links_allowed.data,
                                posts_per_hour=form.posts_per_hour.data,
                                comments_per_hour=form.comments_per_hour.data,
                                chat_per_minute=form.chat_per_minute.data)
        except ops.ModerationError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 422
        else:
            db.session.commit()
            flash(_("Moderation settings saved."), "success")
            return redirect(url_for("moderation.settings", circle_id=circle.id))
    elif request.method == "POST":
        status = 422
    if form.errors:
        status = 422
    return render_template("moderation/settings.html", circle=circle, form=form, locked=locked), status


def _words(text: str | None) -> list[str]:
    """A word list as compared: its entries, blank lines and surrounding spaces left out."""
    return [w.strip() for w in (text or "").splitlines() if w.strip()]


class _SettingsData:
    def __init__(self, stored):
        self.first_posts_need_approval = bool(stored and stored.first_posts_since is not None)
        self.links_allowed = True if stored is None else stored.links_allowed
        self.word_list = stored.word_list if stored else ""
        self.posts_per_hour = stored.posts_per_hour if stored else None
        self.comments_per_hour = stored.comments_per_hour if stored else None
        self.chat_per_minute = stored.chat_per_minute if stored else None


def _settings_data(stored):
    return _SettingsData(stored)
