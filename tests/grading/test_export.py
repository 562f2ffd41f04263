"""Gradebook CSV export for Canvas and Moodle: columns, values, byte-order mark, formula injection, who may."""
from __future__ import annotations

import csv
import io

import pytest

from lms.circles import operations as circle_ops
from lms.extensions import db
from lms.grading import operations as grading_ops
from tests.fixtures.homework import ago


@pytest.fixture
def exported(klass, hw, grading):
    """Two assignments; the student has 7.5 and a late 10 (−20 % → 8), the classmate is excused from the first.
    The student calls themself "=HYPERLINK(...)" and the second assignment's title starts with "+"."""
    first = hw.assignment(klass.circle, accepts="text", title="Scales, part 1", points=10)
    second = hw.assignment(klass.circle, accepts="text", title="+Arpeggios", points=10, due_at=ago(hours=30),
                           late_policy="penalty", late_penalty_per_day=10, late_penalty_cap=50)
    hw.submission(second, klass.student, text="late")
    grading.grade(first, klass.student, klass.teacher, score=7.5)
    grading.grade(second, klass.student, klass.teacher, score=10)
    grading_ops.set_excused(first, klass.classmate, klass.teacher)
    membership = klass.circle.membership_of(klass.student)
    circle_ops.update_identity(membership, display_name='=HYPERLINK("http://evil.example","x")',
                               real_name="Ada Lovelace", student_no="S-001")
    db.session.commit()
    return first, second


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff"), "no byte-order mark: Excel would misread non-ASCII names"
    return list(csv.reader(io.StringIO(text[1:])))


def test_canvas_format(klass, client_as, exported):
    """Does the Canvas file have Canvas's identity columns, "Title (id)" columns, points, final scores and EX?"""
    first, second = exported
    rows = _csv(client_as(klass.teacher).get(f"/circles/{klass.circle.id}/grades.csv?format=canvas"))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       f"'+Arpeggios ({second.id})", f"Scales, part 1 ({first.id})"]  # by due time
    assert rows[1] == ["    Points Possible", "", "", "", "", "10", "10"]
    body = {row[3]: row for row in rows[2:]}
    assert body[klass.student.email] == ["Ada Lovelace", "", "S-001", klass.student.email, klass.circle.name,
                                         "8", "7.5"]
    assert body[klass.classmate.email][5:] == ["", "EX"]
    assert len(rows) == 4


def test_moodle_format(klass, client_as, exported):
    """Does the Moodle file identify users by email, split the name, and name columns by title?"""
    rows = _csv(client_as(klass.owner).get(f"/circles/{klass.circle.id}/grades.csv?format=moodle"))
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "'+Arpeggios", "Scales, part 1"]
    body = {row[3]: row for row in rows[1:]}
    assert body[klass.student.email] == ["Ada", "Lovelace", "S-001", klass.student.email, "8", "7.5"]
    assert body[klass.classmate.email] == ["Classmate In", "Class", "", klass.classmate.email, "", ""]


def test_formulas_are_neutralised(klass, client_as, exported):
    """Does a name that a spreadsheet would run as a formula come out as text (apostrophe first)?"""
    membership = klass.circle.membership_of(klass.student)
    membership.real_name = None
    db.session.commit()
    rows = _csv(client_as(klass.teacher).get(f"/circles/{klass.circle.id}/grades.csv?format=canvas"))
    names = [row[0] for row in rows[2:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in names
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_unknown_format_is_refused(klass, client_as):
    """Is a format other than canvas or moodle refused with 400?"""
    assert client_as(klass.teacher).get(f"/circles/{klass.circle.id}/grades.csv?format=xlsx").status_code == 400


@pytest.mark.parametrize("role, status", [
    ("owner", 200), ("assistant", 200), ("admin", 200), ("student", 403), ("stranger", 404)])
def test_who_may_export(klass, client_as, role, status):
    """Only staff export the gradebook; students get 403, strangers 404."""
    response = client_as(getattr(klass, role)).get(f"/circles/{klass.circle.id}/grades.csv")
    assert response.status_code == status
