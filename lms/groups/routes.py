"""Group pages under a circle (thin: parse, scoped lookup, permission check, one operation, commit)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404, get_membership_or_404
from lms.core.permissions import require
from lms.extensions import db
from lms.groups import bp
from lms.groups import operations as ops
from lms.groups import queries as q
from lms.groups.forms import AddMembersForm, GroupForm, ImportForm, MoveForm, SplitForm
from lms.groups.group_import import MAX_BYTES, MAX_ROWS, import_groups
from lms.groups.models import can_manage_groups, can_see_all_groups

PREFIX = "/c/<int:circle_id>/groups"


def _field_error(form, error: ops.GroupError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(str(error))
    else:
        field.errors = list(field.errors) + [str(error)]


def _index_page(circle, *, group_form=None, split_form=None, status: int = 200):
    if not can_see_all_groups(circle, current_user):
        return render_template("groups/own.html", circle=circle, mine=q.own_group(circle, current_user)), status
    groups = q.groups_of(circle)
    unassigned = [m for m, _g in q.learners(circle, unassigned_only=True)]
    if split_form is None:
        split_form = SplitForm(formdata=None)
        split_form.name_start.data = _("Group")
    return render_template("groups/index.html", circle=circle, groups=groups, members=q.members_by_group(circle),
                           unassigned=unassigned, manage=can_manage_groups(circle, current_user),
                           group_form=group_form or GroupForm(formdata=None), split_form=split_form,
                           confirm=ConfirmForm()), status


@bp.route(PREFIX)
@login_required
def index(circle_id: int):
    """Staff: every group with its members, the people in no group, and the forms. Students: their group."""
    circle = get_circle_or_404(circle_id, current_user)
    return _index_page(circle)


@bp.route(PREFIX, methods=["POST"])
@login_required
def create(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(can_manage_groups(circle, current_user))
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = ops.create_group(circle, current_user, form.name.data)
        except ops.GroupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Group “%(name)s” created. Now add its members.", name=group.name), "success")
            return redirect(url_for("groups.add_members", circle_id=circle.id, group_id=group.id))
    return _index_page(circle, group_form=form, status=422)


@bp.route(PREFIX + "/split", methods=["POST"])
@login_required
def split(circle_id: int):
    """Deal the students in no group into N new groups at random."""
    circle = get_circle_or_404(circle_id, current_user)
    require(can_manage_groups(circle, current_user))
    form = SplitForm()
    if form.validate_on_submit():
        try:
            groups = ops.split_randomly(circle, current_user, form.count.data, form.name_start.data)
        except ops.GroupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(ngettext("%(num)d group made; the students who were in no group are in it.",
                           "%(num)d groups made; the students who were in no group are spread evenly between them.",
                           len(groups)), "success")
            return redirect(url_for("groups.index", circle_id=circle.id))
    return _index_page(circle, split_form=form, status=422)


@bp.route(PREFIX + "/import", methods=["GET", "POST"])
@login_required
def import_file(circle_id: int):
    """Put students in groups from a CSV of "student number or email, group name" (groups made as needed)."""
    circle = get_circle_or_404(circle_id, current_user)
    require(can_manage_groups(circle, current_user))
    form = ImportForm()
    report, status = None, 200
    if form.validate_on_submit():
        try:
            report = import_groups(circle, current_user, form.file.data.stream.read(MAX_BYTES + 1))
        except ops.GroupError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = 422
        else:
            if report.errors:
                db.session.rollback()
                status = 422
            else:
                db.session.commit()
    elif form.is_submitted():
        status = 422
    return render_template("groups/import.html", circle=circle, form=form, report=report, max_rows=MAX_ROWS), status


@bp.route(PREFIX + "/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def edit(circle_id: int, group_id: int):
    """Rename a group (and, below, delete it)."""
    circle = get_circle_or_404(circle_id, current_user)
    group = q.get_group_or_404(circle, group_id, current_user)
    require(group.can_manage(current_user))
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            ops.rename_group(group, current_user, form.name.data)
        except ops.GroupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("groups.index", circle_id=circle.id) + f"#group-{group.id}")
    return render_template("groups/edit.html", circle=circle, group=group, form=form, confirm=ConfirmForm(),
                           size=len(q.members_by_group(circle, [group.id]).get(group.id, []))), \
        422 if form.errors else 200


@bp.route(PREFIX + "/<int:group_id>/delete", methods=["POST"])
@login_required
def delete(circle_id: int, group_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    group = q.get_group_or_404(circle, group_id, current_user)
    require(group.can_manage(current_user))
    if ConfirmForm().validate_on_submit():
        name = group.name
        ops.delete_group(group, current_user)
        db.session.commit()
        flash(_("Group “%(name)s” deleted; its members are in no group now.", name=name), "success")
    return redirect(url_for("groups.index", circle_id=circle.id))


@bp.route(PREFIX + "/<int:group_id>/add", methods=["GET", "POST"])
@login_required
def add_members(circle_id: int, group_id: int):
    """Tick students to put in the group: those in no group, or (`?all=1`) everyone, who then move here;
    `?q=` filters by name or number without JavaScript (a script filters as one types)."""
    circle = get_circle_or_404(circle_id, current_user)
    group = q.get_group_or_404(circle, group_id, current_user)
    require(group.can_manage(current_user))
    form = AddMembersForm()
    if form.validate_on_submit():
        try:
            placed, moved = ops.add_members(group, current_user, form.user_ids.data or [])
            db.session.commit()
        except ops.GroupError as error:
            db.session.rollback()
            _field_error(form, error)
        except IntegrityError:  # someone put one of them in a group at the same moment
            db.session.rollback()
            form.form_errors.append(_("The groups changed while you chose. Look at the list again and submit it."))
        else:
            if moved:
                flash(ngettext("%(num)d person put in the group (%(moved)d moved from another group).",
                               "%(num)d people put in the group (%(moved)d moved from another group).",
                               len(placed), moved=moved), "success")
            else:
                flash(ngettext("%(num)d person put in the group.", "%(num)d people put in the group.",
                               len(placed)), "success")
            return redirect(url_for("groups.index", circle_id=circle.id) + f"#group-{group.id}")
    show_all = request.args.get("all") == "1"
    search = request.args.get("q", "").strip()
    rows = q.learners(circle, search=search, unassigned_only=not show_all)
    names = {g.id: g.name for g in q.groups_of(circle)} if show_all else {}
    return render_template("groups/add.html", circle=circle, group=group, form=form, rows=rows, names=names,
                           show_all=show_all, search=search,
                           chosen=set(form.user_ids.data or [])), 422 if form.errors or form.form_errors else 200


def _member(circle_id: int, group_id: int, membership_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    group = q.get_group_or_404(circle, group_id, current_user)
    membership = get_membership_or_404(circle, membership_id)
    require(group.can_manage(current_user))
    return circle, group, membership


@bp.route(PREFIX + "/<int:group_id>/members/<int:membership_id>/move", methods=["GET", "POST"])
@login_required
def move(circle_id: int, group_id: int, membership_id: int):
    circle, group, membership = _member(circle_id, group_id, membership_id)
    form = MoveForm()
    others = [g for g in q.groups_of(circle) if g.id != group.id]
    form.group_id.choices = [(g.id, g.name) for g in others]
    if form.validate_on_submit():
        to = next((g for g in others if g.id == form.group_id.data), None)
        try:
            if to is None:
                raise ops.GroupError(_("Choose one of this circle's groups."), "group_id")
            ops.move_member(group, membership, to, current_user)
        except ops.GroupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is now in %(group)s.", name=membership.display_name, group=to.name), "success")
            return redirect(url_for("groups.index", circle_id=circle.id) + f"#group-{to.id}")
    return render_template("groups/move.html", circle=circle, group=group, membership=membership, form=form,
                           has_others=bool(others)), 422 if form.errors or form.form_errors else 200


@bp.route(PREFIX + "/<int:group_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove(circle_id: int, group_id: int, membership_id: int):
    """Take someone out of the group (they stay in the circle)."""
    circle, group, membership = _member(circle_id, group_id, membership_id)
    if ConfirmForm().validate_on_submit():
        try:
            ops.remove_member(group, membership, current_user)
        except ops.GroupError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is in no group now.", name=membership.display_name), "success")
    return redirect(url_for("groups.index", circle_id=circle.id) + f"#group-{group.id}")
