"""Mail headers: a title with line breaks never kills a mail job; it is folded onto one line."""
from __future__ import annotations

from email.header import decode_header, make_header

import pytest

from lms.core.inputs import header_value
from lms.core.mail import deliver
from lms.extensions import db


@pytest.mark.parametrize("raw, folded", [
    ("Essay\r\nBcc: all@example.org", "Essay Bcc: all@example.org"),
    ("a\nb\rc\u2028d\u2029e\x85f", "a b c d e f"),
    ("tab\tand\x00nul", "tab and nul"),
    ("Mus\u202eic", "Mus ic"),
    ("  plain  ", "plain"),
])
def test_header_value_folds_every_line_break(raw, folded):
    """Does every kind of line break and control character become one space?"""
    assert header_value(raw) == folded


def _subject(message) -> str:
    """The Subject as a reader sees it (encoded words decoded, RFC 5322 folding undone)."""
    return str(make_header(decode_header(message["Subject"])))


def test_deliver_sends_a_subject_with_line_breaks(app, mailbox):
    """Does the delivery task (also for jobs queued before the rule) send instead of raising?"""
    deliver("pat@example.org", "Your grade for “Essay\r\nBcc: all@example.org” is ready", "Body")
    [message] = mailbox.messages()
    assert _subject(message) == "Your grade for “Essay Bcc: all@example.org” is ready"
    assert message["Bcc"] is None


def test_grade_released_mail_for_a_title_with_a_line_break(klass, hw, grading, mailbox):
    """With an assignment title stored with CR/LF before titles were checked, does releasing a grade
    still mail the student, with the title on one line?"""
    assignment = hw.assignment(klass.circle, accepts="text", points=10, title="Essay")
    assignment.title = "Essay\r\nBcc: all@example.org"  # legacy data: the form and operation refuse it now
    db.session.commit()
    hw.submission(assignment, klass.student, text="essay")
    grading.grade(assignment, klass.student, klass.teacher, score=5, release=True)
    [message] = mailbox.to(klass.student.email)
    assert "Essay Bcc: all@example.org" in _subject(message)
    assert "\n" not in _subject(message) and message["Bcc"] is None
