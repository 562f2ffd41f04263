"""The term report's views: the page (printable), and its tables by class or by student as CSV or XLSX."""
from __future__ import annotations

import functools

from flask import Response, abort, render_template, request
from flask_babel import format_date, format_decimal, pgettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.core.spreadsheet import XLSX_MIMETYPE, csv_chunks, safe_text, xlsx_chunks
from lms.extensions import db
from lms.orgs import bp
from lms.orgs.console import reports
from lms.orgs.console import routes as console  # the console's access rule and number helpers
from lms.orgs.console.reports import TermReport
from lms.orgs.models import Organization, Term


def _report_of(org_id: int, term_id: int) -> tuple[Organization, TermReport]:
    """The organization and its term's report as the viewer may see it: who sees the console sees the report
    of its classes they see (a teacher: their own); 404 for everyone else and for a term of another
    organization."""
    org = console._console_org(org_id)
    term = db.session.get(Term, term_id)
    if term is None or term.org_id != org.id:
        abort(404)
    return org, reports.term_report(org, term, current_user)


#: students on one page of the report (a school's thousands are in the exports, whole)
STUDENTS_PER_PAGE = 200


@bp.route("/<int:org_id>/terms/<int:term_id>/report")
@login_required
def term_report(org_id: int, term_id: int):
    """The term's report: by class, and by student a page (?page=N) of STUDENTS_PER_PAGE at a time, with a
    print stylesheet."""
    org, report = _report_of(org_id, term_id)
    students = console._Page(report.students, request.args.get("page", 1, type=int), STUDENTS_PER_PAGE)
    return render_template("orgs/term_report.html", org=org, term=report.term, report=report, students=students,
                           manage=org.can_manage(current_user), bands=reports.band_labels(),
                           # a report repeats few figures in thousands of cells: each is formatted once
                           percent=functools.cache(console.percent), number=functools.cache(format_decimal),
                           format_date=format_date)


def _class_rows(report: TermReport):
    yield [_("Class"), _("Teachers"), _("Students"), _("Assignments published"), _("Hand-ins"),
           _("Hand-in rate (%)"), _("Late hand-ins"), _("Late rate (%)"), _("Missing"),
           *[_("Grades of %(band)s %%", band=band) for band in reports.band_labels()],
           _("Average released grade (%)"), _("Live lessons held"), _("Attendance (%)"), _("Check-in rate (%)"),
           _("Best current streak (days)"), _("Longest streak (days)")]
    for c in report.classes:
        r = c.row
        yield [r.circle.name, r.teacher_names, r.students, r.assignments, r.handed_in,
               console._round(r.hand_in_rate), c.late, console._round(c.late_rate), c.missing, *c.bands,
               console._round(r.average_grade), r.lessons_held, console._round(r.attendance_rate),
               console._round(c.checkin_rate), c.best_current_streak, c.best_longest_streak]


def _student_rows(report: TermReport):
    yield [_("Student"), _("Student number"), pgettext("a count of classes", "Classes"), _("Assignments published"),
           _("Hand-ins"),
           _("Hand-in rate (%)"), _("Late hand-ins"), _("Missing"), _("Released grades"),
           _("Average released grade (%)"), _("Live lessons held"), _("Lessons attended"), _("Attendance (%)"),
           _("Longest streak (days)")]
    for s in report.students:
        yield [s.name, s.student_no, s.classes, s.assignments, s.handed_in, console._round(s.hand_in_rate),
               s.late, s.missing, s.grades, console._round(s.average_grade), s.lessons_held, s.attended,
               console._round(s.attendance_rate), s.longest_streak]


def _export(org_id: int, term_id: int):
    """(rows, sheet title, file name) of the table asked for (?by=class, the default, or ?by=student)."""
    org, report = _report_of(org_id, term_id)
    by = "student" if request.args.get("by") == "student" else "class"
    # made now, in the request, so the headers are in the viewer's language (rows made while the response
    # streams are made after the request, in English)
    rows = list(_student_rows(report) if by == "student" else _class_rows(report))
    title = _("Students") if by == "student" else _("Classes")
    name = f"term-{report.term.id}-report-by-{by}-{report.made_at.strftime('%Y%m%d')}"
    return rows, title, name


@bp.route("/<int:org_id>/terms/<int:term_id>/report.csv")
@login_required
def term_report_csv(org_id: int, term_id: int):
    """The report's table by class (or ?by=student) as CSV."""
    rows, _title, name = _export(org_id, term_id)
    body = csv_chunks([safe_text(v) for v in row] for row in rows)
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@bp.route("/<int:org_id>/terms/<int:term_id>/report.xlsx")
@login_required
def term_report_xlsx(org_id: int, term_id: int):
    """The report's table by class (or ?by=student) as an XLSX workbook (numbers as numbers)."""
    rows, title, name = _export(org_id, term_id)
    response = Response(xlsx_chunks(rows, title, console._typed_cell), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
