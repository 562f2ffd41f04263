"""Scheduling: a future notice stays out of members' sight (list, page, home, calendar, bell) until its time;
then the periodic task publishes it and tells the members once."""
from __future__ import annotations

from datetime import timedelta

from lms.calendar.sources import events_for
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices import tasks
from lms.feed.notices.models import Notice
from tests.fixtures.homework import later


def _shift(notice, delta):
    """Move the notice's publish time as if the clock had moved on."""
    notice = db.session.get(Notice, notice.id)
    notice.publish_at = notice.publish_at + delta
    db.session.commit()


def test_a_future_notice_is_hidden_from_members_until_the_task_publishes_it(klass, notices, client_as):
    """Is a notice scheduled an hour ahead invisible to a student everywhere (list, page, home, search, calendar,
    bell), then published by the periodic task and announced once?"""
    notice = notices.notice(klass.circle, klass.teacher, when=later(hours=1), title="Exam moved")
    student = client_as(klass.student)
    c, n = klass.circle.id, notice.id
    assert "Exam moved" not in student.get(f"/circles/{c}/notices").get_data(as_text=True)
    assert student.get(f"/circles/{c}/notices/{n}").status_code == 404
    assert "Exam moved" not in student.get(f"/c/{c}").get_data(as_text=True)
    assert "Exam moved" not in student.get(f"/circles/{c}/search?q=exam").get_data(as_text=True)
    window = (utcnow() - timedelta(days=1), utcnow() + timedelta(days=2))
    assert [e for e in events_for(klass.student, [c], *window) if e.kind.startswith("notice")] == []
    tasks.publish_notices()
    assert notices.notifications("notice_published") == []  # the bell shows nothing yet
    # the staff see it scheduled, and their calendar shows when it goes out
    teacher = client_as(klass.teacher)
    assert "Exam moved" in teacher.get(f"/circles/{c}/notices").get_data(as_text=True)
    assert [e.kind for e in events_for(klass.teacher, [c], *window)] == ["notice"]

    _shift(notice, -timedelta(hours=2))
    tasks.publish_notices()
    tasks.publish_notices()  # a second run tells nobody again
    told = notices.notifications("notice_published")
    assert sorted(x.user_id for x in told) == sorted(u.id for u in (klass.student, klass.classmate))
    assert "Exam moved" in student.get(f"/circles/{c}/notices").get_data(as_text=True)
    assert "Exam moved" in student.get(f"/c/{c}").get_data(as_text=True)
    assert "Exam moved" in student.get(f"/circles/{c}/search?q=exam").get_data(as_text=True)
    assert student.get(f"/circles/{c}/notices/{n}").status_code == 200


def test_a_notice_published_now_is_announced_at_once_and_opening_it_clears_the_bell(klass, notices, client_as):
    """Does posting now notify each member once (not the author), and does opening it mark theirs read?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Welcome")
    mine = notices.notifications("notice_published", klass.student)
    assert len(mine) == 1 and mine[0].read_at is None and mine[0].url == f"/circles/{klass.circle.id}/notices/{notice.id}"
    assert notices.notifications("notice_published", klass.teacher) == []
    client_as(klass.student).get(mine[0].url)
    db.session.expire_all()
    assert notices.notifications("notice_published", klass.student)[0].read_at is not None


def test_a_draft_is_seen_by_staff_only(klass, notices, client_as):
    """Does a draft stay off the students' list and page while the assistant sees it?"""
    draft = notices.notice(klass.circle, klass.teacher, when="draft", title="Work in progress")
    url = f"/circles/{klass.circle.id}/notices/{draft.id}"
    assert client_as(klass.student).get(url).status_code == 404
    assert client_as(klass.assistant).get(url).status_code == 200
    assert notices.notifications("notice_published") == []


def test_publishing_a_draft_by_editing_announces_it(klass, notices, client_as):
    """Does saving a draft with "Publish now" publish and announce it?"""
    draft = notices.notice(klass.circle, klass.teacher, when="draft", title="Later")
    teacher = client_as(klass.teacher)
    response = teacher.post(f"/circles/{klass.circle.id}/notices/{draft.id}/edit",
                            data={"title": "Later", "body_md": "x", "when": "now", "receipt_level": "opened"})
    assert response.status_code == 302
    assert len(notices.notifications("notice_published", klass.student)) == 1


def test_the_list_puts_unconfirmed_must_read_first_then_pinned_then_newest(klass, notices, client_as):
    """Is the order must-read (unconfirmed), pinned, newest, and does paging by keyset walk it all once?"""
    now = utcnow()
    old = notices.notice(klass.circle, klass.teacher, when=now - timedelta(days=3), title="Old")
    pinned = notices.notice(klass.circle, klass.teacher, when=now - timedelta(days=2), title="Pinned", is_pinned=True)
    must = notices.notice(klass.circle, klass.teacher, when=now - timedelta(days=5), title="Must", is_must_read=True)
    new = notices.notice(klass.circle, klass.teacher, when=now - timedelta(days=1), title="New")
    from lms.feed.notices import queries as q

    seen, after = [], None
    while True:
        rows, after = q.notices_page(klass.circle, klass.student, after=after, per_page=1)
        seen += [r.notice.id for r in rows]
        if after is None:
            break
    assert seen == [must.id, pinned.id, new.id, old.id]
    from lms.feed.notices import operations as ops

    ops.confirm_notice(db.session.get(Notice, must.id), klass.student)
    db.session.commit()
    rows, _ = q.notices_page(klass.circle, klass.student, per_page=10)
    assert [r.notice.id for r in rows] == [pinned.id, new.id, old.id, must.id]
    # the classmate has not confirmed: it stays first for them; its author has nothing to confirm
    assert q.notices_page(klass.circle, klass.classmate, per_page=1)[0][0].notice.id == must.id
    assert [r.notice.id for r in q.notices_page(klass.circle, klass.teacher)[0]] == [pinned.id, new.id, old.id, must.id]


def test_the_list_says_when_a_scheduled_notice_publishes_in_the_viewers_zone(klass, notices, client_as):
    """Beside "Scheduled", does the staff's list say "Publishes at <time>" in the viewer's zone?"""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    moment = datetime(2031, 3, 12, 10, 0, tzinfo=timezone.utc)
    notices.notice(klass.circle, klass.teacher, when=moment, title="Exam moved")
    klass.teacher.timezone = "Asia/Shanghai"
    db.session.commit()
    page = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/notices").get_data(as_text=True)
    short = format_datetime(moment, "short", tzinfo=ZoneInfo("Asia/Shanghai"), locale="en")
    assert f"Publishes at {short}" in page
