"""An author's page of the reviews of their work (helpful or not, flag as unfair), and the teacher's release
button. Thin views: scoped lookups, a predicate, one operation, one commit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.extensions import db
from lms.homework import queries as hw
from lms.reviews import bp
from lms.reviews import receiving as rcv
from lms.reviews import queries as q
from lms.reviews import teacher_view as tv
from lms.reviews.routes import PREFIX, _load
from lms.uploads.queries import media_urls


class FlagForm(FlaskForm):
    reason = TextAreaField(_l("Why is this review unfair?"),
                           validators=[DataRequired(), Length(max=rcv.MAX_FLAG_REASON)])


def _author_setup(circle_id: int, assignment_id: int):
    """The circle, assignment and set-up for a learner reading the reviews of their own work: 404 for
    anyone who cannot see the assignment or when peer review is not on, 403 for staff (they have the
    teacher's view)."""
    circle = get_circle_or_404(circle_id, current_user)
    assignment = hw.get_assignment_or_404(circle, assignment_id, current_user)
    settings = q.settings_of(assignment)
    if settings is None or not settings.is_enabled:
        abort(404)
    require(assignment.is_learner(current_user))
    return circle, assignment, settings


@bp.route(PREFIX + "/received")
@login_required
def received(circle_id: int, assignment_id: int):
    """The reviews of my work, with their timestamped comments on my video's timeline."""
    circle, assignment, settings = _author_setup(circle_id, assignment_id)
    rows = rcv.received(settings, current_user)
    submission = hw.latest_submission(assignment, current_user)
    return render_template("reviews/received.html", circle=circle, assignment=assignment, setup=settings,
                           rows=rows, visible=settings.reviews_visible_to_authors(), submission=submission,
                           markers=rcv.markers(rows), media_urls=media_urls, confirm=ConfirmForm(),
                           flag_form=FlagForm(formdata=None),
                           criteria={c.key: c for c in tv.criteria_of(tv.rubric_of(settings))})


def _back(circle_id: int, assignment_id: int, review_id: int | None = None):
    anchor = f"#review-{review_id}" if review_id else ""
    return redirect(url_for("reviews.received", circle_id=circle_id, assignment_id=assignment_id) + anchor)


@bp.route(PREFIX + "/received/<int:review_id>/helpful", methods=["POST"])
@login_required
def mark_helpful(circle_id: int, assignment_id: int, review_id: int):
    circle, assignment, settings = _author_setup(circle_id, assignment_id)
    review = rcv.get_received_or_404(settings, current_user, review_id)
    if ConfirmForm().validate_on_submit():
        value = {"yes": True, "no": False}.get(request.form.get("helpful", ""))
        rcv.mark_helpful(review, current_user, value)
        db.session.commit()
        flash(_("Thank you: your answer is saved."), "success")
    return _back(circle.id, assignment.id, review.id)


@bp.route(PREFIX + "/received/<int:review_id>/flag", methods=["POST"])
@login_required
def flag(circle_id: int, assignment_id: int, review_id: int):
    circle, assignment, settings = _author_setup(circle_id, assignment_id)
    review = rcv.get_received_or_404(settings, current_user, review_id)
    form = FlagForm()
    if request.form.get("withdraw") and ConfirmForm().validate_on_submit():
        rcv.unflag(review, current_user)
        db.session.commit()
        flash(_("The flag is withdrawn."), "success")
    elif form.validate_on_submit():
        try:
            rcv.flag(review, current_user, form.reason.data)
        except rcv.ReceivingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The review is flagged; your teacher will look at it."), "success")
    else:
        flash(_("Say why the review is unfair."), "error")
    return _back(circle.id, assignment.id, review.id)


@bp.route(PREFIX + "/release", methods=["POST"])
@login_required
def release(circle_id: int, assignment_id: int):
    """The teacher lets authors read their reviews now, before the window closes."""
    circle, assignment, settings = _load(circle_id, assignment_id, "can_release")
    if ConfirmForm().validate_on_submit():
        try:
            rcv.release(settings, current_user)
        except rcv.ReceivingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The reviews are released to their authors."), "success")
    return redirect(url_for("reviews.teacher_results", circle_id=circle.id, assignment_id=assignment.id))
