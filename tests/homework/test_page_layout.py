"""The assignment page's head: no empty button row (it left a tall gap under the title for students)."""
from __future__ import annotations

import re

from lms.extensions import db


def _head(html: str) -> str:
    return re.search(r'<div class="page-head">(.*?)</div>', html, flags=re.S).group(1)


def test_students_page_head_has_no_empty_row(klass, hw, client_as):
    """A student with nothing to press under the title: is there no (empty) row paragraph, while the teacher's
    page keeps its row of buttons?"""
    assignment = hw.assignment(klass.circle, accepts="text", title="Scales")
    db.session.commit()
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    student_head = _head(client_as(klass.student).get(url).get_data(as_text=True))
    assert 'class="row"' not in student_head
    teacher_head = _head(client_as(klass.teacher).get(url).get_data(as_text=True))
    row = re.search(r'<p class="row">(.*?)</p>', teacher_head, flags=re.S).group(1)
    assert ">Edit</a>" in row
