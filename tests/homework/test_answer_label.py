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
