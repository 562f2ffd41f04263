"""The hand-in form names its text for what it is: the answer of a text assignment, a note beside a video."""
from __future__ import annotations

import pytest

from lms.homework.models import Accepts
from tests.fixtures.app import page_text
from tests.fixtures.homework import later


@pytest.mark.parametrize("accepts, label, not_label", [
    (Accepts.text, "Your answer (Markdown)", "Note (Markdown, optional)"),
    (Accepts.video, "Note (Markdown, optional)", "Your answer"),
])
def test_the_text_box_is_labelled_by_what_the_assignment_asks(klass, hw, client_as, accepts, label, not_label):
    assignment = hw.assignment(klass.circle, accepts=accepts, due_at=later(days=1))
    text = page_text(client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))
    assert label in text and not_label not in text


@pytest.mark.parametrize("release", [True, False])
def test_a_late_new_version_after_a_released_grade_is_announced(klass, hw, grading, client_as, release):
    """Past the due time, with a grade they can see for the version they handed in on time, is the student told
    that a new version would arrive late and be graded again (and not told of a grade still hidden)?"""
    from tests.fixtures.homework import ago

    assignment = hw.assignment(klass.circle, accepts=Accepts.text, due_at=ago(days=1), points=10)
    hw.submission(assignment, klass.student, text="On time", now=ago(days=2))
    grading.grade(assignment, klass.student, klass.teacher, score=9, release=release)
    text = page_text(client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))
    assert ("A new version now arrives after the due time: it counts as late" in text) is release
