"""The queue's order, the reports' age, the response-time figures and the escalation of reports that wait."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lms.extensions import db
from lms.moderation import operations as ops
from lms.moderation import queries as q
from lms.moderation import tasks
from lms.moderation.models import ActionKind, Report, ReportKind, ReportReason, ReportState
from tests.fixtures.app import page_text
from tests.moderation.support import make_post, notifications_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def _report(circle, post, reporter, at):
    report = Report(circle_id=circle.id, kind=ReportKind.post, object_id=post.id, author_id=post.author_id,
                    reporter_id=reporter.id, reason=ReportReason.spam, created_at=at)
    db.session.add(report)
    db.session.commit()
    return report


@pytest.fixture
def three(klass, make):
    """Three posts: A reported once at 9:00, B twice (9:10 and 9:20), C once at 9:30."""
    extra = [make.member(klass.circle).user for _ in range(2)]
    a = make_post(klass.circle, klass.student, "post A")
    b = make_post(klass.circle, klass.student, "post B")
    c = make_post(klass.circle, klass.student, "post C")
    _report(klass.circle, a, klass.classmate, T0)
    _report(klass.circle, b, klass.classmate, T0 + timedelta(minutes=10))
    _report(klass.circle, b, extra[0], T0 + timedelta(minutes=20))
    _report(klass.circle, c, extra[1], T0 + timedelta(minutes=30))
    return a, b, c


def _ids(sort, circle):
    return [i.object_id for i in q.queue([circle.id], sort=sort).items]


def test_newest_most_reported_and_oldest_orders(klass, three):
    a, b, c = three
    assert _ids("newest", klass.circle) == [c.id, b.id, a.id]
    assert _ids("most", klass.circle) == [b.id, c.id, a.id]
    assert _ids("oldest", klass.circle) == [a.id, b.id, c.id]
    [item] = [i for i in q.queue([klass.circle.id]).items if i.object_id == b.id]
    assert item.count == 2 and item.age(T0 + timedelta(hours=1)) == timedelta(minutes=50)
    assert item.author.display_name == "Student In Class"  # the author by their circle identity


def test_the_queue_page_shows_age_context_and_sorts(klass, three, client_as):
    a, b, _c = three
    page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/moderation?sort=most")
    assert page.status_code == 200
    text = page_text(page)
    assert text.index("post B") < text.index("post A")
    assert "2 reports" in text and "waiting" in text and "Student In Class" in text
    assert f"/circles/{klass.circle.id}/feed/{b.id}" in page.get_data(as_text=True)


def test_response_time_median_and_95th_percentile(klass, make):
    """Twenty reports answered after 1..20 minutes: is the median 10 minutes and the 95th percentile 19 (nearest
    rank), and is a report answered 31 days ago left out?"""
    now = T0 + timedelta(days=1)
    for minutes in range(1, 21):
        post = make_post(klass.circle, klass.student, f"p{minutes}")
        r = _report(klass.circle, post, klass.classmate, now - timedelta(hours=2))
        r.state, r.resolved_at, r.response_seconds = ReportState.actioned, now - timedelta(hours=1), minutes * 60
    old = _report(klass.circle, make_post(klass.circle, klass.student, "old"), klass.classmate,
                  now - timedelta(days=40))
    old.state, old.resolved_at, old.response_seconds = ReportState.actioned, now - timedelta(days=31), 999999
    db.session.commit()
    figures = q.figures([klass.circle.id], now=now)
    assert figures.count == 20
    assert figures.median_seconds == 10 * 60
    assert figures.p95_seconds == 19 * 60
    assert figures.waiting == 0


def test_acting_keeps_the_time_to_first_action(klass, client_as, monkeypatch):
    post = make_post(klass.circle, klass.student)
    _report(klass.circle, post, klass.classmate, T0)
    monkeypatch.setattr(ops, "utcnow", lambda: T0 + timedelta(minutes=7))
    ops.act(klass.circle, ReportKind.post, post.id, ActionKind.dismiss, klass.teacher, "")
    db.session.commit()
    report = db.session.scalar(db.select(Report))
    assert report.response_seconds == 7 * 60
    assert q.figures([klass.circle.id], now=T0 + timedelta(hours=1)).median_seconds == 7 * 60


def test_admins_are_reminded_once_after_the_set_time(klass, app, monkeypatch):
    """With MODERATION_ESCALATE_MINUTES at 30: nothing at 29 minutes; the staff reminded (by mail too) at 31
    minutes by the periodic job; not again at 90."""
    monkeypatch.setitem(app.config, "MODERATION_ESCALATE_MINUTES", 30)
    post = make_post(klass.circle, klass.student, "waiting post")
    _report(klass.circle, post, klass.classmate, T0)
    for minutes, expected in ((29, 0), (31, 1), (90, 1)):
        monkeypatch.setattr(ops, "utcnow", lambda m=minutes: T0 + timedelta(minutes=m))
        tasks.escalate_reports()
        assert len(notifications_of(klass.teacher, "moderation_escalation")) == expected, minutes
    [reminder] = notifications_of(klass.owner, "moderation_escalation")
    assert reminder.params["minutes"] == "30" and "waiting post" in reminder.params["excerpt"]
    assert notifications_of(klass.student, "moderation_escalation") == []


def test_an_answered_report_is_not_escalated(klass, app, monkeypatch):
    monkeypatch.setitem(app.config, "MODERATION_ESCALATE_MINUTES", 30)
    post = make_post(klass.circle, klass.student)
    _report(klass.circle, post, klass.classmate, T0)
    monkeypatch.setattr(ops, "utcnow", lambda: T0 + timedelta(minutes=5))
    ops.act(klass.circle, ReportKind.post, post.id, ActionKind.dismiss, klass.teacher, "")
    db.session.commit()
    monkeypatch.setattr(ops, "utcnow", lambda: T0 + timedelta(minutes=60))
    tasks.escalate_reports()
    assert notifications_of(klass.teacher, "moderation_escalation") == []


def test_the_job_is_scheduled():
    from lms.jobs import SCHEDULE, Task

    assert SCHEDULE[Task.escalate_reports] == 60
