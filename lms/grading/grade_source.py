"""Grading's answers to homework's questions about grades (lms/homework/grades.py), registered when
grading's blueprint is: the assignment pages show statuses, rubrics and links without importing grading."""
from __future__ import annotations

from typing import Iterable

from lms.circles.models import Circle
from lms.core.urls import path_for
from lms.extensions import db
from lms.grading.gradebook import uncategorised_weight
from lms.grading.models import Grade, GradeCategory, Rubric
from lms.grading.queries import categories, rubrics
from lms.homework.grades import GradeSource
from lms.homework.models import Assignment


class GradingSource(GradeSource):
    def grades_by_student(self, assignment: Assignment) -> dict[int, Grade]:
        return {g.student_id: g for g in db.session.scalars(db.select(Grade).where(Grade.assignment_id == assignment.id))}

    def grade_of(self, assignment: Assignment, student_id: int) -> Grade | None:
        return db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment.id,
                                                        Grade.student_id == student_id))

    def released_grades(self, assignment_ids: Iterable[int], student_id: int) -> dict[int, Grade]:
        ids = list(assignment_ids)
        if not ids:
            return {}
        rows = db.session.scalars(db.select(Grade).where(Grade.assignment_id.in_(ids), Grade.student_id == student_id,
                                                         Grade.released_at.is_not(None)))
        return {g.assignment_id: g for g in rows}

    def rubric_choices(self, circle: Circle) -> list[tuple[int, str]]:
        rows = db.session.execute(db.select(Rubric.id, Rubric.title).where(Rubric.circle_id == circle.id)
                                  .order_by(Rubric.title))
        return [(row.id, row.title) for row in rows]

    def category_choices(self, circle: Circle) -> list[tuple[int, str]]:
        rows = db.session.execute(db.select(GradeCategory.id, GradeCategory.name)
                                  .where(GradeCategory.circle_id == circle.id)
                                  .order_by(GradeCategory.position, GradeCategory.name))
        return [(row.id, row.name) for row in rows]

    def rubric_title(self, assignment: Assignment) -> str | None:
        return assignment.rubric.title if assignment.rubric is not None else None

    def rubric_points(self, circle: Circle) -> dict[int, float]:
        return {r.id: r.points for r in rubrics(circle)}

    def uncategorised_weight(self, circle: Circle) -> float | None:
        found = categories(circle)
        return uncategorised_weight(found) if found else None

    def grading_url(self, assignment: Assignment, student_id: int | None = None) -> str:
        target = {"student_id": student_id} if student_id is not None else {}
        return path_for("grading.speedgrader", circle_id=assignment.circle_id, assignment_id=assignment.id, **target)

    def feedback_url(self, assignment: Assignment) -> str:
        return path_for("grading.feedback", circle_id=assignment.circle_id, assignment_id=assignment.id)


SOURCE = GradingSource()
