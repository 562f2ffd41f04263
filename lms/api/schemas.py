"""The shapes of the API's responses (marshmallow): the views dump through them and the OpenAPI
document is generated from them, so the two cannot drift apart."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from lms.circles.models import CircleKind, Role


class CircleSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(CircleKind, by_value=True, required=True)
    is_archived = fields.Boolean(required=True)
    org_id = fields.Integer(allow_none=True, required=True)
    timezone = fields.String(allow_none=True, required=True, metadata={"description": _l("IANA zone; null: the site's")})
    member_count = fields.Integer(required=True)
    my_role = fields.Enum(Role, by_value=True, allow_none=True, required=True,
                          metadata={"description": _l("null for an admin who oversees the circle without a membership")})


class MemberSchema(Schema):
    membership_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    real_name = fields.String(allow_none=True, required=True)
    student_no = fields.String(allow_none=True, required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    joined_at = fields.DateTime(required=True)


class AssignmentSchema(Schema):
    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    title = fields.String(required=True)
    instructions_md = fields.String(required=True)
    accepts = fields.String(required=True)
    points = fields.Float(required=True)
    is_published = fields.Boolean(required=True)
    opens_at = fields.DateTime(allow_none=True, required=True)
    due_at = fields.DateTime(allow_none=True, required=True, metadata={"description": _l("before any extension")})
    closes_at = fields.DateTime(allow_none=True, required=True)
    late_policy = fields.String(required=True)


class StudentSchema(Schema):
    user_id = fields.Integer(required=True)
    display_name = fields.String(allow_none=True, required=True, metadata={"description": _l("as in the circle")})


class SubmissionSchema(Schema):
    id = fields.Integer(required=True)
    assignment_id = fields.Integer(required=True)
    student = fields.Nested(StudentSchema, required=True)
    version = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True, metadata={"description": _l("the server's receipt time")})
    is_late = fields.Boolean(required=True)
    days_late = fields.Integer(required=True)
    has_video = fields.Boolean(required=True)
    has_text = fields.Boolean(required=True)
    attachment_count = fields.Integer(required=True)


class GradeSchema(Schema):
    id = fields.Integer(required=True)
    assignment_id = fields.Integer(required=True)
    student = fields.Nested(StudentSchema, required=True)
    score = fields.Float(allow_none=True, required=True, metadata={"description": _l("before any late penalty")})
    penalty_percent = fields.Float(required=True)
    final_score = fields.Float(allow_none=True, required=True)
    points = fields.Float(required=True, metadata={"description": _l("the assignment's maximum")})
    is_excused = fields.Boolean(required=True)
    is_released = fields.Boolean(required=True)
    graded_at = fields.DateTime(allow_none=True, required=True)
    released_at = fields.DateTime(allow_none=True, required=True)


class GradebookColumnSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    points = fields.Float(required=True)


class GradebookCellSchema(Schema):
    assignment_id = fields.Integer(required=True)
    final_score = fields.Float(allow_none=True, required=True,
                               metadata={"description": _l("after any late penalty; null when it does not count")})
    is_graded = fields.Boolean(required=True)
    is_released = fields.Boolean(required=True)
    is_excused = fields.Boolean(required=True)
    is_submitted = fields.Boolean(required=True)
    is_late = fields.Boolean(required=True)
    is_missing = fields.Boolean(required=True)


class GradebookRowSchema(Schema):
    student = fields.Nested(StudentSchema, required=True)
    cells = fields.List(fields.Nested(GradebookCellSchema), required=True)
    points = fields.Float(required=True, metadata={"description": _l("the counted final scores added up")})
    possible = fields.Float(required=True)
    percent = fields.Float(allow_none=True, required=True)


class GradebookSchema(Schema):
    """A circle's gradebook: published assignments as columns, one row per student the reader may see."""

    circle_id = fields.Integer(required=True)
    assignments = fields.List(fields.Nested(GradebookColumnSchema), required=True)
    rows = fields.List(fields.Nested(GradebookRowSchema), required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)


def page_schema(item: type[Schema]) -> type[Schema]:
    """The envelope of a list: {"items": [...], "next_cursor": "..." | null}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(allow_none=True, required=True,
                                     metadata={"description": _l("pass as ?cursor= for the next page; null on the last")}),
    }, name=item.__name__.removesuffix("Schema") + "Page")
