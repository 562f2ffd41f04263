"""Helpers shared by the circle view modules: the join page and CSV downloads."""
from __future__ import annotations

import csv
import io

from flask import Response, render_template, url_for
from flask_login import current_user

from lms.circles.forms import IdentityForm, JoinForm
from lms.circles.models import Circle
from lms.circles.operations.errors import MemberBarred
from lms.core.spreadsheet import safe_text


def _identity_defaults(form: IdentityForm) -> None:
    if not form.is_submitted():
        form.display_name.data = current_user.name


def _join_page(circle: Circle, form: JoinForm | None = None, status: int = 200):
    """The page for joining `circle`; for a removed member, the page saying they were removed."""
    me = circle.membership_of(current_user)
    if me is not None and me.is_barred:
        return render_template("circles/barred.html", circle=circle, message=str(MemberBarred())), status
    form = form or JoinForm()
    _identity_defaults(form)
    return render_template("circles/join.html", circle=circle, form=form, me=me,
                           action=url_for("circles.join_circle", circle_id=circle.id)), status


def _csv_response(rows: list[list], filename: str) -> Response:
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read UTF-8 (Chinese names) correctly
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_csv_safe(cell) for cell in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    return response


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in user text (CSV injection), also after a separator (`Ann;=2+5`)."""
    return safe_text(value)
