"""Homework learns about grades only from the grade source grading registers (lms/homework/grades.py):
grading → homework, never back (DESIGN.md §2)."""
from __future__ import annotations

import re
from pathlib import Path

from lms.extensions import db
from lms.grading.grade_source import SOURCE
from lms.homework.grades import GradeSource, grade_source
from lms.homework.models import Accepts, Assignment

ROOT = Path(__file__).resolve().parents[2]
#: What would tie homework to grading: its package, its endpoints, its model classes by name.
GRADING_NAMES = re.compile(r"lms\.grading|['\"]grading\.\w+['\"]|relationship\(\s*['\"](Rubric|Grade\w*)['\"]")


def test_homework_names_nothing_of_grading():
    """Does no homework module or template import grading, name its endpoints or map its classes?"""
    files = [*(ROOT / "lms" / "homework").rglob("*.py"), *(ROOT / "templates" / "homework").rglob("*.html")]
    found = [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in files
             for m in GRADING_NAMES.finditer(path.read_text())]
    assert found == []


def test_grading_registers_the_grade_source(app):
    """Is grading's source the one homework asks in the app (and a plain GradeSource one)?"""
    assert grade_source() is SOURCE and isinstance(SOURCE, GradeSource)


def test_rubric_and_category_are_offered_checked_and_shown_through_the_source(klass, hw, grading, client_as):
    """Does the assignment form offer this circle's rubrics and categories, refuse another circle's,
    and show the chosen rubric on the assignment page (grading answers; homework only asks)?"""
    rubric = grading.rubric(klass.circle, klass.owner, title="Stage presence")
    category = grading.category(klass.circle, klass.owner, "Performances", 40)
    foreign = grading.rubric(make_circle(klass), klass.stranger, title="Elsewhere")
    assignment = hw.assignment(klass.circle, accepts=Accepts.text)
    edit = f"/circles/{klass.circle.id}/assignments/{assignment.id}/edit"
    teacher = client_as(klass.teacher)
    form = teacher.get(edit).get_data(as_text=True)
    assert "Stage presence" in form and "Performances" in form and "Elsewhere" not in form
    data = {"title": "Duet", "accepts": "text", "late_policy": "accept", "points": "20",
            "category_id": str(category.id), "peer_visibility": "hidden", "status": "published",
            "late_penalty_cap": "100"}
    assert teacher.post(edit, data=data | {"rubric_id": str(foreign.id)}).status_code == 422
    assert teacher.post(edit, data=data | {"rubric_id": str(rubric.id)}).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Assignment, assignment.id)
    assert (saved.rubric.title, saved.category.name) == ("Stage presence", "Performances")
    page = client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}")
    assert "Rubric: Stage presence" in page.get_data(as_text=True)


def make_circle(klass):
    from lms.circles import operations as circle_ops

    circle = circle_ops.create_circle(klass.stranger, "Another class")
    db.session.commit()
    return circle


def test_the_assignment_page_links_to_grading_through_the_source(klass, hw, client_as):
    """Does the teacher's assignment page carry the SpeedGrader link the grade source gives, and the
    student's page no such link?"""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text)
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    link = f"/circles/{klass.circle.id}/assignments/{assignment.id}/grade"
    assert f'href="{link}"' in client_as(klass.teacher).get(url).get_data(as_text=True)
    assert f'href="{link}"' not in client_as(klass.student).get(url).get_data(as_text=True)
