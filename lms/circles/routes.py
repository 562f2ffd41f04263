"""Circle views: my circles, create, home, settings, joining, enrolment, roster."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from lms.circles import bp
from lms.circles import operations as ops
from lms.circles import queries as q
from lms.circles.codes import normalize_code
from lms.circles.forms import (ROLE_LABELS, CircleForm, ConfirmForm, CourseCodesForm, IdentityForm, InviteForm,
                               JoinCodeForm, JoinForm, RoleForm)
from lms.circles.models import Circle, CircleKind, CourseCode, JoinPolicy, MembershipStatus, Role, STAFF_ROLES
from lms.core.images import ImageRejected, image_response
from lms.core.i18n import from_local
from lms.core.permissions import require
from lms.core.types import utcnow
from lms.extensions import db, limiter


def _upload(field):
    data = field.data
    return data.stream if data and getattr(data, "filename", "") else None


def _code_failed(response) -> bool:
    return response.status_code in (404, 410, 422)


def _csv_response(rows: list[list], filename: str) -> Response:
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read UTF-8 (Chinese names) correctly
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_csv_safe(cell) for cell in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    return response


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in user text (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- my circles, create ----------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    circles = q.my_circles(current_user)
    overseen = q.overseen_circles(current_user)
    member_of = {circle.id for circle, _m in circles}
    return render_template("circles/index.html", circles=circles, pending=q.my_pending_requests(current_user),
                           overseen=[c for c in overseen if c.id not in member_of], join_form=JoinCodeForm())


@bp.route("/circles/new", methods=["GET", "POST"])
@login_required
def create():
    form = CircleForm()
    if form.validate_on_submit():
        circle = ops.create_circle(current_user, form.name.data, kind=CircleKind(form.kind.data),
                                   description=form.description.data or "",
                                   join_policy=JoinPolicy(form.join_policy.data),
                                   require_real_name=form.require_real_name.data,
                                   require_student_no=form.require_student_no.data)
        cover = _upload(form.cover)
        if cover is not None:
            try:
                ops.set_cover(circle, cover)
            except ImageRejected as error:
                form.cover.errors.append(str(error))
                db.session.rollback()
                return render_template("circles/new.html", form=form), 422
        db.session.commit()
        flash(_("Your circle is ready. Invite people from the “Enrol” page."), "success")
        return redirect(url_for("circles.home", circle_id=circle.id))
    return render_template("circles/new.html", form=form), (422 if form.errors else 200)


# -- home and settings -----------------------------------------------------------------------

@bp.route("/c/<int:circle_id>")
@login_required
def home(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user, preview=True)
    if not circle.can_view(current_user):
        return _join_page(circle)
    return render_template("circles/home.html", circle=circle, me=circle.membership_of(current_user),
                           staff=q.staff_members(circle), recent=q.recent_members(circle),
                           pending=q.pending_count(circle) if circle.can_manage_members(current_user) else 0,
                           confirm=ConfirmForm())


@bp.route("/c/<int:circle_id>/cover")
@login_required
def cover(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user, preview=True)
    if not circle.cover_key:
        abort(404)
    return image_response(circle.cover_key)


@bp.route("/c/<int:circle_id>/settings", methods=["GET", "POST"])
@login_required
def settings(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_edit(current_user))
    form = CircleForm(obj=circle)
    if request.method == "GET":
        form.kind.data = circle.kind.value
        form.join_policy.data = circle.join_policy.value
    if form.validate_on_submit():
        ops.update_circle(circle, name=form.name.data, description=form.description.data or "",
                          kind=CircleKind(form.kind.data), join_policy=JoinPolicy(form.join_policy.data),
                          require_real_name=form.require_real_name.data,
                          require_student_no=form.require_student_no.data)
        cover = _upload(form.cover)
        try:
            if cover is not None:
                ops.set_cover(circle, cover)
        except ImageRejected as error:
            form.cover.errors.append(str(error))
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("circles.settings", circle_id=circle.id))
    return render_template("circles/settings.html", circle=circle, form=form, confirm=ConfirmForm()), \
        (422 if form.errors else 200)


@bp.route("/c/<int:circle_id>/archive", methods=["POST"])
@login_required
def archive(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    require(circle.can_archive(current_user))
    if ConfirmForm().validate_on_submit():
        ops.set_archived(circle, not circle.is_archived)
        db.session.commit()
        flash(_("The circle is archived.") if circle.is_archived else _("The circle is active again."), "success")
    return redirect(url_for("circles.settings", circle_id=circle.id))


# -- joining ---------------------------------------------------------------------------------

def _identity_defaults(form: IdentityForm) -> None:
    if not form.is_submitted():
        form.display_name.data = current_user.name


def _join_page(circle: Circle, form: JoinForm | None = None, status: int = 200):
    form = form or JoinForm()
    _identity_defaults(form)
    return render_template("circles/join.html", circle=circle, form=form, me=circle.membership_of(current_user),
                           action=url_for("circles.join_circle", circle_id=circle.id)), status


@bp.route("/c/<int:circle_id>/join", methods=["POST"])
@login_required
def join_circle(circle_id: int):
    """Join an open circle, or ask to join one that needs approval, from its page."""
    circle = q.get_circle_or_404(circle_id, current_user, preview=True)
    if circle.active_role(current_user) is not None:
        return redirect(url_for("circles.home", circle_id=circle.id))
    form = JoinForm()
    if not form.validate_on_submit():
        return _join_page(circle, form, 422)
    try:
        if circle.join_policy == JoinPolicy.open:
            ops.join_open_circle(circle, current_user, **_identity(form))
        else:
            ops.request_to_join(circle, current_user, message=form.message.data, **_identity(form))
    except ops.AlreadyMember:
        return redirect(url_for("circles.home", circle_id=circle.id))
    except ops.CircleError as error:
        flash(str(error), "error")
        return _join_page(circle, form, 422)
    db.session.commit()
    return _after_join(circle)


def _identity(form: IdentityForm) -> dict:
    return {"display_name": form.display_name.data, "real_name": form.real_name.data,
            "student_no": form.student_no.data}


def _after_join(circle: Circle):
    membership = circle.membership_of(current_user)
    if membership is not None and membership.status == MembershipStatus.pending:
        flash(_("Your request has been sent. You will get access when the teacher approves it."), "info")
        return redirect(url_for("circles.index"))
    flash(_("Welcome to %(name)s!", name=circle.name), "success")
    return redirect(url_for("circles.home", circle_id=circle.id))


@bp.route("/join", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per 10 minutes", methods=["POST"], deduct_when=_code_failed)
def join():
    """Type a join code or a course code."""
    form = JoinCodeForm(code=request.args.get("code", ""))
    if form.validate_on_submit():
        code = normalize_code(form.code.data)
        if q.find_code(code) is None:
            form.code.errors.append(_("There is no circle with this code. Check it for typos: "
                                      "codes have 8 or 10 letters and digits."))
            current_app.logger.info("unknown join code from user=%s", current_user.id)
            return render_template("circles/join_code.html", form=form), 404
        return redirect(url_for("circles.join_with_code", code=code))
    return render_template("circles/join_code.html", form=form), (422 if form.errors else 200)


@bp.route("/join/<code>", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per 10 minutes", deduct_when=_code_failed)
def join_with_code(code: str):
    """Confirm joining through a code: see the circle, fill in the identity it asks for."""
    target = q.find_code(normalize_code(code))
    if target is None:
        flash(_("There is no circle with this code. Check it for typos."), "error")
        return render_template("circles/join_code.html", form=JoinCodeForm(code=code)), 404
    circle = target.circle if isinstance(target, CourseCode) else target
    me = circle.membership_of(current_user)
    if me is not None and me.status == MembershipStatus.active:  # before any refusal: they are in already
        flash(_("You are already a member of this circle."), "info")
        return redirect(url_for("circles.home", circle_id=circle.id))
    problem = _code_problem(target)
    if problem:
        flash(problem, "error")
        return render_template("circles/join_code.html", form=JoinCodeForm()), 410
    form = JoinForm()
    _identity_defaults(form)
    if form.validate_on_submit():
        try:
            if isinstance(target, CourseCode):
                ops.join_with_course_code(target, current_user, **_identity(form))
            else:
                ops.join_with_code(circle, current_user, message=form.message.data, **_identity(form))
        except ops.CircleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            return _after_join(circle)
    return render_template("circles/join.html", circle=circle, form=form, me=me, via_code=True,
                           action=url_for("circles.join_with_code", code=code)), (422 if form.is_submitted() else 200)


def _code_problem(target: Circle | CourseCode) -> str | None:
    if isinstance(target, CourseCode):
        if target.redeemed_at is not None and target.redeemed_by_id != current_user.id:
            return _("This course code has already been used. Each code works once; ask the teacher for your own.")
        if target.is_expired:
            return _("This course code has expired. Ask the teacher for a new one.")
        circle = target.circle
    else:
        circle = target
        if circle.join_policy == JoinPolicy.invite:
            return _("This circle only takes members through invite links now. Ask the teacher for one.")
    if circle.is_archived:
        return _("This circle is archived and no longer takes new members.")
    return None


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit("30 per 10 minutes", deduct_when=_code_failed)
def invite(token: str):
    """An invite link: sign in or register first, then confirm the identity and join."""
    found = q.find_invite(token)
    if found is None:
        return render_template("circles/invite_problem.html",
                               message=_("This invite link does not exist. Check that you copied all of it.")), 404
    if not found.is_usable:
        if found.revoked_at is not None:
            message = _("This invite link was turned off by the teacher. Ask them for a new one.")
        elif found.circle.is_archived:
            message = _("This circle is archived and no longer takes new members.")
        elif found.is_expired:
            message = _("This invite link has expired. Ask the teacher for a new one.")
        else:
            message = _("This invite link has been used as many times as allowed. Ask the teacher for a new one.")
        return render_template("circles/invite_problem.html", message=message), 410
    circle = found.circle
    if not current_user.is_authenticated:
        return render_template("circles/invite_landing.html", circle=circle, invite=found)
    me = circle.membership_of(current_user)
    if me is not None and me.status == MembershipStatus.active:
        flash(_("You are already a member of this circle."), "info")
        return redirect(url_for("circles.home", circle_id=circle.id))
    form = JoinForm()
    _identity_defaults(form)
    if form.validate_on_submit():
        try:
            ops.join_with_invite(found, current_user, **_identity(form))
        except ops.CircleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            return _after_join(circle)
    return render_template("circles/join.html", circle=circle, form=form, me=me, invite=found,
                           action=url_for("circles.invite", token=token)), (422 if form.is_submitted() else 200)


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


# -- enrolment: join code, invite links, course codes ----------------------------------------

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
    flash(_("%(n)d course codes created. Download them as CSV and give one to each student.", n=len(codes)),
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
        rows.append([code.code, code.batch, code.expires_at.isoformat() if code.expires_at else "",
                     code.redeemed_by.email if code.redeemed_by else "",
                     code.redeemed_at.isoformat() if code.redeemed_at else ""])
    return _csv_response(rows, f"course-codes-{circle.id}.csv")


# -- roster ----------------------------------------------------------------------------------

@bp.route("/c/<int:circle_id>/members")
@login_required
def members(circle_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    manage = circle.can_manage_members(current_user)
    status = MembershipStatus.pending if (manage and request.args.get("status") == "pending") else MembershipStatus.active
    role = request.args.get("role")
    page = q.members_page(circle, page=request.args.get("page", 1, type=int),
                          per_page=current_app.config["MEMBERS_PER_PAGE"], search=request.args.get("q"),
                          role=Role(role) if role in Role.__members__ else None, status=status,
                          search_private=manage)
    return render_template("circles/members.html", circle=circle, page=page, manage=manage, status=status,
                           can_change_roles=circle.can_change_roles(current_user), role_labels=ROLE_LABELS,
                           pending=q.pending_count(circle) if manage else 0, confirm=ConfirmForm(),
                           me=circle.membership_of(current_user))


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


@bp.route("/c/<int:circle_id>/members/<int:membership_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(circle_id: int, membership_id: int):
    circle = q.get_circle_or_404(circle_id, current_user)
    membership = q.get_membership_or_404(circle, membership_id)
    require(circle.can_manage_members(current_user) or membership.user_id == current_user.id)
    form = IdentityForm(obj=membership)
    role_form = RoleForm(prefix="role", role=membership.role.value)
    role_form.role.choices = [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role if r != Role.owner]
    if form.validate_on_submit():
        try:
            ops.update_identity(membership, display_name=form.display_name.data, real_name=form.real_name.data,
                                student_no=form.student_no.data)
        except ops.CircleError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Saved. This is how %(name)s appears everywhere in the circle.", name=membership.display_name),
                  "success")
            return redirect(url_for("circles.members", circle_id=circle.id))
    return render_template("circles/edit_member.html", circle=circle, membership=membership, form=form,
                           role_form=role_form, confirm=ConfirmForm(),
                           can_change_roles=circle.can_change_roles(current_user) and membership.user_id != current_user.id,
                           can_transfer=circle.can_transfer_ownership(current_user) and membership.role != Role.owner
                           and membership.is_active), (422 if form.is_submitted() else 200)


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
        try:
            ops.remove_member(membership, current_user)
        except ops.CircleError as error:
            flash(str(error), "error")
            return redirect(url_for("circles.members", circle_id=circle.id))
        db.session.commit()
        flash(_("%(name)s was removed from the circle.", name=membership.display_name), "success")
    return redirect(url_for("circles.members", circle_id=circle.id))


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
