"""Terms views: the organization's terms, a term's classes, archiving them, copying them into another term."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from lms.circles.forms import ConfirmForm
from lms.circles.models import Circle
from lms.core.i18n import format_some_names, to_local
from lms.core.types import utcnow
from lms.extensions import db
from lms.orgs import bp
from lms.orgs import queries as org_queries
from lms.orgs.console import terms as ops
from lms.orgs.console.forms import ClassesForm, TermForm
from lms.orgs.models import Organization, Term


#: a term's state as the terms list shows it
STATE_LABELS = {
    ops.TermState.upcoming: _pl("term state", "Upcoming"),
    ops.TermState.current: _pl("term state", "Current"),
    ops.TermState.ended: _pl("term state", "Ended"),
    ops.TermState.archived: _l("Archived"),  # as the archived classes' badge says
}


def _terms_org(org_id: int) -> Organization:
    """The organization, for its admins and site admins; 404 for everyone else (teachers included), as for
    its other admin pages."""
    org = org_queries.get_org_or_404(org_id, current_user)
    if not org.can_manage(current_user):
        abort(404)
    return org


def _term_or_404(org: Organization, term_id: int | None) -> Term:
    term = db.session.get(Term, term_id) if term_id else None
    if term is None or term.org_id != org.id:
        abort(404)
    return term


def _org_terms(org: Organization) -> list[Term]:
    return list(db.session.scalars(db.select(Term).where(Term.org_id == org.id)
                                   .order_by(Term.starts_on.desc(), Term.id)))


def _classes_of(org: Organization, ids: list[int]) -> list[Circle]:
    """The organization's classes with these ids; any id outside it is a 404 (nothing changes)."""
    circles = list(db.session.scalars(db.select(Circle).where(Circle.org_id == org.id, Circle.id.in_(ids))))
    if len(circles) != len(set(ids)):
        abort(404)
    return circles


def _class_counts(org: Organization) -> dict[int, tuple[int, int]]:
    """{term id: (classes, archived classes)} in one query."""
    rows = db.session.execute(
        db.select(Circle.term_id, db.func.count(), db.func.sum(db.case((Circle.is_archived.is_(True), 1), else_=0)))
        .where(Circle.org_id == org.id, Circle.term_id.is_not(None)).group_by(Circle.term_id)
    ).all()
    return {term_id: (n, int(archived or 0)) for term_id, n, archived in rows}


@bp.route("/<int:org_id>/terms", methods=["GET", "POST"])
@login_required
def terms(org_id: int):
    """The organization's terms, newest first, with a form for a new one."""
    org = _terms_org(org_id)
    form = TermForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                term = ops.create_term(org, form.name.data, form.starts_on.data, form.ends_on.data)
            except ops.TermError as error:
                form.name.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("The term %(name)s was added.", name=term.name), "success")
                return redirect(url_for("orgs.terms", org_id=org.id))
        status = 422
    found = _org_terms(org)
    today = to_local(utcnow()).date()  # the viewer's day: a term is current from its first day where they are
    return render_template("orgs/terms.html", org=org, terms=found, counts=_class_counts(org),
                           states={t.id: ops.term_state(t, today) for t in found}, state_labels=STATE_LABELS,
                           reports=org.can_view_console(current_user), form=form, format_date=format_date), status


@bp.route("/<int:org_id>/terms/<int:term_id>")
@login_required
def term(org_id: int, term_id: int):
    """A term's classes, with archiving them all and copying some into another term."""
    org = _terms_org(org_id)
    term = _term_or_404(org, term_id)
    return _term_page(org, term)


def _term_page(org: Organization, term: Term, form: ClassesForm | None = None, status: int = 200,
               edit_form: TermForm | None = None):
    others = [t for t in _org_terms(org) if t.id != term.id]
    form = form or ClassesForm(formdata=None)
    following = ops.next_term(term)
    form.term_id.choices = [SelectChoice(str(t.id), t.name) for t in others]
    if following is not None and not form.term_id.data:
        form.term_id.data = following.id
    return render_template("orgs/term.html", org=org, term=term, classes=ops.term_classes(term), others=others,
                           copy_form=form, edit_form=edit_form or TermForm(formdata=None, obj=term),
                           confirm=ConfirmForm(), format_date=format_date, kept=ops.why_term_is_kept(term)), status


@bp.route("/<int:org_id>/terms/<int:term_id>/edit", methods=["POST"])
@login_required
def edit_term(org_id: int, term_id: int):
    """Change the term's name and first and last day (archived or not), with a new term's checks; a refused
    form comes back on the term's page as it was typed, with the reason."""
    org = _terms_org(org_id)
    term = _term_or_404(org, term_id)
    form = TermForm()
    if form.validate_on_submit():
        try:
            ops.update_term(term, current_user, form.name.data, form.starts_on.data, form.ends_on.data)
        except ops.TermError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The term's name and dates were saved."), "success")
            return redirect(url_for("orgs.term", org_id=org.id, term_id=term.id))
    return _term_page(org, term, status=422, edit_form=form)  # update_term checks before it changes anything


@bp.route("/<int:org_id>/terms/<int:term_id>/delete", methods=["POST"])
@login_required
def delete_term(org_id: int, term_id: int):
    """Delete a term that holds no class; a term with classes is refused, saying what to do first."""
    org = _terms_org(org_id)
    term = _term_or_404(org, term_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("orgs.term", org_id=org.id, term_id=term.id))
    name = term.name
    try:
        ops.delete_term(term, current_user)
    except ops.TermError as error:
        flash(str(error), "error")
        return redirect(url_for("orgs.term", org_id=org.id, term_id=term.id))
    db.session.commit()
    flash(_("The term %(name)s was deleted.", name=name), "success")
    return redirect(url_for("orgs.terms", org_id=org.id))


@bp.route("/<int:org_id>/terms/<int:term_id>/archive", methods=["POST"])
@login_required
def archive_term(org_id: int, term_id: int):
    """Archive every class of the term in one action (read-only; members, work, grades and replays kept)."""
    org = _terms_org(org_id)
    term = _term_or_404(org, term_id)
    if ConfirmForm().validate_on_submit():
        archived = ops.archive_term(term, current_user)
        db.session.commit()
        flash(ngettext("%(num)d class of %(term)s is archived: it can be read, no longer changed.",
                       "%(num)d classes of %(term)s are archived: they can be read, no longer changed.",
                       len(archived), term=term.name), "success")
    return redirect(url_for("orgs.term", org_id=org.id, term_id=term.id))


@bp.route("/<int:org_id>/terms/<int:term_id>/copy", methods=["POST"])
@login_required
def copy_classes(org_id: int, term_id: int):
    """Copy the ticked classes of the term (their structure: no members, no work) into another term."""
    org = _terms_org(org_id)
    term = _term_or_404(org, term_id)
    form = ClassesForm()
    if not form.validate_on_submit():
        return _term_page(org, term, form, 422)
    target = _term_or_404(org, form.term_id.data)
    circles = _classes_of(org, form.chosen_ids())
    if any(c.term_id != term.id for c in circles):
        abort(404)
    copies = [ops.copy_class(circle, target, current_user) for circle in sorted(circles, key=lambda c: (c.sort_key, c.name))]
    db.session.commit()
    flash(ngettext("%(num)d class copied into %(term)s, without members or work.",
                   "%(num)d classes copied into %(term)s, without members or work.", len(copies),
                   term=target.name), "success")
    return redirect(url_for("orgs.term", org_id=org.id, term_id=target.id))


@bp.route("/<int:org_id>/console/term", methods=["POST"])
@login_required
def set_classes_term(org_id: int):
    """Put the classes ticked in the console's table in a term (or in none); archived ones stay where they are,
    named in a refusal, while the others move."""
    org = _terms_org(org_id)
    form = ClassesForm()
    if not form.validate_on_submit():
        flash(_("Tick at least one class and choose a term."), "error")
        return redirect(url_for("orgs.console", org_id=org.id))
    target = None if form.term_id.data == 0 else _term_or_404(org, form.term_id.data)
    changed, kept = ops.set_classes_term(_classes_of(org, form.chosen_ids()), target)
    db.session.commit()
    if kept:
        flash(ngettext("%(names)s was not moved: it is archived, so it can be read, but nothing in it can be changed.",
                       "%(names)s were not moved: they are archived, so they can be read, but nothing in them can be "
                       "changed.", len(kept), names=format_some_names(c.name for c in kept)), "error")
    if kept and not changed:  # only archived classes (or others there already): the refusal says it all
        pass
    elif target is None:
        flash(ngettext("%(num)d class is now in no term.", "%(num)d classes are now in no term.", changed), "success")
    else:
        flash(ngettext("%(num)d class is now in %(term)s.", "%(num)d classes are now in %(term)s.", changed,
                       term=target.name), "success")
    return redirect(request.referrer if _same_console(org, request.referrer) else url_for("orgs.console", org_id=org.id))


def _same_console(org: Organization, referrer: str | None) -> bool:
    """Back to the console page the form was sent from (its filters and order), never elsewhere."""
    if not referrer:
        return False
    path = url_for("orgs.console", org_id=org.id)
    return referrer.startswith(request.host_url.rstrip("/") + path + "?") or referrer == request.host_url.rstrip("/") + path
