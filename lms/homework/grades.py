"""What homework shows of grades, answered by the domain that grades: grading registers one
`GradeSource` at app start (lms/grading/__init__.py), so homework never imports grading
(DESIGN.md §2: grading → homework, never back). Without one, nothing is graded or released and an
assignment offers no rubrics, categories or grading pages."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Protocol

from flask import Flask, current_app

if TYPE_CHECKING:
    from lms.circles.models import Circle
    from lms.homework.models import Assignment

_EXTENSION = "lms_homework_grades"


class GradeFacts(Protocol):
    """What homework reads of a grade (the source's own grade objects are passed through as they are)."""

    score: float | None
    is_excused: bool
    released_at: datetime | None
    #: when the score (or the excuse) was last given
    graded_at: datetime | None
    #: the version that was graded (None: graded with nothing handed in)
    submission_id: int | None


class GradeSource:
    """Homework's questions about grades. This base answers them for a site where nothing grades;
    a grading domain subclasses it and registers the subclass."""

    def grades_by_student(self, assignment: Assignment) -> dict[int, GradeFacts]:
        """Every grade of the assignment (released or not, for staff pages), by student id; one query."""
        return {}

    def grade_of(self, assignment: Assignment, student_id: int) -> GradeFacts | None:
        """The student's grade of the assignment (released or not), or None; one query."""
        return None

    def released_grades(self, assignment_ids: Iterable[int], student_id: int) -> dict[int, GradeFacts]:
        """The student's released grades, by assignment id; one query."""
        return {}

    def rubric_choices(self, circle: Circle) -> list[tuple[int, str]]:
        """The rubrics an assignment of `circle` may use: (id, title), in the order to offer them."""
        return []

    def category_choices(self, circle: Circle) -> list[tuple[int, str]]:
        """The grade categories an assignment of `circle` may belong to: (id, name), in order."""
        return []

    def rubric_title(self, assignment: Assignment) -> str | None:
        """The title of the assignment's rubric, or None."""
        return None

    def rubric_points(self, circle: Circle) -> dict[int, float]:
        """What each rubric of `circle` is worth in total (the assignment form proposes it as the points)."""
        return {}

    def uncategorised_weight(self, circle: Circle) -> float | None:
        """The share (percent) of the weighted total that assignments with no category get, or None when
        `circle` weighs no categories (then every assignment counts by its points)."""
        return None

    def grading_url(self, assignment: Assignment, student_id: int | None = None) -> str | None:
        """Where staff grade the assignment (one student's work when `student_id` is given)."""
        return None

    def feedback_url(self, assignment: Assignment) -> str | None:
        """Where a student reads their released grade and feedback."""
        return None


_NOTHING_GRADES = GradeSource()


def register_grade_source(app: Flask, source: GradeSource) -> None:
    """Let `source` answer homework's questions about grades in `app` (one source per app)."""
    existing = app.extensions.get(_EXTENSION)
    if existing is not None and existing is not source:
        raise RuntimeError("a grade source is registered twice")
    app.extensions[_EXTENSION] = source


def grade_source() -> GradeSource:
    """The current app's source of grades (one that knows no grades when nothing registered)."""
    return current_app.extensions.get(_EXTENSION, _NOTHING_GRADES)


def has_new_version(latest_id: int | None, latest_at: datetime | None, *, is_graded: bool, is_excused: bool,
                    graded_id: int | None, graded_at: datetime | None) -> bool:
    """The one rule of "a new version to grade" (as Canvas marks work handed in again after grading
    "resubmitted"): the student has a grade (a score or an excuse) and their latest version arrived after it
    was last given. Derived from stored columns, on plain values so a page reading a whole class as columns
    (the gradebook) and one reading objects (SpeedGrader, StudentStatus) ask the same question; both times
    of one call must be alike (both aware, or both naive UTC).

    "Arrived after" is the latest version's receipt time after the grade's `graded_at`, or, for a score,
    the grade naming an older version than the latest (`graded_id`): a video's receipt time is its last
    byte's, up to HAND_IN_GRACE before the click that handed it in, so a version handed in just after the
    teacher graded can carry an earlier time. An excuse names no version, so only its time counts.
    The existing grade stays as it is until the teacher grades again."""
    if latest_id is None or not is_graded:
        return False
    if not is_excused and graded_id is not None and graded_id != latest_id:
        return True
    return graded_at is not None and latest_at is not None and latest_at > graded_at


def is_released(assignment: Assignment, student_id: int) -> bool:
    """Has the student's grade (and with it the teacher's feedback) been released?"""
    return assignment.id in grade_source().released_grades([assignment.id], student_id)
