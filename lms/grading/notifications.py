"""Telling students about their grades: mail and a live notification, both sent after the commit."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.core.i18n import recipient_locale
from lms.core.mail import send_mail
from lms.core.realtime import emit_to_user
from lms.core.urls import external_url


def _feedback_link(grade) -> str:
    assignment = grade.assignment
    return external_url("grading.feedback", circle_id=assignment.circle_id, assignment_id=assignment.id)


def grade_released(grade) -> None:
    """Mail the student that their grade for an assignment can be seen, and push a notification to their
    open pages. Call inside the request; both leave once it commits."""
    student, assignment = grade.student, grade.assignment
    locale = recipient_locale(student)
    link = _feedback_link(grade)
    send_mail(student.email, _l("Your grade for “%(title)s” is ready", title=assignment.title),
              "grading/grade_released", locale=locale, user=student, assignment=assignment,
              circle=assignment.circle, link=link)
    with force_locale(locale):
        message = _("Your grade for “%(title)s” is ready.", title=assignment.title)
    emit_to_user(student.id, "notification", {"kind": "grade_released", "assignment_id": assignment.id,
                                              "circle_id": assignment.circle_id, "message": message,
                                              "url": link})


def regrade_resolved(request) -> None:
    """Mail the student that staff answered their regrade request (changed or kept grade, and the
    answer), and push a notification to their open pages. Both leave once the request commits."""
    from lms.grading.models import RegradeState

    grade = request.grade
    student, assignment = grade.student, grade.assignment
    locale = recipient_locale(student)
    link = _feedback_link(grade)
    send_mail(student.email, _l("Your regrade request for “%(title)s” was answered", title=assignment.title),
              "grading/regrade_resolved", locale=locale, user=student, assignment=assignment,
              circle=assignment.circle, link=link, accepted=request.state == RegradeState.accepted,
              response=request.response)
    with force_locale(locale):
        message = _("Your regrade request for “%(title)s” was answered.", title=assignment.title)
    emit_to_user(student.id, "notification", {"kind": "regrade_resolved", "assignment_id": assignment.id,
                                              "circle_id": assignment.circle_id, "message": message,
                                              "url": link})
