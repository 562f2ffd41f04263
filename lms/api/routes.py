"""/api/v1 views: parse, scoped lookup (404 outside the circle), the pages' predicate (403), one read.
Errors are problem details (lms/core/errors.py); the OpenAPI document and its docs page are public."""
from __future__ import annotations

from flask import g, jsonify, render_template, url_for
from flask_babel import lazy_gettext as _l

from lms.api import bp
from lms.api.auth import api_view
from lms.api.models import Scope
from lms.api.pagination import page, page_args
from lms.api.queries import assignments_page, grades_page, my_memberships_page, roster_page, submissions_page
from lms.api.schemas import AssignmentSchema, CircleSchema, GradeSchema, MemberSchema, SubmissionSchema
from lms.api.spec import build_spec
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.extensions import csrf
from lms.homework.queries import get_assignment_or_404

csrf.exempt(bp)  # tokens, not cookies: nothing for a cross-site form to ride on


@bp.after_request
def _api_headers(response):
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="circles"'
    response.vary.update(("Authorization", "Accept-Language"))
    return response


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
    found = get_circle_or_404(circle_id, g.api_user)
    return jsonify(CircleSchema().dump(_circle(found)))


@bp.route("/circles/<int:circle_id>/members")
@api_view(summary=_l("A circle's roster (staff only)"), scope=Scope.roster_read, schema=MemberSchema, many=True,
          description=_l("Each person's identity in the circle: the name everyone sees, real name, "
                         "student number and role."))
def members(circle_id: int):
    found = get_circle_or_404(circle_id, g.api_user)
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
    found = get_circle_or_404(circle_id, g.api_user)
    after, limit = page_args()
    return _page(AssignmentSchema, assignments_page(found, g.api_user, after, limit), limit, _assignment)


@bp.route("/circles/<int:circle_id>/assignments/<int:assignment_id>")
@api_view(summary=_l("One assignment"), scope=Scope.assignments_read, schema=AssignmentSchema)
def assignment(circle_id: int, assignment_id: int):
    found = get_assignment_or_404(get_circle_or_404(circle_id, g.api_user), assignment_id, g.api_user)
    return jsonify(AssignmentSchema().dump(_assignment(found)))


@bp.route("/circles/<int:circle_id>/assignments/<int:assignment_id>/submissions")
@api_view(summary=_l("Submission details of an assignment"), scope=Scope.submissions_read,
          schema=SubmissionSchema, many=True,
          description=_l("Staff: every version of every student. Students: their own versions. "
                         "Details only: no videos, files or their addresses."))
def submissions(circle_id: int, assignment_id: int):
    found = get_assignment_or_404(get_circle_or_404(circle_id, g.api_user), assignment_id, g.api_user)
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
    found = get_assignment_or_404(get_circle_or_404(circle_id, g.api_user), assignment_id, g.api_user)
    after, limit = page_args()
    rows, members = grades_page(found, g.api_user, after, limit)
    return _page(GradeSchema, rows, limit, lambda gr: {
        "id": gr.id, "assignment_id": gr.assignment_id, "student": _student(gr.student_id, members),
        "score": gr.score, "penalty_percent": gr.penalty_percent, "final_score": gr.final_score,
        "points": found.points, "is_excused": gr.is_excused, "is_released": gr.is_released,
        "graded_at": gr.graded_at, "released_at": gr.released_at})


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, generated from these views (public: it holds no data)."""
    return jsonify(build_spec())


@bp.route("/docs")
def docs():
    """Swagger UI, from static/vendor/swagger-ui, started by static/js/api/docs.js (no inline script)."""
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))
