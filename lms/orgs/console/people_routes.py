"""People views: the organization's roster, one person's classes, moving or adding a student."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.accounts.models import User
from lms.circles.operations import CircleError
from lms.extensions import db
from lms.orgs import bp
from lms.orgs import queries as org_queries
from lms.orgs.console import people as ops
from lms.orgs.console.term_routes import _terms_org as _people_org

PEOPLE_PER_PAGE = 50


@bp.route("/<int:org_id>/people")
@login_required
def people(org_id: int):
    """Everyone in the organization or its classes, searched by name, real name, student number or email."""
    org = _people_org(org_id)
    search = (request.args.get("q") or "").strip()
    page = ops.people_page(org, search=search or None, page=request.args.get("page", 1, type=int),
                           per_page=PEOPLE_PER_PAGE)
    classes = ops.classes_of(org, [user.id for user in page.items])
    return render_template("orgs/people.html", org=org, page=page, classes=classes, search=search)


def _person_or_404(org, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not ops.classes_of(org, [user.id])[user.id] and org.role_of(user) is None:
        abort(404)
    return user


@bp.route("/<int:org_id>/people/<int:user_id>", methods=["GET", "POST"])
@login_required
def person(org_id: int, user_id: int):
    """One person's classes in the organization; move them from one class to another, or add them to one."""
    org = _people_org(org_id)
    user = _person_or_404(org, user_id)
    memberships = ops.classes_of(org, [user.id])[user.id]
    error, status = None, 200
    if request.method == "POST":
        from lms.circles.forms import ConfirmForm

        target = org_queries.get_org_class_or_404(org, request.form.get("to_class", type=int) or 0)
        leaving = None
        if request.form.get("from_class", type=int):
            leaving = next((m for m in memberships if m.circle_id == request.form.get("from_class", type=int)), None)
            if leaving is None:
                abort(404)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            ops.place_student(user, target, current_user, leaving=leaving)
        except (ops.PeopleError, CircleError) as problem:
            db.session.rollback()
            error, status = str(problem), 422
        else:
            db.session.commit()
            if leaving is not None:
                flash(_("%(person)s moved from %(old)s to %(new)s; their work stays in %(old)s.", person=user.name,
                        old=leaving.circle.name, new=target.name), "success")
            else:
                flash(_("%(person)s is now a student of %(new)s.", person=user.name, new=target.name), "success")
            return redirect(url_for("orgs.person", org_id=org.id, user_id=user.id))
    choices = [c for c in org_queries.class_choices(org)]
    return render_template("orgs/person.html", org=org, person=user, memberships=memberships, choices=choices,
                           error=error), status


@bp.route("/<int:org_id>/people/<int:user_id>/remove", methods=["GET", "POST"])
@login_required
def remove_person(org_id: int, user_id: int):
    """Take a person out of every class of the organization, after a confirmation page that lists the classes
    (and those they stay in: classes they own, archived ones); their work stays in each class."""
    from lms.circles.forms import ConfirmForm

    org = _people_org(org_id)
    user = _person_or_404(org, user_id)
    removing, kept = ops.removable_from(org, user, current_user)
    form = ConfirmForm()
    error, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            removed = ops.remove_from_all_classes(org, user, current_user)
        except (ops.PeopleError, CircleError) as problem:
            db.session.rollback()
            error, status = str(problem), 422
            removing, kept = ops.removable_from(org, user, current_user)
        else:
            db.session.commit()
            flash(ngettext("%(person)s was removed from %(num)d class; their work stays there.",
                           "%(person)s was removed from %(num)d classes; their work stays in each.",
                           len(removed), person=user.name), "success")
            return redirect(url_for("orgs.person", org_id=org.id, user_id=user.id))
    return render_template("orgs/person_remove.html", org=org, person=user, removing=removing, kept=kept,
                           form=form, error=error), status


@bp.route("/<int:org_id>/people/<int:user_id>/activity")
@login_required
def person_activity(org_id: int, user_id: int):
    """One person's activity in each class of the organization they are or were in."""
    from lms.orgs.console.activity import person_activity as activity_of
    from lms.orgs.console.routes import percent

    org = _people_org(org_id)
    user = _person_or_404(org, user_id)
    return render_template("orgs/person_activity.html", org=org, person=user, rows=activity_of(org, user),
                           percent=percent)


@bp.route("/<int:org_id>/people/import", methods=["GET", "POST"])
@login_required
def people_import(org_id: int):
    """Bulk add from CSV: upload a file (students by email, classes by name) to see every row's outcome or every
    problem (line, column); nothing is applied until the preview is confirmed, and then all or nothing."""
    from lms.circles.forms import ConfirmForm
    from lms.orgs.console import bulk

    org = _people_org(org_id)
    form = ConfirmForm()
    rows, problems, text, status = None, None, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        upload = request.files.get("file")
        confirming = upload is None or not upload.filename
        data = (request.form.get("csv_text") or "").encode("utf-8") if confirming \
            else upload.stream.read(bulk.MAX_BYTES + 1)
        try:
            rows = bulk.read(data, org)
            if confirming:
                added = bulk.apply(org, rows, current_user)
        except bulk.RosterFileError as error:
            db.session.rollback()
            rows, problems, status = None, error.problems, 422
        else:
            if confirming:
                db.session.commit()
                flash(ngettext("%(num)d student was added to a class.", "%(num)d students were added to classes.",
                               added), "success")
                return redirect(url_for("orgs.people", org_id=org.id))
            text = data.decode("utf-8")
    return render_template("orgs/people_import.html", org=org, form=form, rows=rows, problems=problems, text=text,
                           bulk=bulk), status
