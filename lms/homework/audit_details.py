"""How homework's audit events read on the log (lms/audit/registry.py): extensions, and the current
titles of assignments."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.registry import describe_details, register_names
from lms.extensions import db
from lms.homework.models import Assignment


def assignment_titles(ids: set[int]) -> dict[int, str]:
    """The current title of each assignment, in one query."""
    return dict(db.session.execute(sa.select(Assignment.id, Assignment.title).where(Assignment.id.in_(ids))).all())


def register(app: Flask) -> None:
    """Tell the audit log of `app` how homework's events read (called when the blueprint is registered)."""
    describe_details(
        app,
        labels={"assignment_id": _l("Assignment"), "assignment": _l("Assignment"), "student_id": _l("Student"),
                "student": _l("Student"), "due_at": _l("Due"), "closes_at": _l("Closes"), "reason": _l("Reason")},
    )
    register_names(app, "assignments", assignment_titles)
