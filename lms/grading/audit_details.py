"""How grading's audit events read on the log (lms/audit/registry.py): grades, releases, exports, and
the current names of rubric criteria."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.registry import describe_details, register_names
from lms.extensions import db
from lms.grading.exports.options import BLANK_LABELS, FORMAT_LABELS, MATCH_LABELS, SCALE_LABELS
from lms.grading.models import Criterion


def criterion_titles(ids: set[int]) -> dict[int, str]:
    """The current title of each rubric criterion, in one query."""
    return dict(db.session.execute(sa.select(Criterion.id, Criterion.title).where(Criterion.id.in_(ids))).all())


def register(app: Flask) -> None:
    """Tell the audit log of `app` how grading's events read (called when the blueprint is registered)."""
    describe_details(
        app,
        labels={
            "score": _l("Score"), "penalty_percent": _l("Late penalty %"), "excused": _l("Excused"),
            "criterion_scores": _l("Rubric scores"), "released": _l("Released"), "count": _l("Students"),
            "via": _l("How"), "feedback_changed": _l("Feedback changed"), "assignment_id": _l("Assignment"),
            "assignment": _l("Assignment"), "student_id": _l("Student"), "student": _l("Student"),
            "grades": _l("Grades"), "format": _l("Format"), "blanks": _l("Blank grades"), "match": _l("Matched by"),
            "scale": _l("Scale"), "released_only": _l("Released grades only"), "students": _l("Students"),
            "assignments": _l("Assignments"), "with_canvas_export": _l("With Canvas's export"),
        },
        # how a grade was set (`via` of a grade change)
        words={"via": {"graded": _l("Graded"), "regrade_resolved": _l("Regrade request answered")},
               "format": FORMAT_LABELS, "blanks": BLANK_LABELS, "match": MATCH_LABELS, "scale": SCALE_LABELS},
    )
    register_names(app, "criteria", criterion_titles)
