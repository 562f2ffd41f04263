"""The teacher's view of peer review's results: the class (reviews given and received, peer score, spread,
flags), one submission's reviews with the median per criterion, and the CSV export."""
from __future__ import annotations

from flask import Response, abort, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.core.spreadsheet import csv_chunks
from lms.homework import queries as hw
from lms.homework.grades import grade_source
from lms.reviews import bp, calibration, stats
from lms.reviews import queries as q
from lms.reviews import teacher_view as tv
from lms.reviews.models import WindowState
from lms.reviews.routes import PREFIX, _load
from lms.uploads.queries import media_urls


@bp.route(PREFIX + "/results")
@login_required
def teacher_results(circle_id: int, assignment_id: int):
    circle, assignment, settings = _load(circle_id, assignment_id, "can_view_allocation")
    rows = tv.class_rows(settings)
    k = settings.reviews_per_submission
    window = settings.window_state()
    # after the close nothing more comes (but from extensions): the teacher decides with what exists
    short = sum(1 for row in rows if row.view is not None and row.received < k) if window == WindowState.closed else 0
    return render_template("reviews/teacher_results.html", circle=circle, assignment=assignment, setup=settings,
                           rows=rows, criteria=tv.criteria_of(tv.rubric_of(settings)),
                           can_release=settings.can_release(current_user), confirm=ConfirmForm(),
                           window=window, k=k, short=short,
                           extended={e.user_id: e for e in q.extensions(assignment)}, flag_labels=flag_labels(),
                           can_extend=settings.can_grant_extensions(current_user),
                           can_grade=assignment.can_grade(current_user), accept_all_url=_accept_all_url(assignment),
                           with_reviews=sum(1 for row in rows if row.received), short_words=stats.SHORT_WORDS)


@bp.route(PREFIX + "/results/<int:author_id>")
@login_required
def teacher_submission(circle_id: int, assignment_id: int, author_id: int):
    """One student's work: every review, the median and spread per criterion, the flags, and the grade."""
    circle, assignment, settings = _load(circle_id, assignment_id, "can_view_allocation")
    member = hw.memberships_by_user(circle, {author_id}).get(author_id)
    if member is None:
        abort(404)
    view = tv.submission_view(settings, author_id)
    names = hw.memberships_by_user(circle, {r.allocation.reviewer_id for r in view.reviews})
    submission = hw.latest_submissions(assignment).get(author_id)
    grade = grade_source().grades_by_student(assignment).get(author_id)
    figure = calibration.accuracy_figures(settings, author_id).get(author_id)
    markers = sorted(({"at": c.at_seconds, "label": c.body[:80]} for r in view.reviews for c in r.comments),
                     key=lambda m: m["at"])
    return render_template("reviews/teacher_submission.html", circle=circle, assignment=assignment,
                           k=settings.reviews_per_submission, window=settings.window_state(),
                           unfinished=q.unfinished_tasks_on(assignment, author_id),
                           setup=settings, member=member, view=view, names=names, submission=submission,
                           grade=grade, media_urls=media_urls, confirm=ConfirmForm(), markers=markers,
                           can_grade=assignment.can_grade(current_user),
                           flag_labels=flag_labels(), grading_url=grade_source().grading_url(assignment, author_id),
                           accept_url=_accept_url(assignment, author_id), figure=figure,
                           breakdown=tv.grade_breakdown(settings, view) if settings.is_enabled else None)


def _accept_url(assignment, author_id: int) -> str | None:
    """Where the teacher accepts the peer score as the grade: grading's view, when grading is installed
    (reviews never imports grading; it only names the endpoint)."""
    if "grading.accept_peer" not in current_app.view_functions:
        return None
    return url_for("grading.accept_peer", circle_id=assignment.circle_id, assignment_id=assignment.id,
                   student_id=author_id)


def _accept_all_url(assignment) -> str | None:
    """Where the teacher accepts the peer score for every student with reviews (grading's view, by name)."""
    if "grading.accept_peer_all" not in current_app.view_functions:
        return None
    return url_for("grading.accept_peer_all", circle_id=assignment.circle_id, assignment_id=assignment.id)


def flag_labels() -> dict:
    return {"far": _("Far from the other reviewers"), "short": _("Too short"),
            "fast": _("Submitted faster than the video lasts"), "unfair": _("Flagged as unfair by the author")}


@bp.route(PREFIX + "/results.csv")
@login_required
def teacher_export(circle_id: int, assignment_id: int):
    circle, assignment, settings = _load(circle_id, assignment_id, "can_view_allocation")
    labels = {"student": _("Student"), "real_name": _("Real name"), "student_no": _("Student number"),
              "given": _("Reviews given"), "assigned": _("Tasks"),
              "received": _("Reviews received"), "peer_score": _("Peer score"), "spread": _("Spread"),
              "accuracy": _("Accuracy"), "flags": _("Flags")}
    rows = tv.csv_rows(settings, tv.class_rows(settings), labels, flag_labels())
    response = Response(csv_chunks(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="peer-review-{assignment.id}.csv"'
    return response
