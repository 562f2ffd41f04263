"""The audit log's page and CSV for any scope of the log: the site's (lms/audit/routes.py) or an
organization's (lms/orgs/routes.py). There is no edit or delete view."""
from __future__ import annotations

import csv
import io
import json
import re

import sqlalchemy as sa
from flask import Response, render_template, request, url_for
from flask_babel import get_timezone

from lms.audit import queries as q
from lms.audit.details import detail_lines, names_for
from lms.audit.forms import AuditFilterForm
from lms.audit.queries import AuditFilter

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


class LogView:
    """Where a log page lives: its endpoint (the CSV's is the same with "_csv"), that endpoint's URL
    arguments, the events it shows (a condition on AuditEvent; None for every event) and what else its
    template shows (`org`: the organization whose log it is, or None)."""

    def __init__(self, endpoint: str, url_args: dict | None = None, scope: sa.ColumnElement[bool] | None = None,
                 **context):
        self.endpoint, self.url_args, self.scope = endpoint, url_args or {}, scope
        self.context = {"org": None, **context}

    def linker(self, filters: AuditFilter):
        """`link(**changes)`: this log's URL with the current filter, changed by `changes` (None drops
        an argument); `link(csv=True)` the CSV download of it."""

        def link(csv: bool = False, **changes) -> str:
            args = {k: v for k, v in {**filters.args(), **changes}.items() if v is not None}
            return url_for(self.endpoint + ("_csv" if csv else ""), **self.url_args, **args)

        return link


def log_page(view: LogView):
    """The log page of `view`, filtered by the query string (422 for a filter that does not validate)."""
    form, filters, valid = _filters()
    page = q.events_page(filters, request.args.get("page", 1, type=int), PER_PAGE, view.scope)
    return render_template("audit/log.html", form=form, filters=filters, page=page,
                           circles=q.circle_names(page.items), detail_lines=detail_lines,
                           names=names_for(page.items), link=view.linker(filters),
                           base=view.linker(AuditFilter())(), **view.context), (200 if valid else 422)


def safe_csv_cell(value) -> str:
    """Text that a spreadsheet shows and never evaluates, even where its list separator splits the cell."""
    text = "" if value is None else str(value)
    return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'{m.group(3)}", text)


def log_csv(view: LogView, filename: str) -> Response:
    """The filtered log of `view` as CSV (UTC times, one row per event); the page when the filter is invalid."""
    _form, filters, valid = _filters()
    if not valid:
        return log_page(view)

    # The rows are read now, while the request's session is open; only the CSV text is streamed.
    rows = [[safe_csv_cell(v) for v in (
        event.id, event.at.isoformat(), event.actor_id, event.actor_label, event.action, event.target_type, event.target_id,
        event.target_label, event.circle_id, circle_name, event.org_id, event.ip, event.user_agent,
        json.dumps(event.details, ensure_ascii=False))] for event, circle_name in q.iter_events(filters, view.scope)]

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
