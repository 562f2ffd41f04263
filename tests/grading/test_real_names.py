"""The pages a teacher grades and takes attendance on name each student by their name in the class and, where
the class has it, their real name: the teacher knows whose work it is ("Kiki" is 黄诗琪)."""
from __future__ import annotations

from lms.circles import operations as circle_ops
from lms.extensions import db
from tests.fixtures.app import page_text
from tests.fixtures.homework import later
from tests.live.core_support import held


def _named(klass):
    membership = klass.circle.membership_of(klass.student)
    circle_ops.update_identity(membership, display_name="Kiki", real_name="黄诗琪", actor=klass.owner)
    db.session.commit()


def test_the_gradebook_and_speedgrader_show_the_real_name(klass, hw, client_as):
    _named(klass)
    assignment = hw.assignment(klass.circle, due_at=later(days=1))
    hw.submission(assignment, klass.student, media=hw.media(klass.student))
    teacher = client_as(klass.teacher)
    book = page_text(teacher.get(f"/circles/{klass.circle.id}/grades"))
    assert "Kiki 黄诗琪" in book
    grader = teacher.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/grade/{klass.student.id}")
    html = grader.get_data(as_text=True)
    assert 'class="sg-name">Kiki<span class="muted"> (黄诗琪)</span>' in html
    assert "Kiki (黄诗琪) — " in page_text(grader)


def test_attendance_across_lessons_shows_the_real_name(klass, client_as):
    _named(klass)
    held(klass.circle, klass.teacher)
    assert "Kiki (黄诗琪)" in page_text(client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/attendance"))


def test_a_student_sees_no_real_name_of_a_classmate(klass, hw, client_as):
    _named(klass)
    hw.assignment(klass.circle, due_at=later(days=1))
    assert "黄诗琪" not in page_text(client_as(klass.classmate).get(f"/circles/{klass.circle.id}/grades"))


def test_the_assignments_student_list_and_a_students_attendance_show_the_real_name(klass, hw, client_as):
    _named(klass)
    assignment = hw.assignment(klass.circle, due_at=later(days=1))
    teacher = client_as(klass.teacher)
    assert "Kiki (黄诗琪)" in page_text(teacher.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))
    record = page_text(teacher.get(f"/c/{klass.circle.id}/live/attendance/{klass.student.id}"))
    assert "Attendance of Kiki (黄诗琪)" in record
