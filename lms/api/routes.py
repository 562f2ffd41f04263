"""/api/v1 views: parse, scoped lookup (404 outside the circle), the pages' predicate (403), one read.
Errors are problem details (lms/core/errors.py); the OpenAPI document and its docs page are public."""
from __future__ import annotations

import json

from flask import abort, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from lms.api import bp
from lms.api.auth import api_view
from lms.api.models import Scope
from lms.api.pagination import page, page_args
from lms.api.queries import assignments_page, grades_page, my_memberships_page, roster_page, submissions_page
from lms.api.schemas import (AssignmentSchema, CircleSchema, GradebookSchema, GradeSchema, MemberSchema,
                             SubmissionSchema)
from lms.api.spec import build_spec
from lms.circles.models import CircleKind
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.extensions import csrf
from lms.grading.gradebook import build_gradebook
from lms.homework.queries import get_assignment_or_404, is_circle_staff

csrf.exempt(bp)  # tokens, not cookies: nothing for a cross-site form to ride on


def _titles() -> dict[int, str]:
    """The problem titles: the statuses' standard phrases, in the reader's language (RFC 9457 lets the
    title be localised)."""
    return {400: _("Bad Request"), 401: _("Unauthorized"), 403: _("Forbidden"), 404: _("Not Found"),
            405: _("Method Not Allowed"), 409: _("Conflict"), 429: _("Too Many Requests"),
            500: _("Internal Server Error")}


def _not_found_detail(kind: str | None) -> str | None:
    """What a 404 says when the view knows which kind of resource it looked up (not the pages' "page")."""
    return {"circle": _("There is no such circle, or you cannot see it."),
            "assignment": _("There is no such assignment in this circle, or you cannot see it.")}.get(kind or "")


def _lookup(kind: str):
    """Note which kind of resource the view looks up next, for the 404's detail."""
    g.api_resource = kind


def _circle_or_404(circle_id: int):
    _lookup("circle")
    return get_circle_or_404(circle_id, g.api_user)


def _assignment_or_404(circle_id: int, assignment_id: int):
    found = _circle_or_404(circle_id)
    _lookup("assignment")
    return get_assignment_or_404(found, assignment_id, g.api_user)


@bp.after_request
def _api_headers(response):
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="circles"'
    response.vary.update(("Authorization", "Accept-Language"))
    return response


@bp.after_app_request
def _api_problems(response):
    """Every problem under /api/v1, an address no view answers included (no blueprint runs for it)."""
    if response.mimetype == "application/problem+json" and request.path.startswith(bp.url_prefix + "/"):
        _localise_problem(response)
    return response


def _localise_problem(response) -> None:
    """The problem's title in the reader's language (Accept-Language, or the token owner's profile), and a
    404's detail naming what was not found."""
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return
    body["title"] = _titles().get(response.status_code, body.get("title"))
    if response.status_code == 404:
        generic = body.get("detail") == _("This page does not exist, or you do not have access to it.")
        body["detail"] = (_not_found_detail(g.get("api_resource")) if generic or g.get("api_resource") else None) \
            or (_("There is no such resource here.") if generic else body.get("detail"))
    response.set_data(json.dumps(body))


def _page(schema, rows, limit, item):
    rows, cursor = page(rows, limit)
    return jsonify(items=schema(many=True).dump([item(r) for r in rows]), next_cursor=cursor)


def _circle(circle, membership=None) -> dict:
    role = membership.role if membership is not None else circle.active_role(g.api_user)
    return {"id": circle.id, "name": circle.name, "kind": circle.kind, "is_archived": circle.is_archived,
            "org_id": circle.org_id, "timezone": circle.timezone, "member_count": circle.member_count,
            "my_role": role}


def _student(user_id: int, members: dict) -> dict:
    member = members.get(user_id)
    return {"user_id": user_id, "display_name": member.display_name if member else None}


@bp.route("/circles")
@api_view(summary=_l("Circles you belong to"), scope=Scope.circles_read, schema=CircleSchema, many=True,
          errors=(401, 403))
def circles():
    after, limit = page_args()
    rows = my_memberships_page(g.api_user, after, limit)
    rows, cursor = page(rows, limit, key=lambda row: row[1].id)
    return jsonify(items=CircleSchema(many=True).dump([_circle(c, m) for c, m in rows]), next_cursor=cursor)


@bp.route("/circles/<int:circle_id>")
@api_view(summary=_l("One circle"), scope=Scope.circles_read, schema=CircleSchema)
def circle(circle_id: int):
    found = _circle_or_404(circle_id)
    return jsonify(CircleSchema().dump(_circle(found)))


@bp.route("/circles/<int:circle_id>/members")
@api_view(summary=_l("A circle's roster (staff only)"), scope=Scope.roster_read, schema=MemberSchema, many=True,
          description=_l("Each person's identity in the circle: the name everyone sees, real name, "
                         "student number and role."))
def members(circle_id: int):
    found = _circle_or_404(circle_id)
    require(found.can_manage_members(g.api_user))
    after, limit = page_args()
    return _page(MemberSchema, roster_page(found, after, limit), limit, lambda m: {
        "membership_id": m.id, "user_id": m.user_id, "display_name": m.display_name, "real_name": m.real_name,
        "student_no": m.student_no, "role": m.role, "joined_at": m.joined_at})


def _assignment(a) -> dict:
    return {"id": a.id, "circle_id": a.circle_id, "title": a.title, "instructions_md": a.instructions_md,
            "accepts": str(a.accepts), "points": a.points, "is_published": a.is_published, "opens_at": a.opens_at,
            "due_at": a.due_at, "closes_at": a.closes_at, "late_policy": str(a.late_policy)}


@bp.route("/circles/<int:circle_id>/assignments")
@api_view(summary=_l("A circle's assignments"), scope=Scope.assignments_read, schema=AssignmentSchema, many=True,
          description=_l("Drafts are listed for the circle's staff only."))
def assignments(circle_id: int):
    found = _circle_or_404(circle_id)
    after, limit = page_args()
    return _page(AssignmentSchema, assignments_page(found, g.api_user, after, limit), limit, _assignment)


@bp.route("/circles/<int:circle_id>/assignments/<int:assignment_id>")
@api_view(summary=_l("One assignment"), scope=Scope.assignments_read, schema=AssignmentSchema)
def assignment(circle_id: int, assignment_id: int):
    found = _assignment_or_404(circle_id, assignment_id)
    return jsonify(AssignmentSchema().dump(_assignment(found)))


@bp.route("/circles/<int:circle_id>/assignments/<int:assignment_id>/submissions")
@api_view(summary=_l("Submission details of an assignment"), scope=Scope.submissions_read,
          schema=SubmissionSchema, many=True,
          description=_l("Staff: every version of every student. Students: their own versions. "
                         "Details only: no videos, files or their addresses."))
def submissions(circle_id: int, assignment_id: int):
    found = _assignment_or_404(circle_id, assignment_id)
    after, limit = page_args()
    rows, members = submissions_page(found, g.api_user, after, limit)

    def item(s):
        late = s.lateness
        return {"id": s.id, "assignment_id": s.assignment_id, "student": _student(s.student_id, members),
                "version": s.version, "submitted_at": s.submitted_at, "is_late": late.is_late,
                "days_late": late.days_late, "has_video": s.media_id is not None, "has_text": bool(s.text),
                "attachment_count": len(s.files)}

    return _page(SubmissionSchema, rows, limit, item)


@bp.route("/circles/<int:circle_id>/assignments/<int:assignment_id>/grades")
@api_view(summary=_l("Grades of an assignment"), scope=Scope.grades_read, schema=GradeSchema, many=True,
          description=_l("Staff: every grade, released or not. Students: their own grade once released."))
def grades(circle_id: int, assignment_id: int):
    found = _assignment_or_404(circle_id, assignment_id)
    after, limit = page_args()
    rows, members = grades_page(found, g.api_user, after, limit)
    return _page(GradeSchema, rows, limit, lambda gr: {
        "id": gr.id, "assignment_id": gr.assignment_id, "student": _student(gr.student_id, members),
        "score": gr.score, "penalty_percent": gr.penalty_percent, "final_score": gr.final_score,
        "points": found.points, "is_excused": gr.is_excused, "is_released": gr.is_released,
        "graded_at": gr.graded_at, "released_at": gr.released_at})


@bp.route("/circles/<int:circle_id>/gradebook")
@api_view(summary=_l("A circle's gradebook"), scope=Scope.grades_read, schema=GradebookSchema,
          description=_l("The published assignments and each student's standing, as the gradebook page shows them: "
                         "staff every student and grade; a student their own row with released grades only. "
                         "Teaching circles only."))
def gradebook(circle_id: int):
    found = _circle_or_404(circle_id)
    if found.kind != CircleKind.teaching:
        abort(404)  # no grades in community and internal circles
    book = build_gradebook(found, g.api_user, staff=is_circle_staff(found, g.api_user))
    rows = [{"student": {"user_id": row.learner.user_id, "display_name": row.learner.display_name},
             "points": row.points, "possible": row.possible, "percent": row.percent,
             "cells": [{"assignment_id": cell.assignment_id, "final_score": cell.score, "is_graded": cell.graded,
                        "is_released": cell.released, "is_excused": cell.excused, "is_submitted": cell.submitted,
                        "is_late": cell.late, "is_missing": cell.missing} for cell in row.cells]}
            for row in book.rows]
    return jsonify(GradebookSchema().dump({
        "circle_id": found.id, "rows": rows,
        "assignments": [{"id": a.id, "title": a.title, "points": a.points} for a in book.assignments]}))


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, generated from these views (public: it holds no data)."""
    return jsonify(build_spec())


@bp.route("/docs")
def docs():
    """Swagger UI, from static/vendor/swagger-ui, started by static/js/api/docs.js (no inline script)."""
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))
