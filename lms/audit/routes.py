"""Audit log pages for site admins and organization admins. There is no edit or delete view."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

from flask import Response, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.audit import bp
from lms.audit import queries as q
from lms.audit.forms import AuditFilterForm
from lms.audit.queries import AuditFilter
from lms.core.i18n import local_datetime
from lms.core.permissions import admin_required, require
from lms.orgs.models import Organization
from lms.orgs.queries import get_org_or_404

PER_PAGE = 50
CSV_COLUMNS = ("id", "time_utc", "actor_id", "actor", "action", "target_type", "target_id", "target", "circle_id",
               "circle", "org_id", "ip", "user_agent", "details")
#: A spreadsheet runs a cell (or the part after a separator it splits on: , ; tab |) that starts with one of these.
_FORMULA = re.compile(r"(^|[,;\t|\r\n])(\s*)([=+\-@])")


#: Names shown for the keys operations put in `details`; other keys are shown as they are.
DETAIL_LABELS = {
    "role": _l("Role"), "org": _l("Organization"), "score": _l("Score"), "penalty_percent": _l("Late penalty %"),
    "excused": _l("Excused"), "criterion_scores": _l("Rubric scores"), "released": _l("Released"),
    "count": _l("Students"), "via": _l("How"), "feedback_changed": _l("Feedback changed"),
    "new_account": _l("New account"), "assignment_id": _l("Assignment"), "student_id": _l("Student"),
    "previous_owner_ids": _l("Previous owner"), "grades": _l("Grades"), "change": _l("Change"),
    "display_name": _l("Name in the circle"), "real_name": _l("Real name"), "student_no": _l("Student number"),
    "due_at": _l("Due"), "closes_at": _l("Closes"), "reason": _l("Reason"), "format": _l("Format"),
    "blanks": _l("Blank grades"), "match": _l("Matched by"), "scale": _l("Scale"),
    "released_only": _l("Released grades only"), "students": _l("Students"), "assignments": _l("Assignments"),
    "with_canvas_export": _l("With Canvas's export"),
}


#: A moment as `record_event` stores a datetime (str() or ISO 8601, always with its UTC offset).
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def _show(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and _MOMENT.fullmatch(value):
        # stored in UTC; read in the viewer's zone, named, as every time on the page is
        return f"{local_datetime(datetime.fromisoformat(value), 'medium')} ({get_timezone()})"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def detail_lines(details: dict) -> list[tuple[str, str]]:
    """An event's details as (label, text) lines: a from/to pair becomes "old → new", per field when
    both sides are records (only the fields that changed), and so does a field whose value is a
    {"from", "to"} pair."""
    details = dict(details or {})
    lines = []
    if "from" in details and "to" in details:
        old, new = details.pop("from"), details.pop("to")
        if isinstance(old, dict) and isinstance(new, dict):
            for key in [*old, *(k for k in new if k not in old)]:
                if old.get(key) != new.get(key):
                    lines.append((str(DETAIL_LABELS.get(key, key)), f"{_show(old.get(key))} → {_show(new.get(key))}"))
        else:
            lines.append((str(DETAIL_LABELS["change"]), f"{_show(old)} → {_show(new)}"))
    for key, value in details.items():
        label = str(DETAIL_LABELS.get(key, key))
        if isinstance(value, dict) and set(value) == {"from", "to"}:  # one field's change
            lines.append((label, f"{_show(value['from'])} → {_show(value['to'])}"))
        else:
            lines.append((label, _show(value)))
    return lines


def _filters() -> tuple[AuditFilterForm, AuditFilter, bool]:
    """The filter form read from the query string, what it asks for, and whether it is valid."""
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    tz = str(get_timezone())
    return form, (form.to_filter(tz) if valid else AuditFilter(tz=tz)), valid


def _linker(org: Organization | None, filters: AuditFilter):
    """`link(**changes)`: this log's URL with the current filter, changed by `changes` (None drops
    an argument); `link(csv=True)` the CSV download of it."""
    scope = {"org_id": org.id} if org is not None else {}

    def link(csv: bool = False, **changes) -> str:
        endpoint = ("audit.org_log" if org is not None else "audit.site_log") + ("_csv" if csv else "")
        args = {k: v for k, v in {**filters.args(), **changes}.items() if v is not None}
        return url_for(endpoint, **scope, **args)

    return link


def _page(org: Organization | None):
    form, filters, valid = _filters()
    page = q.events_page(filters, request.args.get("page", 1, type=int), PER_PAGE, org)
    return render_template("audit/log.html", form=form, filters=filters, page=page, org=org,
                           circles=q.circle_names(page.items), detail_lines=detail_lines,
                           link=_linker(org, filters), base=_linker(org, AuditFilter())()), (200 if valid else 422)


@bp.route("/admin/audit")
@admin_required
def site_log():
    """Every audit event of the site, newest first, with filters."""
    return _page(None)


def _audited_org(org_id: int) -> Organization:
    org = get_org_or_404(org_id, current_user)
    require(org.can_view_audit(current_user))
    return org


@bp.route("/orgs/<int:org_id>/audit")
@login_required
def org_log(org_id: int):
    """The organization's audit events (its own and those of its classes), for its admins."""
    return _page(_audited_org(org_id))


def safe_csv_cell(value) -> str:
    """Text that a spreadsheet shows and never evaluates, even where its list separator splits the cell."""
    text = "" if value is None else str(value)
    return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'{m.group(3)}", text)


def _csv(org: Organization | None, filename: str) -> Response:
    _form, filters, valid = _filters()
    if not valid:
        return _page(org)

    # The rows are read now, while the request's session is open; only the CSV text is streamed.
    rows = [[safe_csv_cell(v) for v in (
        event.id, event.at.isoformat(), event.actor_id, event.actor_label, event.action, event.target_type, event.target_id,
        event.target_label, event.circle_id, circle_name, event.org_id, event.ip, event.user_agent,
        json.dumps(event.details, ensure_ascii=False))] for event, circle_name in q.iter_events(filters, org)]

    def generate():
        out = io.StringIO()
        writer = csv.writer(out)
        out.write("\ufeff")  # so spreadsheets read the file as UTF-8
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(row)
            if out.tell() > 64 * 1024:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    response = Response(generate(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/admin/audit.csv")
@admin_required
def site_log_csv():
    """The filtered site audit log as CSV (UTC times, one row per event)."""
    return _csv(None, "audit.csv")


@bp.route("/orgs/<int:org_id>/audit.csv")
@login_required
def org_log_csv(org_id: int):
    """The filtered audit log of an organization as CSV."""
    org = _audited_org(org_id)
    return _csv(org, f"audit-org-{org.id}.csv")
