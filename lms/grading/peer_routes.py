"""The teacher accepts the peer score as a student's grade (from peer review's per-submission view)."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.core.permissions import require
from lms.extensions import db
from lms.grading import bp
from lms.grading import peer
from lms.grading import queries as q
from lms.grading.forms import ConfirmForm
from lms.grading.operations import GradingError
from lms.grading.routes import ASSIGNMENT, _assignment


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
