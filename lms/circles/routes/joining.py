"""Joining views: from a circle's page, with a join or course code, with an invite link."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.limits import person_key
from lms.circles import bp
from lms.circles import operations as ops
from lms.circles import queries as q
from lms.circles.codes import normalize_code, normalize_token
from lms.circles.forms import IdentityForm, JoinCodeForm, JoinForm
from lms.circles.models import Circle, CourseCode, JoinPolicy, MembershipStatus
from lms.circles.routes._common import _identity_defaults, _join_page
from lms.extensions import db, limiter


#: Unknown or spent codes and invite links: counted per person (guessing), under a ceiling per
#: network that a class mistyping codes from one school address stays well below.
CODE_FAILURES_PER_PERSON = "20 per 10 minutes"
LINK_FAILURES_PER_PERSON = "30 per 10 minutes"
FAILURES_PER_NETWORK = "300 per 10 minutes"


def _code_failed(response) -> bool:
    return response.status_code in (404, 410, 422)


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
        db.session.rollback()
        _show_refusal(form, error)
        return _join_page(circle, form, 422)
    db.session.commit()
    return _after_join(circle)


def _identity(form: IdentityForm) -> dict:
    return {"display_name": form.display_name.data, "real_name": form.real_name.data,
            "student_no": form.student_no.data}


def _show_refusal(form: IdentityForm, error: ops.CircleError) -> None:
    """A name or number refused goes under its field (the form keeps what was typed); anything else
    is a message at the top of the page."""
    if isinstance(error, ops.IdentityError) and error.field in form:
        form[error.field].errors.append(str(error))
    else:
        flash(str(error), "error")


def _barred_page(circle: Circle):
    """A removed member who comes back by any link or code: told why, and nothing is spent."""
    return render_template("circles/barred.html", message=str(ops.MemberBarred()), circle=circle), 403


def _after_join(circle: Circle):
    membership = circle.membership_of(current_user)
    if membership is not None and membership.status == MembershipStatus.pending:
        flash(_("Your request has been sent. You will get access when the teacher approves it."), "info")
        return redirect(url_for("circles.index"))
    flash(_("Welcome to %(name)s!", name=circle.name), "success")
    return redirect(url_for("circles.home", circle_id=circle.id))


@bp.route("/join", methods=["GET", "POST"])
@login_required
@limiter.limit(CODE_FAILURES_PER_PERSON, methods=["POST"], key_func=person_key, deduct_when=_code_failed)
@limiter.limit(FAILURES_PER_NETWORK, methods=["POST"], deduct_when=_code_failed)
def join():
    """Type a join code or a course code."""
    form = JoinCodeForm(code=request.args.get("code", ""))
    if form.validate_on_submit():
        token = _pasted_invite_token(form.code.data)
        if token:
            return redirect(url_for("circles.invite", token=token))
        code = normalize_code(form.code.data)
        if q.find_code(code) is None:
            form.code.errors.append(_("There is no circle with this code. Check it for typos: "
                                      "codes have 8 or 10 letters and digits."))
            current_app.logger.info("unknown join code from user=%s", current_user.id)
            return render_template("circles/join_code.html", form=form), 404
        return redirect(url_for("circles.join_with_code", code=code))
    return render_template("circles/join_code.html", form=form), (422 if form.errors else 200)


def _pasted_invite_token(typed: str) -> str | None:
    """The token of an invite link pasted into the code box (``https://…/i/<token>``), if it is one."""
    text = normalize_token(typed)
    if "/i/" not in text:
        return None
    return text.rsplit("/i/", 1)[1].split("?", 1)[0].split("#", 1)[0].strip("/") or None


@bp.route("/join/<code>", methods=["GET", "POST"])
@login_required
@limiter.limit(LINK_FAILURES_PER_PERSON, key_func=person_key, deduct_when=_code_failed)
@limiter.limit(FAILURES_PER_NETWORK, deduct_when=_code_failed)
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
    if me is not None and me.is_barred:
        return _barred_page(circle)
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
            _show_refusal(form, error)
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
@limiter.limit(LINK_FAILURES_PER_PERSON, key_func=person_key, deduct_when=_code_failed)
@limiter.limit(FAILURES_PER_NETWORK, deduct_when=_code_failed)
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
    if me is not None and me.is_barred:
        return _barred_page(circle)
    form = JoinForm()
    _identity_defaults(form)
    if form.validate_on_submit():
        try:
            ops.join_with_invite(found, current_user, **_identity(form))
        except ops.CircleError as error:
            db.session.rollback()
            _show_refusal(form, error)
        else:
            db.session.commit()
            return _after_join(circle)
    return render_template("circles/join.html", circle=circle, form=form, me=me, invite=found,
                           action=url_for("circles.invite", token=token)), (422 if form.is_submitted() else 200)
