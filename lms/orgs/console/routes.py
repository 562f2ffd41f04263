"""The console's views: every class at a glance (page, CSV, XLSX)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.forms import KIND_LABELS
from lms.circles.models import CircleKind
from lms.core.collation import sort_key
from lms.core.spreadsheet import XLSX_MIMETYPE, csv_chunks, safe_text, xlsx_chunks
from lms.extensions import db
from lms.orgs import bp
from lms.orgs import queries as org_queries
from lms.orgs.console import figures, people_routes, report_routes, settings_routes, term_routes  # noqa: F401  (their views)
from lms.orgs.console.figures import ClassRow, Filters
from lms.orgs.models import Organization, Term

ROWS_PER_PAGE = 100


def _none_last(value):
    return (value is None, value if value is not None else 0)


#: sort keys of the table's columns: ?sort=<key> (ascending) or ?sort=-<key>
SORTS = {
    "name": lambda r: (r.circle.sort_key, r.circle.name, r.circle.id),
    "term": lambda r: (r.term is None, r.term.starts_on if r.term else None, r.circle.sort_key, r.circle.name),
    "teacher": lambda r: sort_key(r.teacher_names),
    "members": lambda r: r.members,
    "pending": lambda r: r.pending,
    "activity": lambda r: _none_last(r.last_activity_at),
    "assignments": lambda r: r.assignments,
    "handin": lambda r: _none_last(r.hand_in_rate),
    "grade": lambda r: _none_last(r.average_grade),
    "live": lambda r: r.lessons_held,
    "attendance": lambda r: _none_last(r.attendance_rate),
    "unread": lambda r: r.notices_unread,
    "checkins": lambda r: _none_last(r.checkin_rate),
}


def _console_org(org_id: int) -> Organization:
    """The organization, for those who see its console (admins, site admins, teachers); 404 for everyone else,
    its students included, as for its other admin pages."""
    org = org_queries.get_org_or_404(org_id, current_user)
    if not org.can_view_console(current_user):
        abort(404)
    return org


def _filters(org: Organization) -> Filters:
    term_id = request.args.get("term", type=int)
    teacher_id = request.args.get("teacher", type=int) if org.can_manage(current_user) else None
    kind = request.args.get("kind")
    return Filters(term_id=term_id, teacher_id=teacher_id,
                   kind=CircleKind(kind) if kind in CircleKind.__members__ else None)


def _view_args() -> dict[str, str]:
    """The table's filters and order from the query string, to keep in its links and after a recount."""
    return {k: v for k, v in request.args.items() if k in ("term", "teacher", "kind", "sort") and v}


def _sorted_rows(org: Organization, *, recount: bool = False) -> tuple[list[ClassRow], str, datetime | None]:
    """The classes in view, in the order asked for, with their kept figures (those too old counted again and
    committed), and when the oldest figures were counted."""
    max_age = timedelta(seconds=current_app.config["CONSOLE_FIGURES_MAX_AGE"])
    rows, counted_at = figures.kept_class_rows(org, current_user, _filters(org), max_age=max_age, recount=recount)
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False  # the rows' classes stay loaded
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    sort = request.args.get("sort") or "name"
    key = sort.removeprefix("-")
    if key not in SORTS:
        sort, key = "name", "name"
    rows.sort(key=SORTS[key], reverse=sort.startswith("-"))
    if key in {"activity", "handin", "grade", "attendance", "checkins"} and sort.startswith("-"):
        # descending keeps the classes without a figure last too
        rows.sort(key=lambda r: SORTS[key](r)[0])
    return rows, sort, counted_at


def percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value / 100)


class _Page:
    """The slice of rows the table shows, shaped like a Flask-SQLAlchemy Pagination for the pager."""

    def __init__(self, rows: list, page: int, per_page: int):
        self.total = len(rows)
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(1, page), self.pages)
        self.items = rows[(self.page - 1) * per_page:self.page * per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


@bp.route("/<int:org_id>/console")
@login_required
def console(org_id: int):
    """Every class of the organization in one table (a teacher of the organization: their own classes)."""
    org = _console_org(org_id)
    rows, sort, counted_at = _sorted_rows(org)
    manage = org.can_manage(current_user)
    terms = list(db.session.scalars(db.select(Term).where(Term.org_id == org.id)
                                    .order_by(Term.starts_on.desc(), Term.id)))
    staff = org_queries.org_staff(org) if manage else []
    return render_template("orgs/console.html", org=org, page=_Page(rows, request.args.get("page", 1, type=int),
                                                                      ROWS_PER_PAGE),
                           sort=sort, args=_view_args(), counted_at=counted_at,
                           max_age_minutes=max(1, current_app.config["CONSOLE_FIGURES_MAX_AGE"] // 60),
                           terms=terms, staff=staff, manage=manage, kinds=KIND_LABELS,
                           filters=_filters(org), percent=percent, quiet_days=figures.QUIET_AFTER.days,
                           checkin_days=figures.CHECKIN_DAYS, chart_weeks=figures.CHART_WEEKS,
                           sort_link=sort_link)


@bp.route("/<int:org_id>/console/recount", methods=["POST"])
@login_required
def recount_console(org_id: int):
    """Count the figures of the classes in view again now (the query string keeps the filters and order), then
    show the table."""
    org = _console_org(org_id)
    _sorted_rows(org, recount=True)
    flash(_("The figures were counted again just now."), "success")  # else the page comes back the same but a time
    return redirect(url_for("orgs.console", org_id=org.id, **_view_args()), 303)


def _export_rows(rows: list[ClassRow]):
    yield [_("Class"), _("Term"), _("Kind"), _("Teachers"), _("Members"), _("Pending requests"),
           _("Last activity (UTC)"), _("Activity, last 8 weeks"), _("Assignments published"),
           _("Hand-in rate (%)"), _("Average released grade (%)"), _("Live lessons held"), _("Attendance (%)"),
           _("Notices unread"), _("Check-in rate (%)"), _("Quiet for two weeks"), _("Archived")]
    for r in rows:
        yield [r.circle.name, r.term.name if r.term else "", str(KIND_LABELS[r.circle.kind]), r.teacher_names,
               r.members, r.pending,
               r.last_activity_at.strftime("%Y-%m-%d %H:%M") if r.last_activity_at else "",
               " ".join(str(n) for n in r.weeks), r.assignments, _round(r.hand_in_rate), _round(r.average_grade),
               r.lessons_held, _round(r.attendance_rate), r.notices_unread, _round(r.checkin_rate),
               _("yes") if r.is_quiet else "", _("yes") if r.circle.is_archived else ""]


def _round(value: float | None):
    return None if value is None else round(value, 1)


def _typed_cell(value) -> tuple[object, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value, None
    return ("" if value is None else str(value)), None


def _filename(org: Organization, ext: str) -> str:
    return f"classes-org-{org.id}-{datetime.now().strftime('%Y%m%d')}.{ext}"


@bp.route("/<int:org_id>/console.csv")
@login_required
def console_csv(org_id: int):
    """The table as CSV (the filters and order of the page, every row)."""
    org = _console_org(org_id)
    rows, _sort, _counted_at = _sorted_rows(org)
    # made now, in the request: its headers and words are in the viewer's language (a generator read while the
    # response streams runs after the request, in English); a school's classes fit in memory
    table = list(_export_rows(rows))
    body = csv_chunks([safe_text(v) for v in row] for row in table)
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(org, "csv")}"'
    return response


@bp.route("/<int:org_id>/console.xlsx")
@login_required
def console_xlsx(org_id: int):
    """The table as an XLSX workbook (numbers as numbers)."""
    org = _console_org(org_id)
    rows, _sort, _counted_at = _sorted_rows(org)
    response = Response(xlsx_chunks(list(_export_rows(rows)), _("Classes"), _typed_cell),  # made now: see console_csv
                        mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(org, "xlsx")}"'
    return response



def sort_link(org: Organization, args: dict, key: str) -> str:
    """A column header's link: sorts by `key`, the other way round when it is the current order."""
    current = args.get("sort", "name")
    return url_for("orgs.console", org_id=org.id, **{**args, "sort": f"-{key}" if current == key else key})
