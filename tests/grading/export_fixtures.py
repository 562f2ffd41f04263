"""The class the export tests share: the inputs of issue 8 that lost or misplaced grades."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest

from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db
from lms.grading import operations as grading_ops


@dataclass
class School:
    klass: object
    homework: object  #: "Homework 1 (1)", 10 points
    essay: object  #: "Essay (2)", 20 points
    review: object  #: "Final Grade review", 10 points
    ada: object  #: real name Ada Lovelace, number 00123
    ann: object  #: display name "Ann;=2+5", number 2023000100020003
    bo: object  #: no student number

    @property
    def circle(self):
        return self.klass.circle

    def url(self, **params) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"/circles/{self.circle.id}/grades/export?{query}"


@pytest.fixture
def school(klass, hw, grading, make) -> School:
    """Three assignments and three students, graded by the teacher, every grade released:

    |              | Homework 1 (1) /10 | Essay (2) /20 | Final Grade review /10 |
    | Ada 00123    | 6.25               | 15            | excused                |
    | Ann;=2+5 …03 | 8                  | (ungraded)    | 9                      |
    | Bo (no no.)  | 10                 | 20            | 10                     |
    """
    circle, teacher = klass.circle, klass.teacher
    homework = hw.assignment(circle, accepts="text", title="Homework 1 (1)", points=10)
    essay = hw.assignment(circle, accepts="text", title="Essay (2)", points=20)
    review = hw.assignment(circle, accepts="text", title="Final Grade review", points=10)
    bo = make.user("Bo Yang", "bo@school.example")
    circle_ops.add_member(circle, bo, Role.student, display_name="Bo Yang")
    db.session.commit()
    ada, ann = klass.student, klass.classmate
    circle_ops.update_identity(circle.membership_of(ada), display_name="Ada", real_name="Ada Lovelace",
                               student_no="00123")
    circle_ops.update_identity(circle.membership_of(ann), display_name="Ann;=2+5",
                               student_no="2023000100020003")
    db.session.commit()
    for student, scores in ((ada, (6.25, 15, None)), (ann, (8, None, 9)), (bo, (10, 20, 10))):
        for assignment, score in zip((homework, essay, review), scores):
            if score is not None:
                grading.grade(assignment, student, teacher, score=score)
    grading_ops.set_excused(review, ada, teacher)
    for assignment in (homework, essay, review):  # released, as grades sent to another system usually are
        grading_ops.release_grades(assignment, teacher)
    db.session.commit()
    return School(klass, homework, essay, review, ada, ann, bo)


def csv_text(response) -> str:
    """The body of a CSV download (checked: 200, text/csv, attachment, byte-order mark first)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff"), "no byte-order mark: Excel would misread non-ASCII names"
    return text


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(response)[1:], newline="")))
