"""The review queue's page issues a fixed number of queries, whatever it shows and of whatever kinds."""
from __future__ import annotations

from itertools import cycle

import pytest

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.extensions import db
from lms.moderation.models import Report, ReportKind, ReportReason
from tests.moderation.support import (make_checkin, make_checkin_comment, make_comment, make_post,
                                      make_video_comment, membership)


def _chat_message(circle, author):
    message = chat_ops.send_message(chat_ops.ensure_main_channel(circle), chat_q.reader_of(circle, author),
                                    body="a chat message")
    db.session.commit()
    return message


@pytest.fixture
def reported(klass, hw):
    """`reported(n)`: n things of the student's, of every kind in turn (post, comment, chat message, video
    comment, check-in, check-in comment, member profile), each reported once by the classmate."""
    circle, author = klass.circle, klass.student
    makers = cycle([
        (ReportKind.post, lambda: make_post(circle, author)),
        (ReportKind.comment, lambda: make_comment(circle, author)),
        (ReportKind.chat_message, lambda: _chat_message(circle, author)),
        (ReportKind.video_comment, lambda: make_video_comment(circle, author, hw)),
        (ReportKind.checkin, lambda: make_checkin(circle, author)),
        (ReportKind.checkin_comment, lambda: make_checkin_comment(circle, author)),
        (ReportKind.member, lambda: membership(circle, author)),
    ])
    made = 0

    def report(n):
        nonlocal made
        for _ in range(n):
            kind, make = next(makers)
            thing = make()
            # one profile only (a second report of it is the same item): other kinds repeat
            if kind == ReportKind.member and made >= 7:
                kind, thing = ReportKind.post, make_post(circle, author)
            db.session.add(Report(circle_id=circle.id, kind=kind, object_id=thing.id, author_id=author.id,
                                  reporter_id=klass.classmate.id, reason=ReportReason.spam))
            made += 1
        db.session.commit()
    return report


def test_the_queue_page_issues_the_same_queries_for_3_and_30_items_of_mixed_kinds(klass, reported, client_as,
                                                                                    count_queries):
    """Does the queue page ask the database a fixed number of times, one per kind of thing shown, however
    many things: 3 (of 3 kinds), 7 (one of each kind) and 30 (of every kind)?"""
    teacher = client_as(klass.teacher)
    counts = []
    for n in (3, 4, 23):
        reported(n)
        db.session.expire_all()
        with count_queries:
            page = teacher.get(f"/c/{klass.circle.id}/moderation")
        assert page.status_code == 200
        counts.append(count_queries.count)
    text = page.get_data(as_text=True)
    assert text.count('class="card moderation-item"') == 30
    for kind in ReportKind:
        assert f'data-kind="{kind.value}"' in text
    statements = count_queries.statements
    assert counts[1] == counts[2], "\n".join(statements)
    assert counts[1] - counts[0] <= len(ReportKind) - 3, counts  # at most a query for each kind added
