"""Scheduling live lessons through the real routes: who may, the time typed in the viewer's zone, edits,
cancelling, the stream states, reminders and "live now" notifications, the calendar and its .ics."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from lms.calendar.sources import events_for
from lms.circles import operations as circle_ops
from lms.core.types import utcnow
from lms.extensions import db
from lms.live import operations as ops
from lms.live.models import LessonState, LiveLesson
from tests.live.core_support import notifications, schedule


def _form(**over):
    data = {"title": "Fractions, live", "starts_at": "2031-05-04T19:30", "expected_minutes": "45",
            "description": "We **practise** together. <script>alert(1)</script>", "reminder_minutes": "15",
            "late_after_minutes": "10", "present_min_percent": "50"}
    data.update(over)
    return data


def _lessons() -> list[LiveLesson]:
    return list(db.session.scalars(db.select(LiveLesson).order_by(LiveLesson.id)))


def test_teacher_schedules_in_their_time_zone(klass, client_as):
    """Is 19:30 typed by a teacher in Shanghai stored as 11:30 UTC, the members told, and the description
    shown sanitized?"""
    klass.teacher.timezone = "Asia/Shanghai"
    db.session.commit()
    client = client_as(klass.teacher)
    response = client.post(f"/c/{klass.circle.id}/live/new", data=_form())
    assert response.status_code == 302
    (lesson,) = _lessons()
    assert lesson.starts_at == datetime(2031, 5, 4, 11, 30, tzinfo=timezone.utc)
    assert lesson.expected_minutes == 45 and lesson.state == LessonState.scheduled
    told = {n.user_id for n in notifications("live_scheduled")}
    assert klass.student.id in told and klass.teacher.id not in told
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>practise</strong>" in page and "<script>alert(1)" not in page
    # the student, in UTC, reads the time in their own zone
    klass.student.timezone = "UTC"
    db.session.commit()
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/live/{lesson.id}").get_data(as_text=True)
    assert "11:30" in page


def test_the_form_labels_the_time_zone_and_refuses_a_past_time(klass, client_as):
    klass.teacher.timezone = "Europe/Berlin"
    db.session.commit()
    client = client_as(klass.teacher)
    page = client.get(f"/c/{klass.circle.id}/live/new").get_data(as_text=True)
    assert "Time zone: Europe/Berlin" in page
    response = client.post(f"/c/{klass.circle.id}/live/new", data=_form(starts_at="2020-01-01T09:00"))
    assert response.status_code == 422
    assert "That time has passed" in response.get_data(as_text=True)
    assert _lessons() == []


@pytest.mark.parametrize("who", ["student", "assistant"])
def test_students_and_assistants_cannot_schedule(klass, client_as, who):
    client = client_as(klass.users[who])
    assert client.get(f"/c/{klass.circle.id}/live/new").status_code == 403
    assert client.post(f"/c/{klass.circle.id}/live/new", data=_form()).status_code == 403
    assert _lessons() == []


def test_strangers_and_removed_members_get_404(klass, client_as):
    lesson = schedule(klass.circle, klass.teacher)
    for url in (f"/c/{klass.circle.id}/live", f"/c/{klass.circle.id}/live/{lesson.id}",
                f"/c/{klass.circle.id}/live/{lesson.id}/lesson.ics"):
        assert client_as(klass.stranger).get(url).status_code == 404
    membership = klass.circle.membership_of(klass.student)
    circle_ops.remove_member(membership, klass.owner)
    db.session.commit()
    assert client_as(klass.student).get(f"/c/{klass.circle.id}/live/{lesson.id}").status_code == 404
    # another circle's id in the URL does not reach the lesson either
    other = circle_ops.create_circle(klass.stranger, "Elsewhere")
    db.session.commit()
    assert client_as(klass.stranger).get(f"/c/{other.id}/live/{lesson.id}").status_code == 404


def test_edit_moves_the_time_and_tells_the_members_again(klass, client_as):
    klass.teacher.timezone = "UTC"
    db.session.commit()
    lesson = schedule(klass.circle, klass.teacher)
    lesson.reminded_at = utcnow()
    db.session.commit()
    client = client_as(klass.teacher)
    assert client.get(f"/c/{klass.circle.id}/live/{lesson.id}/edit").status_code == 200
    response = client.post(f"/c/{klass.circle.id}/live/{lesson.id}/edit",
                           data=_form(title="Fractions, moved", starts_at="2031-06-01T08:00"))
    assert response.status_code == 302
    db.session.refresh(lesson)
    assert lesson.title == "Fractions, moved" and lesson.reminded_at is None
    assert lesson.starts_at == datetime(2031, 6, 1, 8, 0, tzinfo=timezone.utc)
    moved = [n for n in notifications("live_scheduled", klass.student) if n.params.get("variant") == "moved"]
    assert len(moved) == 1
    assert client_as(klass.student).post(f"/c/{klass.circle.id}/live/{lesson.id}/edit",
                                         data=_form()).status_code == 403


def test_cancel(klass, client_as):
    lesson = schedule(klass.circle, klass.teacher)
    assert client_as(klass.student).post(f"/c/{klass.circle.id}/live/{lesson.id}/cancel").status_code == 403
    assert client_as(klass.teacher).post(f"/c/{klass.circle.id}/live/{lesson.id}/cancel").status_code == 302
    db.session.refresh(lesson)
    assert lesson.state == LessonState.cancelled
    assert any(n.params.get("variant") == "cancelled" for n in notifications("live_scheduled", klass.student))
    # a cancelled lesson leaves the calendar
    assert events_for(klass.student, [klass.circle.id], utcnow(), utcnow() + timedelta(days=3)) == []


def test_reminder_goes_out_once_when_its_time_comes(klass):
    lesson = schedule(klass.circle, klass.teacher, starts_in=timedelta(minutes=40), reminder_minutes=15)
    assert ops.send_reminders() == 0
    db.session.commit()
    now = lesson.starts_at - timedelta(minutes=14, seconds=50)
    assert ops.send_reminders(now) == 1
    db.session.commit()
    assert ops.send_reminders(now + timedelta(seconds=30)) == 0
    db.session.commit()
    reminded = notifications("live_starting")
    assert {n.user_id for n in reminded} == set(ops.q.member_ids(klass.circle))
    assert len([n for n in reminded if n.user_id == klass.student.id]) == 1
    assert reminded[0].params["minutes"] == "15"


def test_reminder_off_and_moved_lessons(klass):
    schedule(klass.circle, klass.teacher, starts_in=timedelta(minutes=5), reminder_minutes=0)
    assert ops.send_reminders() == 0
    assert notifications("live_starting") == []


def test_stream_states_and_the_live_now_notification(klass):
    lesson = schedule(klass.circle, klass.teacher, starts_in=timedelta(minutes=2))
    assert ops.go_live(lesson, "rtmp", klass.teacher)
    db.session.commit()
    assert lesson.state == LessonState.live and lesson.went_live_at is not None
    assert {n.user_id for n in notifications("live_started")} == set(ops.q.member_ids(klass.circle)) - {klass.teacher.id}
    assert ops.mark_reconnecting(lesson)
    db.session.commit()
    assert lesson.state == LessonState.reconnecting
    assert ops.go_live(lesson, "rtmp", klass.teacher)  # back within the grace period: resumes
    db.session.commit()
    assert lesson.state == LessonState.live
    assert len(notifications("live_started", klass.student)) == 1  # told once
    # dropped again, and not back within the grace period: the sweep ends it
    ops.mark_reconnecting(lesson, now=utcnow() - timedelta(seconds=lesson.grace_seconds - 30))
    db.session.commit()
    assert ops.end_expired_reconnects() == 0
    assert ops.end_expired_reconnects(utcnow() + timedelta(seconds=31)) == 1
    db.session.commit()
    assert lesson.state == LessonState.ended and lesson.ended_at is not None
    with pytest.raises(ops.LiveError):
        ops.go_live(lesson, "browser", klass.teacher)


def test_the_periodic_sweep_is_scheduled():
    from lms.jobs import SCHEDULE, Task

    assert Task("lms.live.tasks:sweep_live") in SCHEDULE


def test_calendar_source_and_the_ics_download(klass, client_as):
    lesson = schedule(klass.circle, klass.teacher, starts_in=timedelta(days=2), expected_minutes=90)
    events = events_for(klass.student, [klass.circle.id], utcnow(), utcnow() + timedelta(days=7))
    (event,) = [e for e in events if e.kind == "live"]
    assert event.uid == f"live-{lesson.id}@circles" and event.ends_at - event.starts_at == timedelta(minutes=90)
    # the circle's calendar page shows it
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/calendar").get_data(as_text=True)
    assert "Algebra live" in page
    response = client_as(klass.student).get(f"/c/{klass.circle.id}/live/{lesson.id}/lesson.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    cal = Calendar.from_ical(response.data)
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["uid"]) == event.uid
    assert vevent.decoded("dtstart") == lesson.starts_at.replace(microsecond=0) or \
        vevent.decoded("dtstart") == lesson.starts_at
    assert vevent.decoded("dtend") - vevent.decoded("dtstart") == timedelta(minutes=90)
    assert klass.circle.name in str(vevent["summary"])


def test_the_ical_feed_carries_the_lesson(klass, client_as):
    from lms.calendar.operations import ensure_calendar_token

    lesson = schedule(klass.circle, klass.teacher, starts_in=timedelta(days=2))
    token = ensure_calendar_token(klass.student)
    db.session.commit()
    body = client_as(klass.student).get(f"/calendar/feed/{token.token}.ics")
    assert body.status_code == 200
    assert f"live-{lesson.id}@circles" in body.get_data(as_text=True)


def test_without_rtmp_no_stream_key_is_offered(klass, client_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_RTMP_URL", None)
    lesson = schedule(klass.circle, klass.teacher)
    url = f"/c/{klass.circle.id}/live/{lesson.id}"
    page = client_as(klass.teacher).get(url).get_data(as_text=True)
    assert "Broadcasting from OBS is not set up on this site" in page and "stream-key" not in page
    assert client_as(klass.teacher).post(url + "/stream-key").status_code == 404
    db.session.refresh(lesson)
    assert lesson.stream_key_hash is None


def test_stream_key_is_for_editors_shown_once_and_checked(klass, client_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_RTMP_URL", "rtmp://live.example.org/live")
    lesson = schedule(klass.circle, klass.teacher)
    url = f"/c/{klass.circle.id}/live/{lesson.id}"
    assert "rtmp://live.example.org/live" in client_as(klass.teacher).get(url).get_data(as_text=True)
    student_page = client_as(klass.student).get(url).get_data(as_text=True)
    assert "rtmp://" not in student_page and "Stream key" not in student_page
    assert client_as(klass.student).post(url + "/stream-key").status_code == 403
    assert client_as(klass.assistant).post(url + "/stream-key").status_code == 403
    teacher = client_as(klass.teacher)
    response = teacher.post(url + "/stream-key")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)  # POST-redirect-GET
    response = teacher.get(url)
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    db.session.refresh(lesson)
    shown = page.split('data-stream-key>')[1].split("<")[0]
    path, secret = shown.split("?key=")
    assert path == lesson.stream_path
    assert lesson.stream_key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert 'data-copy="#live-obs-key"' in page and 'data-copy="#live-obs-server"' in page
    reloaded = teacher.get(url).get_data(as_text=True)
    assert secret not in reloaded and "data-stream-key>" not in reloaded  # shown only that once
    db.session.refresh(lesson)
    assert ops.check_stream_key(lesson.stream_path, secret) == lesson  # a reload made no new key
    assert ops.check_stream_key(lesson.stream_path, secret + "x") is None
    # replacing asks first: a plain POST (a resent form) only shows the question, the key stays
    asked = teacher.post(url + "/stream-key")
    assert asked.status_code == 200 and "Replace the stream key" in asked.get_data(as_text=True)
    assert teacher.get(url + "/stream-key").status_code == 200
    assert ops.check_stream_key(lesson.stream_path, secret) == lesson
    assert client_as(klass.student).get(url + "/stream-key").status_code == 403
    assert teacher.post(url + "/stream-key", data={"replace": "1"}).status_code == 302
    assert ops.check_stream_key(lesson.stream_path, secret) is None  # regenerated: the old key fails
    assert "data-stream-key>" in teacher.get(url).get_data(as_text=True)


def test_home_page_shows_the_next_lesson_with_a_countdown(klass, client_as):
    lesson = schedule(klass.circle, klass.teacher, starts_in=timedelta(hours=3))
    page = client_as(klass.student).get(f"/c/{klass.circle.id}").get_data(as_text=True)
    assert "Next live lesson" in page and lesson.title in page
    assert f'datetime="{lesson.starts_at.isoformat()}" data-live-countdown' in page
    assert "js/live/countdown.js" in page


def test_a_later_lesson_waits_in_the_side_column_and_one_on_air_tops_the_page(klass, client_as):
    """The circle's front (issue 12): must-read notices come first; a lesson days away is in the side column
    after the next due work; one starting within 15 minutes, or on air, tops the main column."""
    from lms.feed.notices.models import Notice
    from lms.homework import operations as homework_ops

    db.session.add(Notice(circle_id=klass.circle.id, author_id=klass.teacher.id, title="Read me first",
                          body_md="x", publish_at=utcnow() - timedelta(minutes=1), is_must_read=True))
    homework_ops.create_assignment(klass.circle, klass.teacher, publish=True, title="Essay one",
                                   due_at=utcnow() + timedelta(days=2))
    lesson = schedule(klass.circle, klass.teacher, starts_in=timedelta(days=3))
    db.session.commit()
    student = client_as(klass.student)

    def positions():
        html = student.get(f"/c/{klass.circle.id}").get_data(as_text=True)
        return html, {marker: html.find(marker) for marker in (
            'data-home-section="notices"', 'class="home-side"', 'class="card home-due"', 'class="card home-live"')}

    html, at = positions()
    assert lesson.title in html
    assert at['data-home-section="notices"'] < at['class="home-side"'] < at['class="card home-due"'] \
        < at['class="card home-live"']
    lesson.starts_at = utcnow() + timedelta(minutes=10)
    db.session.commit()
    html, at = positions()
    assert -1 < at['class="card home-live"'] < at['data-home-section="notices"'] and html.count("home-live") == 1
    ops.go_live(lesson, "browser", klass.teacher)
    db.session.commit()
    html, at = positions()
    assert -1 < at['class="card home-live"'] < at['data-home-section="notices"'] and "Live now" in html


def test_state_changes_push_stream_state_to_the_lesson_room(klass, monkeypatch):
    """Does each state change push `stream_state` to room lesson-<id> on /live, after the commit?"""
    from lms.extensions import socketio

    sent = []
    monkeypatch.setattr(socketio, "emit", lambda event, data, to=None, namespace=None, **kw: sent.append(
        (event, data.get("state"), to, namespace)))
    lesson = schedule(klass.circle, klass.teacher)
    sent.clear()
    ops.go_live(lesson, "browser", klass.teacher)
    assert sent == []  # nothing leaves before the commit
    db.session.commit()
    ops.mark_reconnecting(lesson)
    db.session.commit()
    ops.resume(lesson)
    db.session.commit()
    ops.end_lesson(lesson, klass.teacher)
    db.session.commit()
    room = f"lesson-{lesson.id}"
    states = [(e, s) for e, s, to, ns in sent if to == room and ns == "/live" and e == "stream_state"]
    assert states == [("stream_state", "live"), ("stream_state", "reconnecting"), ("stream_state", "live"),
                      ("stream_state", "ended")]


def test_editing_a_lesson_on_air_keeps_its_time(klass, client_as):
    klass.teacher.timezone = "UTC"
    db.session.commit()
    lesson = schedule(klass.circle, klass.teacher)
    ops.go_live(lesson, "browser", klass.teacher)
    db.session.commit()
    started = lesson.starts_at
    response = client_as(klass.teacher).post(f"/c/{klass.circle.id}/live/{lesson.id}/edit",
                                             data=_form(title="Renamed on air", starts_at="2031-01-01T00:00",
                                                        late_after_minutes="5"))
    assert response.status_code == 302
    db.session.refresh(lesson)
    assert lesson.title == "Renamed on air" and lesson.starts_at == started and lesson.late_after_minutes == 5


def test_the_sweep_job_reminds_and_ends_expired_reconnects(klass):
    from lms.live.tasks import sweep_live

    due = schedule(klass.circle, klass.teacher, starts_in=timedelta(minutes=10), reminder_minutes=15)
    dropped = schedule(klass.circle, klass.teacher, starts_in=timedelta(minutes=1))
    ops.go_live(dropped, "rtmp", None)
    ops.mark_reconnecting(dropped, now=utcnow() - timedelta(seconds=dropped.grace_seconds + 1))
    db.session.commit()
    circle_ops.remove_member(klass.circle.membership_of(klass.classmate), klass.owner)
    db.session.commit()
    sweep_live()
    db.session.expire_all()
    assert {n.user_id for n in notifications("live_starting")} == set(ops.q.member_ids(klass.circle))
    assert klass.classmate.id not in {n.user_id for n in notifications("live_starting")}
    assert db.session.get(LiveLesson, due.id).reminded_at is not None
    assert db.session.get(LiveLesson, dropped.id).state == LessonState.ended


def test_cancelling_and_making_a_stream_key_are_audited_without_the_key(klass):
    from lms.audit.models import AuditEvent

    lesson = schedule(klass.circle, klass.teacher)
    secret = ops.new_stream_key(lesson, klass.teacher)
    ops.new_stream_key(lesson, klass.teacher)
    ops.cancel_lesson(lesson, klass.owner)
    db.session.commit()
    events = list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.target_type == "live_lessons")
                                     .order_by(AuditEvent.id)))
    assert [(e.action, e.circle_id) for e in events] == [("live_stream_key_made", klass.circle.id),
                                                         ("live_stream_key_made", klass.circle.id),
                                                         ("live_lesson_cancelled", klass.circle.id)]
    assert [e.details.get("replaced") for e in events[:2]] == [False, True]
    assert all(secret not in str(e.details) for e in events)
