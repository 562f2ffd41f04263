"""Enrolment views: the join code, invite links, course codes and their CSV."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required
from wtforms import SelectChoice

from lms.circles import bp
from lms.circles import operations as ops
from lms.circles import queries as q
from lms.circles.codes import format_code
from lms.circles.forms import ROLE_LABELS, ConfirmForm, CourseCodesForm, InviteForm
from lms.circles.models import Circle, CircleKind, Role
from lms.circles.routes._common import _csv_response
from lms.core.i18n import from_local
from lms.core.permissions import require
from lms.core.types import utcnow
from lms.extensions import db


def _invite_form(circle: Circle) -> InviteForm:
    form = InviteForm()
    roles = [Role.student, Role.member] if circle.kind != CircleKind.teaching else [Role.student]
    if circle.can_change_roles(current_user):
        roles += [Role.assistant, Role.teacher]
    form.role.choices = [SelectChoice(r.value, ROLE_LABELS[r]) for r in roles]
    return form


def _expiry_in_future(field) -> bool:
    """An expiry already past would make a link or codes that never work: say so instead."""
    expires_at = from_local(field.data)
    if expires_at is not None and expires_at <= utcnow():
        field.errors.append(_("Choose a time in the future, or leave it empty."))
        return False
    return True


@bp.route("/c/<int:circle_id>/enrol")
@login_required
def enrol(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    return _enrol_page(circle)


def _enrol_page(circle, invite_form=None, codes_form=None, status=200):
    return render_template("circles/enrol.html", circle=circle, invites=q.active_invites(circle),
                           batches=q.course_code_batches(circle), invite_form=invite_form or _invite_form(circle),
                           codes_form=codes_form or CourseCodesForm(), confirm=ConfirmForm(),
                           can_edit=circle.can_edit(current_user)), status


@bp.route("/c/<int:circle_id>/join-code", methods=["POST"])
@login_required
def regenerate_join_code(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_edit(current_user))
    if ConfirmForm().validate_on_submit():
        ops.regenerate_join_code(circle)
        db.session.commit()
        flash(_("The circle has a new join code. The old one no longer works."), "success")
    return redirect(url_for("circles.enrol", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/invites", methods=["POST"])
@login_required
def create_invite(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    form = _invite_form(circle)
    if not form.validate_on_submit() or not _expiry_in_future(form.expires_at):
        return _enrol_page(circle, invite_form=form, status=422)
    try:
        invite = ops.create_invite(circle, current_user, role=Role(form.role.data), max_uses=form.max_uses.data,
                                   expires_at=from_local(form.expires_at.data))
    except ops.CircleError as error:
        form.role.errors.append(str(error))
        return _enrol_page(circle, invite_form=form, status=422)
    db.session.commit()
    flash(_("Invite link created. Copy it and share it with the people you want in the circle."), "success")
    return redirect(url_for("circles.enrol", circle_id=circle.id, _anchor=f"invite-{invite.id}"))


@bp.route("/c/<int:circle_id>/invites/<int:invite_id>/revoke", methods=["POST"])
@login_required
def revoke_invite(circle_id: int, invite_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    invite = q.get_invite_or_404(circle, invite_id)
    require(circle.can_manage_members(current_user))
    if ConfirmForm().validate_on_submit():
        ops.revoke_invite(invite)
        db.session.commit()
        flash(_("The invite link no longer works."), "success")
    return redirect(url_for("circles.enrol", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/course-codes", methods=["POST"])
@login_required
def create_course_codes(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    form = CourseCodesForm()
    if not form.validate_on_submit() or not _expiry_in_future(form.expires_at):
        return _enrol_page(circle, codes_form=form, status=422)
    codes = ops.generate_course_codes(circle, form.count.data, batch=form.batch.data,
                                      expires_at=from_local(form.expires_at.data))
    db.session.commit()
    flash(ngettext("%(num)d course code created. Download it as CSV and give it to the student.",
                   "%(num)d course codes created. Download them as CSV and give one to each student.", len(codes)),
          "success")
    return redirect(url_for("circles.enrol", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/course-codes.csv")
@login_required
def course_codes_csv(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    batch = request.args.get("batch", "")
    codes = q.course_codes(circle, batch)
    if not codes:
        abort(404)
    rows = [[_("Code"), _("Batch"), _("Expires (UTC)"), _("Redeemed by"), _("Redeemed at (UTC)")]]
    for code in codes:
        # grouped as the enrol page and the demo write codes (ABCDE-FGHJK); typed either way they redeem
        rows.append([format_code(code.code), code.batch, code.expires_at.isoformat() if code.expires_at else "",
                     code.redeemed_by.email if code.redeemed_by else "",
                     code.redeemed_at.isoformat() if code.redeemed_at else ""])
    return _csv_response(rows, f"course-codes-{circle.id}.csv")
