"""Audit log pages for site admins and organization admins. There is no edit or delete view."""
from __future__ import annotations

import csv
import io
import json
import re

from flask import Response, render_template, request, url_for
from flask_babel import get_timezone
from flask_login import current_user, login_required

from lms.audit import bp
from lms.audit import queries as q
from lms.audit.details import detail_lines, names_for
from lms.audit.forms import AuditFilterForm
from lms.audit.queries import AuditFilter
from lms.core.permissions import admin_required, require
from lms.orgs.models import Organization
from lms.orgs.queries import get_org_or_404

PER_PAGE = 50
CSV_COLUMNS = ("id", "time_utc", "actor_id", "actor", "action", "target_type", "target_id", "target", "circle_id",
               "circle", "org_id", "ip", "user_agent", "details")
#: A spreadsheet runs a cell (or the part after a separator it splits on: , ; tab |) that starts with one of these.
_FORMULA = re.compile(r"(^|[,;\t|\r\n])(\s*)([=+\-@])")


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
                           names=names_for(page.items),
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
