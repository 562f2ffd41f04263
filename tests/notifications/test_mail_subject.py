"""A mail's Subject decodes back exactly: spaces at encoded-word boundaries, CJK, emoji, long titles."""
from __future__ import annotations

import email
from email import policy
from email.header import decode_header, make_header

import pytest

from lms.core.mail import deliver

TITLES = [
    'Notice “A title with "quotes" & amp”',
    '老师发布了必读公告“测试 "quotes" & amp”',
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \"quotes\" é a “x” & amp “x” Field 公告 &",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx trip test test “x” é trip 老师 & test \"quotes\" é é — trip",
    "Field trip 😀 & amp 🎉 " * 6,
    "期末考试安排：请所有同学在 12 月 2 日 上午 9:21 前阅读并确认 " * 4,
    "é " + "word " * 40 + "end",
    "A plain ASCII title that is long enough to be folded by the mail policy onto a second line, & amp",
]


@pytest.mark.parametrize("title", TITLES)
def test_the_subject_decodes_back_exactly(app, mailbox, title):
    title = " ".join(title.split())  # header_value's one-line form
    with app.app_context():
        deliver("ann@example.com", title, "body")
    [path] = list(mailbox.folder.glob("*.eml"))
    raw = path.read_bytes()
    assert all(len(line) <= 78 for line in raw.split(b"\n"))
    assert email.message_from_bytes(raw, policy=policy.default)["Subject"] == title
    folded = email.message_from_bytes(raw, policy=policy.compat32)["Subject"]
    unfolded = folded.replace("\r\n ", " ").replace("\n ", " ")
    assert str(make_header(decode_header(unfolded))) == title
