"""Grading: rubrics, grades with history and release, regrade requests, the gradebook and its export."""
from flask import Blueprint

bp = Blueprint("grading", __name__)


@bp.record_once
def _register_with_audit(state) -> None:
    """How grading's events read on the audit log."""
    from lms.grading import audit_details

    audit_details.register(state.app)


@bp.record_once
def _register_grade_source(state) -> None:
    """Homework's pages learn about grades (statuses, rubrics, links) from grading, never importing it."""
    from lms.grading.grade_source import SOURCE
    from lms.homework.grades import register_grade_source

    register_grade_source(state.app, SOURCE)
