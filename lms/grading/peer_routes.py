"""The teacher accepts the peer score as a student's grade (from peer review's per-submission view)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.core.permissions import require
from lms.extensions import db
from lms.grading import bp
from lms.grading import peer
from lms.grading import queries as q
from lms.grading.forms import ConfirmForm
from lms.grading.operations import GradingError
from lms.grading.routes import ASSIGNMENT, _assignment
from lms.homework import queries as hw


@bp.route(f"{ASSIGNMENT}/grade/<int:student_id>/peer", methods=["POST"])
@login_required
def accept_peer(circle_id: int, assignment_id: int, student_id: int):
    assignment = _assignment(circle_id, assignment_id)
    require(assignment.can_grade(current_user))
    membership = q.get_learner_or_404(assignment.circle, student_id)
    if ConfirmForm().validate_on_submit():
        try:
            grade = peer.accept_peer_score(assignment, membership.user, current_user)
        except GradingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s's grade is now the peer score: %(score)s.", name=membership.display_name,
                    score=f"{grade.score:g}"), "success")
    return redirect(url_for("reviews.teacher_submission", circle_id=circle_id, assignment_id=assignment_id,
                            author_id=student_id))


@bp.route(f"{ASSIGNMENT}/grade/peer-all", methods=["POST"])
@login_required
def accept_peer_all(circle_id: int, assignment_id: int):
    """Accept the peer score as the grade of every student with reviews (one action); students graded by hand
    keep their grade unless the teacher ticks "include_hand_graded"."""
    assignment = _assignment(circle_id, assignment_id)
    require(assignment.can_grade(current_user))
    if ConfirmForm().validate_on_submit():
        try:
            done = peer.accept_all(assignment, current_user,
                                   include_hand_graded=request.form.get("include_hand_graded") == "yes")
        except GradingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(ngettext("%(num)d student's grade is now their peer score.",
                           "%(num)d students' grades are now their peer scores.", len(done.graded)), "success")
            if done.kept:
                flash(ngettext("%(num)d student you graded yourself keeps that grade.",
                               "%(num)d students you graded yourself keep those grades.", len(done.kept)), "info")
            names = hw.memberships_by_user(assignment.circle, {s.id for s, _reason in done.failed})
            for student, reason in done.failed:
                name = names[student.id].display_name if student.id in names else student.name
                flash(_("%(name)s: %(reason)s", name=name, reason=reason), "error")
    return redirect(url_for("reviews.teacher_results", circle_id=circle_id, assignment_id=assignment_id))
