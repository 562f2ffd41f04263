"""The school's settings for its classes: what every new class takes and which settings the classes may not change."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.circles.models import JoinPolicy
from lms.extensions import db
from lms.orgs import bp
from lms.orgs import queries as org_queries
from lms.orgs.class_defaults import defaults_of
from lms.orgs.console import settings as ops
from lms.orgs.console.forms import ClassDefaultsForm
from lms.orgs.models import Organization, PostingRule


def _settings_org(org_id: int) -> Organization:
    """The organization, for its admins and site admins; 404 for everyone else (its teachers and students
    included), as for its other admin pages."""
    org = org_queries.get_org_or_404(org_id, current_user)
    if not org.can_manage(current_user):
        abort(404)
    return org


@bp.route("/<int:org_id>/settings", methods=["GET", "POST"])
@login_required
def class_settings(org_id: int):
    """What every new class of the organization takes, with a lock beside each setting; a refused form comes
    back with everything as it was typed and the reason at its field."""
    org = _settings_org(org_id)
    form = ClassDefaultsForm()
    defaults = defaults_of(org)
    if not form.is_submitted():
        form.fill(defaults)
        return render_template("orgs/settings.html", org=org, form=form)
    if form.validate_on_submit():
        try:
            applied = ops.update_class_defaults(
                org, current_user, join_policy=JoinPolicy(form.join_policy.data),
                require_real_name=form.require_real_name.data, require_student_no=form.require_student_no.data,
                who_may_post=PostingRule(form.who_may_post.data), chat_enabled=form.chat_value(),
                file_quota_bytes=form.quota_bytes(), word_list=form.word_list.data or "", locked=form.locked(),
                reapply=form.apply_existing.data)
        except ops.SettingsError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The settings for the school's classes were saved."), "success")
            if applied is not None:
                flash(ngettext("The locked settings are now those of %(num)d class.",
                               "The locked settings are now those of %(num)d classes.", applied), "success")
            return redirect(url_for("orgs.class_settings", org_id=org.id))
    return render_template("orgs/settings.html", org=org, form=form), 422
