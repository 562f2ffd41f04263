"""Roster views: the member list and its CSV, identities, roles, requests, removal, transfer, leaving."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from lms.circles import bp
from lms.circles import operations as ops
from lms.circles import queries as q
from lms.circles.forms import ROLE_LABELS, ConfirmForm, IdentityForm, RoleForm, RosterImportForm
from lms.circles.roster_import import MAX_ROWS, RosterImportError, RosterReport, import_roster, parse_roster
from lms.circles.models import MembershipStatus, Role
from lms.circles.routes._common import _csv_response
from lms.core.permissions import require
from lms.core.types import utcnow
from lms.extensions import db

#: Lists of the roster only the staff see: join requests, and the people they removed (to readmit).
STAFF_FILTERS = {MembershipStatus.pending.value, MembershipStatus.removed.value}


@bp.route("/c/<int:circle_id>/members")
@login_required
def members(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    manage = circle.can_manage_members(current_user)
    wanted = request.args.get("status")
    status = MembershipStatus(wanted) if manage and wanted in STAFF_FILTERS else MembershipStatus.active
    role = request.args.get("role")
    page = q.members_page(circle, page=request.args.get("page", 1, type=int),
                          per_page=current_app.config["MEMBERS_PER_PAGE"], search=request.args.get("q"),
                          role=Role(role) if role in Role.__members__ else None, status=status,
                          search_private=manage)
    return render_template("circles/members.html", circle=circle, page=page, manage=manage, status=status,
                           can_change_roles=circle.can_change_roles(current_user), role_labels=ROLE_LABELS,
                           pending=q.pending_count(circle) if manage else 0,
                           removed=q.removed_count(circle) if manage else 0, confirm=ConfirmForm(),
                           me=circle.membership_of(current_user), now=utcnow(),
                           removed_at=q.removed_at(page.items) if status == MembershipStatus.removed else {})


@bp.route("/c/<int:circle_id>/members.csv")
@login_required
def members_csv(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    page = q.members_page(circle, page=1, per_page=100000)
    rows = [[_("Name in circle"), _("Real name"), _("Student number"), _("Role"), _("Email"), _("Joined (UTC)")]]
    for m in page.items:
        rows.append([m.display_name, m.real_name or "", m.student_no or "", str(ROLE_LABELS[m.role]), m.user.email,
                     m.joined_at.isoformat()])
    return _csv_response(rows, f"roster-{circle.id}.csv")


#: Largest roster file read (a few thousand lines of names, numbers and addresses).
MAX_ROSTER_BYTES = 2 * 1024 * 1024


@bp.route("/c/<int:circle_id>/members/import", methods=["GET", "POST"])
@login_required
def import_members(circle_id: int):
    """Enrol (or update the numbers of) people listed in a CSV, matched to their accounts by email."""
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_manage_members(current_user))
    form = RosterImportForm()
    report, status = None, 200
    if form.validate_on_submit():
        data = form.file.data.stream.read(MAX_ROSTER_BYTES + 1)
        try:
            if len(data) > MAX_ROSTER_BYTES:
                raise RosterImportError(_too_big())
            report = import_roster(circle, current_user, parse_roster(data), readmit=form.readmit.data)
        except RosterImportError as error:
            db.session.rollback()
            report, status = error.report, 422
        else:
            db.session.commit()
    elif form.is_submitted():
        status = 422
    return render_template("circles/roster_import.html", circle=circle, form=form, report=report,
                           max_rows=MAX_ROWS), status


def _too_big() -> RosterReport:
    return RosterReport(errors=[(0, _("The file is larger than 2 MB. Split it and send the parts one by one."))])


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(circle_id: int, membership_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    membership = q.get_membership_or_404(circle, membership_id)
    require(membership.can_edit_identity(current_user))
    form = IdentityForm(obj=membership)
    role_form = RoleForm(prefix="role", role=membership.role.value)
    role_form.role.choices = [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role if r != Role.owner]
    may_edit = {"real_name": membership.can_edit_real_name(current_user),
                "student_no": membership.can_edit_student_no(current_user)}
    for name, allowed in may_edit.items():
        if not allowed:  # shown, not sent back: what was posted for it is ignored
            form[name].data = getattr(membership, name)
    if form.validate_on_submit():
        try:
            ops.update_identity(membership, display_name=form.display_name.data,
                                real_name=form.real_name.data if may_edit["real_name"] else ops.KEEP,
                                student_no=form.student_no.data if may_edit["student_no"] else ops.KEEP,
                                actor=current_user)
        except ops.IdentityError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        except ops.CircleError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Saved. This is how %(name)s appears everywhere in the circle.", name=membership.display_name),
                  "success")
            return redirect(url_for("circles.members", circle_id=circle.id))
    return render_template("circles/edit_member.html", circle=circle, membership=membership, form=form,
                           role_form=role_form, confirm=ConfirmForm(), may_edit=may_edit,
                           can_change_roles=circle.can_change_roles(current_user) and membership.user_id != current_user.id,
                           can_transfer=circle.can_transfer_ownership(current_user) and membership.role != Role.owner
                           and membership.is_active,
                           can_remove=membership.is_active and membership.role != Role.owner
                           and membership.user_id != current_user.id and circle.can_manage_members(current_user)
                           and (circle.can_change_roles(current_user) or not membership.is_staff)), \
        (422 if form.is_submitted() else 200)


def _member_action(circle_id: int, membership_id: int, predicate: str):
    circle = q.get_circle_or_404(circle_id, current_user)
    membership = q.get_membership_or_404(circle, membership_id)
    require(getattr(circle, predicate)(current_user))
    return circle, membership


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(circle_id: int, membership_id: int):
    circle, membership = _member_action(circle_id, membership_id, "can_change_roles")
    form = RoleForm(prefix="role")
    form.role.choices = [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role if r != Role.owner]
    if not form.validate_on_submit():
        flash(_("Choose one of the roles offered."), "error")
        return redirect(url_for("circles.members", circle_id=circle.id))
    try:
        ops.change_role(membership, Role(form.role.data), current_user)
    except ops.CircleError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now: %(role)s.", name=membership.display_name, role=ROLE_LABELS[membership.role]),
              "success")
    return redirect(url_for("circles.members", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(circle_id: int, membership_id: int):
    circle, membership = _member_action(circle_id, membership_id, "can_manage_members")
    if ConfirmForm().validate_on_submit():
        try:  # the reason (optional, from the member's page) is what the removed member reads
            ops.remove_member(membership, current_user, request.form.get("reason", ""))
        except ops.CircleError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("circles.members", circle_id=circle.id))
        db.session.commit()
        flash(_("%(name)s was removed from the circle.", name=membership.display_name), "success")
    return redirect(url_for("circles.members", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/unmute", methods=["POST"])
@login_required
def unmute(circle_id: int, membership_id: int):
    """The staff lift a member's mute before its time (they are told)."""
    circle, membership = _member_action(circle_id, membership_id, "can_manage_members")
    if ConfirmForm().validate_on_submit():
        try:
            ops.mute_member(membership, until=None, actor=current_user, reason="")
        except ops.CircleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s can write again.", name=membership.display_name), "success")
    return redirect(url_for("circles.members", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/readmit", methods=["POST"])
@login_required
def readmit(circle_id: int, membership_id: int):
    """Let a removed member back in (the one way back: every join path refuses them)."""
    circle, membership = _member_action(circle_id, membership_id, "can_manage_members")
    if ConfirmForm().validate_on_submit():
        try:
            ops.readmit_member(membership, current_user)
        except ops.CircleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is a member again.", name=membership.display_name), "success")
    return redirect(url_for("circles.members", circle_id=circle.id, status="removed"))


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/approve", methods=["POST"])
@login_required
def approve(circle_id: int, membership_id: int):
    circle, membership = _member_action(circle_id, membership_id, "can_manage_members")
    if ConfirmForm().validate_on_submit():
        try:
            ops.approve_request(membership, current_user)
        except ops.CircleError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s has joined the circle.", name=membership.display_name), "success")
    return redirect(url_for("circles.members", circle_id=circle.id, status="pending"))


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/reject", methods=["POST"])
@login_required
def reject(circle_id: int, membership_id: int):
    circle, membership = _member_action(circle_id, membership_id, "can_manage_members")
    if ConfirmForm().validate_on_submit():
        try:
            ops.reject_request(membership, current_user)
        except ops.CircleError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The request of %(name)s was declined.", name=membership.display_name), "info")
    return redirect(url_for("circles.members", circle_id=circle.id, status="pending"))


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/transfer", methods=["POST"])
@login_required
def transfer(circle_id: int, membership_id: int):
    circle, membership = _member_action(circle_id, membership_id, "can_transfer_ownership")
    if ConfirmForm().validate_on_submit():
        try:
            ops.transfer_ownership(circle, membership, current_user)
        except ops.CircleError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s now owns the circle.", name=membership.display_name), "success")
    return redirect(url_for("circles.members", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/leave", methods=["POST"])
@login_required
def leave(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    membership = circle.membership_of(current_user)
    require(membership is not None and membership.is_active)
    if ConfirmForm().validate_on_submit():
        try:
            ops.leave_circle(membership)  # refuses the owner, with the reason
        except ops.CircleError as error:
            flash(str(error), "error")
            return redirect(url_for("circles.home", circle_id=circle.id))
        db.session.commit()
        flash(_("You have left %(name)s.", name=circle.name), "info")
    return redirect(url_for("circles.index"))
