"""Organization views: my organizations, an organization's page, its people and its classes."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from lms.accounts.queries import get_user_by_email
from lms.audit.pages import LogView, log_csv, log_page
from lms.circles.forms import ConfirmForm
from lms.circles.models import Circle, CircleKind, JoinPolicy
from lms.circles.operations import CircleError
from lms.core.i18n import in_parentheses
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.extensions import db
from lms.orgs import bp
from lms.orgs import operations as ops
from lms.orgs import queries as q
from lms.orgs.class_defaults import defaults_of
from lms.orgs.forms import (ORG_ROLE_LABELS, AddOrgMemberForm, AssignTeacherForm, BulkClassesForm, PlaceCircleForm,
                            class_names)
from lms.orgs.models import ClassSetting, Organization, OrgRole

CLASSES_PER_PAGE = 50


@bp.route("/")
@login_required
def index():
    """The organizations the user belongs to (an empty page, not a 404, when there are none)."""
    return render_template("orgs/index.html", orgs=q.my_orgs(current_user), org_role_label=ORG_ROLE_LABELS.get)


# -- the organization's page ---------------------------------------------------------------

def _role_choices(org: Organization, form: AddOrgMemberForm) -> None:
    roles = [r for r in (OrgRole.teacher, OrgRole.admin) if org.can_grant(current_user, r)]
    form.role.choices = [SelectChoice(r.value, ORG_ROLE_LABELS[r]) for r in roles]


def _page(org: Organization, *, add_form: AddOrgMemberForm | None = None,
          classes_form: BulkClassesForm | None = None, assign_form: AssignTeacherForm | None = None,
          status: int = 200):
    """Render the organization's page; management forms only for those who manage it."""
    manage = org.can_manage(current_user)
    staff = q.org_staff(org)
    search = (request.args.get("q") or "").strip()
    page = q.classes_page(org, page=request.args.get("page", 1, type=int), per_page=CLASSES_PER_PAGE,
                          search=search or None)
    context = dict(org=org, manage=manage, staff=staff, page=page, search=search,
                   teachers=q.class_teachers(page.items), counts=q.role_counts(org), confirm=ConfirmForm(),
                   org_role_label=ORG_ROLE_LABELS.get)
    if manage:
        choose = [SelectChoice("", _("Choose…"))]
        teacher_choices = choose + [SelectChoice(str(m.user_id), m.user.name + in_parentheses(m.user.email)) for m in staff]
        add_form = add_form or AddOrgMemberForm(formdata=None)
        _role_choices(org, add_form)
        defaults = defaults_of(org)  # the school's settings for classes
        if classes_form is None:
            classes_form = BulkClassesForm(formdata=None)
            classes_form.join_policy.data = defaults.join_policy.value
        # a locked join policy is what every new class takes: shown read-only, with who sets it, not as a choice
        locked = {ClassSetting.join_policy.value: org.name} if defaults.is_locked(ClassSetting.join_policy) else {}
        classes_form.teacher_id.choices = teacher_choices
        assign_form = assign_form or AssignTeacherForm(formdata=None)
        assign_form.class_id.choices = choose + [SelectChoice(str(i), name) for i, name in q.class_choices(org)]
        assign_form.assignee_id.choices = teacher_choices
        context.update(add_form=add_form, classes_form=classes_form, assign_form=assign_form, locked=locked)
    return render_template("orgs/show.html", **context), status


@bp.route("/<int:org_id>")
@login_required
def show(org_id: int):
    """Classes, admins and teachers; org admins and site admins also get the management forms."""
    org = q.get_org_or_404(org_id, current_user)
    return _page(org)


def _managed_org(org_id: int) -> Organization:
    org = q.get_org_or_404(org_id, current_user)
    require(org.can_manage(current_user))
    return org


# -- people ----------------------------------------------------------------------------------

@bp.route("/<int:org_id>/members", methods=["POST"])
@login_required
def add_member(org_id: int):
    org = _managed_org(org_id)
    form = AddOrgMemberForm()
    _role_choices(org, form)
    if not form.validate_on_submit():
        return _page(org, add_form=form, status=422)
    user = get_user_by_email(form.email.data)
    if user is None:
        form.email.errors.append(_("No account uses this email. Ask them to register first, then add them."))
        return _page(org, add_form=form, status=422)
    current = org.role_of(user)
    if current is not None and not org.can_grant(current_user, current):
        form.email.errors.append(_("Only a site administrator can change the role of an organization admin."))
        return _page(org, add_form=form, status=422)
    role = OrgRole(form.role.data)
    try:
        ops.add_org_member(org, user, role, current_user)
    except ops.OrgError as error:
        form.email.errors.append(str(error))
        return _page(org, add_form=form, status=422)
    db.session.commit()
    flash(_("%(name)s is now: %(role)s.", name=user.name, role=ORG_ROLE_LABELS[role]), "success")
    return redirect(url_for("orgs.show", org_id=org.id))


@bp.route("/<int:org_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(org_id: int, membership_id: int):
    org = _managed_org(org_id)
    membership = q.get_org_membership_or_404(org, membership_id)
    require(org.can_grant(current_user, membership.role))
    if ConfirmForm().validate_on_submit():
        name = membership.user.name
        ops.remove_org_member(membership, current_user)
        db.session.commit()
        flash(_("%(name)s is no longer part of %(org)s. The classes they teach keep them.",
                name=name, org=org.name), "success")
    return redirect(url_for("orgs.show", org_id=org.id))


# -- classes ---------------------------------------------------------------------------------

@bp.route("/<int:org_id>/classes", methods=["POST"])
@login_required
def create_classes(org_id: int):
    org = _managed_org(org_id)
    form = BulkClassesForm()
    if not form.validate_on_submit():
        return _page(org, classes_form=form, status=422)
    teacher = q.find_user(form.teacher_id.data)
    if teacher is None or not org.can_teach(teacher):
        form.teacher_id.errors.append(_("Choose a teacher of this organization. Add them as a teacher first."))
        return _page(org, classes_form=form, status=422)
    names = class_names(form.names.data)
    try:
        circles = ops.create_classes(org, names, teacher, CircleKind(form.kind.data),
                                     JoinPolicy(form.join_policy.data), current_user)
    except ops.OrgError as error:
        form.names.errors.append(str(error))
        return _page(org, classes_form=form, status=422)
    db.session.commit()
    flash(ngettext("%(num)d class created; %(teacher)s owns it.", "%(num)d classes created; %(teacher)s owns them.",
                   len(circles), teacher=teacher.name), "success")
    skipped = len(names) - len(circles)
    if skipped:
        flash(ngettext("%(num)d name was skipped: the organization already has this class.",
                       "%(num)d names were skipped: the organization already has these classes.", skipped), "info")
    return redirect(url_for("orgs.show", org_id=org.id))


@bp.route("/<int:org_id>/assign-teacher", methods=["POST"])
@login_required
def assign_teacher(org_id: int):
    org = _managed_org(org_id)
    form = AssignTeacherForm()
    if not form.validate_on_submit():
        return _page(org, assign_form=form, status=422)
    circle = q.get_org_class_or_404(org, form.class_id.data)
    teacher = q.find_user(form.assignee_id.data)
    if teacher is None:
        form.assignee_id.errors.append(_("Choose a teacher of this organization. Add them as a teacher first."))
        return _page(org, assign_form=form, status=422)
    try:
        ops.assign_teacher(circle, teacher, current_user)
    except (ops.OrgError, CircleError) as error:
        form.assignee_id.errors.append(str(error))
        return _page(org, assign_form=form, status=422)
    db.session.commit()
    flash(_("%(name)s now teaches %(circle)s.", name=teacher.name, circle=circle.name), "success")
    return redirect(url_for("orgs.show", org_id=org.id))


# -- organizations on other domains' pages (template globals, so those domains never import this one) --

@bp.app_template_global()
def my_teaching_orgs() -> list[tuple[Organization, OrgRole]]:
    """The organizations the signed-in person administers or teaches in, for the top bar's link and the
    links on their home page; read once per request."""
    if not current_user.is_authenticated:
        return []
    if "teaching_orgs" not in g:
        facts = current_user.session_facts or {}
        # read with the session: a person who teaches nowhere (most of them) costs no query here
        g.teaching_orgs = q.teaching_orgs(current_user) if facts.get(q.TEACHES_IN_AN_ORG, True) else []
    return g.teaching_orgs



@bp.app_template_global()
def org_placement(circle: Circle) -> dict:
    """What circles/settings.html shows about the circle's organization: the organization it is in and
    whether the viewer may take it out, or the organizations the owner may put it in (with the form).
    A template global, so the circles domain never imports organizations."""
    if circle.org is not None:
        return {"org": circle.org, "can_take_out": circle.can_take_out_of_org(current_user), "confirm": ConfirmForm()}
    orgs = [org for org, _role in q.teaching_orgs(current_user) if circle.can_place_in_org(current_user, org)]
    form = None
    if orgs:
        form = PlaceCircleForm(formdata=None)
        form.org_id.choices = [SelectChoice(str(org.id), org.name) for org in orgs]
    return {"org": None, "form": form}


def _after_move(circle: Circle, org: Organization):
    """Back to the circle's settings, or to the organization's page when the actor no longer sees the circle."""
    if circle.can_edit(current_user):
        return redirect(url_for("circles.settings", circle_id=circle.id) + "#organization")
    return redirect(url_for("orgs.show", org_id=org.id))


@bp.route("/circles/<int:circle_id>/place", methods=["POST"])
@login_required
def place_circle(circle_id: int):
    """The owner puts their circle into an organization where they teach; its admins then oversee it."""
    circle = get_circle_or_404(circle_id, current_user)
    form = PlaceCircleForm()
    form.org_id.choices = []
    if not form.validate_on_submit():
        flash(_("Choose an organization."), "error")
        return redirect(url_for("circles.settings", circle_id=circle.id) + "#organization")
    org = q.get_org_or_404(form.org_id.data, current_user)
    require(circle.can_place_in_org(current_user, org))
    ops.place_circle(circle, org, current_user)
    db.session.commit()
    flash(_("%(circle)s is now a class of %(org)s: its admins can see and manage it.",
            circle=circle.name, org=org.name), "success")
    return _after_move(circle, org)


@bp.route("/circles/<int:circle_id>/take-out", methods=["POST"])
@login_required
def take_circle_out(circle_id: int):
    """The owner or an admin of the circle's organization takes the circle out of it."""
    circle = get_circle_or_404(circle_id, current_user)
    require(circle.can_take_out_of_org(current_user))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("circles.settings", circle_id=circle.id))
    org = ops.take_circle_out(circle, current_user)
    db.session.commit()
    flash(_("%(circle)s is no longer part of %(org)s.", circle=circle.name, org=org.name), "success")
    return _after_move(circle, org)


# -- audit log -------------------------------------------------------------------------------

def _audit_view(org_id: int) -> LogView:
    org = q.get_org_or_404(org_id, current_user)
    require(org.can_view_audit(current_user))
    return LogView("orgs.audit_log", {"org_id": org.id}, q.audit_scope(org), org=org)


@bp.route("/<int:org_id>/audit")
@login_required
def audit_log(org_id: int):
    """The organization's audit events (its own and those of its classes), for its admins."""
    return log_page(_audit_view(org_id))


@bp.route("/<int:org_id>/audit.csv")
@login_required
def audit_log_csv(org_id: int):
    """The filtered audit log of an organization as CSV."""
    return log_csv(_audit_view(org_id), f"audit-org-{org_id}.csv")
