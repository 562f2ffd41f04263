"""Site administration views: the dashboard, accounts, organizations. Everyone else gets 404."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import operations as account_ops
from lms.accounts.queries import list_users
from lms.admin import bp
from lms.admin import queries as q
from lms.admin.forms import UserActionForm
from lms.core.permissions import admin_required
from lms.core.urls import redirect_next
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs import queries as org_q
from lms.orgs.forms import OrgForm

USERS_PER_PAGE = 50
ORGS_PER_PAGE = 50


@bp.route("/")
@admin_required
def index():
    return render_template("admin/index.html", counts=q.site_counts())


# -- accounts --------------------------------------------------------------------------------

@bp.route("/users")
@admin_required
def users():
    search = (request.args.get("q") or "").strip()
    page = list_users(search or None, request.args.get("page", 1, type=int), per_page=USERS_PER_PAGE)
    return render_template("admin/users.html", page=page, search=search,
                           form=UserActionForm(next=request.full_path.rstrip("?")))


def _change_user(user_id: int, change, done: str):
    """Apply one account change from the user list, then go back to the same list page."""
    user = q.get_user_or_404(user_id)
    form = UserActionForm()
    if form.validate_on_submit():
        try:
            change(user)
        except account_ops.AccountError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(done % {"name": user.name, "email": user.email}, "success")
    return redirect_next(form.next.data, "admin.users")


@bp.route("/users/<int:user_id>/grant-admin", methods=["POST"])
@admin_required
def grant_admin(user_id: int):
    return _change_user(user_id, lambda u: account_ops.set_site_admin(u, True, current_user),
                        _("%(name)s (%(email)s) is now a site administrator."))


@bp.route("/users/<int:user_id>/revoke-admin", methods=["POST"])
@admin_required
def revoke_admin(user_id: int):
    return _change_user(user_id, lambda u: account_ops.set_site_admin(u, False, current_user),
                        _("%(name)s (%(email)s) is no longer a site administrator."))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@admin_required
def disable_user(user_id: int):
    return _change_user(user_id, lambda u: account_ops.set_disabled(u, True, current_user),
                        _("%(name)s (%(email)s) is disabled and signed out everywhere."))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@admin_required
def enable_user(user_id: int):
    return _change_user(user_id, lambda u: account_ops.set_disabled(u, False, current_user),
                        _("%(name)s (%(email)s) can sign in again."))


# -- organizations ---------------------------------------------------------------------------

@bp.route("/orgs", methods=["GET", "POST"])
@admin_required
def orgs():
    """Every organization, and the form to create one (which then opens its page to add admins)."""
    form = OrgForm()
    if form.validate_on_submit():
        try:
            org = org_ops.create_org(form.name.data, form.description.data or "")
        except org_ops.OrgError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is created. Now name its admins.", name=org.name), "success")
            return redirect(url_for("orgs.show", org_id=org.id))
    page = org_q.orgs_page(page=request.args.get("page", 1, type=int), per_page=ORGS_PER_PAGE)
    return render_template("admin/orgs.html", form=form, page=page, sizes=org_q.org_sizes(page.items)), \
        (422 if form.errors else 200)
