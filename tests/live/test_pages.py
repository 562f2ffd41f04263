"""The live lesson pages through real routes: the Live tab's lists, the lesson page for hosts and members
(Go live, OBS details, the room and player included), ending, attendance pages and who may see them."""
from __future__ import annotations

from datetime import timedelta

from lms.circles import operations as circle_ops
from lms.core.types import utcnow
from lms.extensions import db
from lms.live.models import LessonState
from tests.live.core_support import connection, held, schedule


def test_live_tab_lists_live_upcoming_and_past(klass, client_as):
    upcoming = schedule(klass.circle, klass.teacher, title="Next week's lesson", starts_in=timedelta(days=7))
    on_air = held(klass.circle, klass.teacher, title="On air now", went_live_at=utcnow() - timedelta(minutes=5),
                  ended=False)
    past = held(klass.circle, klass.teacher, title="Last week's lesson")
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/live").get_data(as_text=True)
    assert page.index("On air now") < page.index("Next week&#39;s lesson") < page.index("Last week&#39;s lesson")
    assert f'href="/c/{klass.circle.id}/live"' in page  # the tab in the circle's header
    assert "Schedule a live lesson" not in page and "My attendance" in page
    teacher_page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live").get_data(as_text=True)
    assert "Schedule a live lesson" in teacher_page and "Attendance across lessons" in teacher_page
    assert {upcoming.state, on_air.state, past.state} == {LessonState.scheduled, LessonState.live, LessonState.ended}


def test_lesson_page_for_hosts_and_for_members(klass, client_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_RTMP_URL", "rtmp://live.example.org/live")
    lesson = schedule(klass.circle, klass.teacher, starts_in=timedelta(hours=2))
    url = f"/c/{klass.circle.id}/live/{lesson.id}"
    teacher = client_as(klass.teacher).get(url).get_data(as_text=True)
    assert f"{url}/broadcast" in teacher and "rtmp://" in teacher and "Make a stream key" in teacher
    assert 'class="live-player"' in teacher or "live/_player" in teacher or "data-lesson-id" in teacher
    assistant = client_as(klass.assistant).get(url).get_data(as_text=True)
    assert f"{url}/broadcast" in assistant and "rtmp://" not in assistant  # hosts go live; only editors see OBS
    student = client_as(klass.student).get(url).get_data(as_text=True)
    assert f"{url}/broadcast" not in student and "rtmp://" not in student
    assert "data-live-countdown" in student and "Add to calendar" in student
    # the go-live page (live-video's, or the stub before it) is for hosts only
    assert client_as(klass.student).get(url + "/broadcast").status_code in (403, 404)


def test_ending_a_lesson(klass, client_as):
    lesson = held(klass.circle, klass.teacher, went_live_at=utcnow() - timedelta(minutes=3), ended=False)
    url = f"/c/{klass.circle.id}/live/{lesson.id}/end"
    assert client_as(klass.student).post(url).status_code == 403
    assert client_as(klass.assistant).post(url).status_code == 302
    db.session.refresh(lesson)
    assert lesson.state == LessonState.ended and lesson.ended_at is not None
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/live/{lesson.id}").get_data(as_text=True)
    assert "Ended at" in page


def test_attendance_pages_and_who_sees_them(klass, client_as):
    lesson = held(klass.circle, klass.teacher, title="Geometry, live")
    connection(lesson, klass.student, 0, 45)
    base = f"/c/{klass.circle.id}/live"
    teacher = client_as(klass.teacher)
    page = teacher.get(f"{base}/{lesson.id}/attendance").get_data(as_text=True)
    assert "Student In Class" in page and "Present: 1" in page and "Absent: 1" in page
    assert "Turn into a gradebook column" in page
    assistant_page = client_as(klass.assistant).get(f"{base}/{lesson.id}/attendance").get_data(as_text=True)
    assert "Student In Class" in assistant_page and "Turn into a gradebook column" not in assistant_page
    assert client_as(klass.student).get(f"{base}/{lesson.id}/attendance").status_code == 403
    assert client_as(klass.stranger).get(f"{base}/{lesson.id}/attendance").status_code == 404
    overview = teacher.get(f"{base}/attendance").get_data(as_text=True)
    assert "Student In Class" in overview and "Classmate In Class" in overview
    assert client_as(klass.student).get(f"{base}/attendance").status_code == 403
    csv = teacher.get(f"{base}/attendance.csv")
    assert csv.status_code == 200 and "Geometry, live" in csv.data.decode("utf-8-sig")
    # a student's own record, not a classmate's
    student = client_as(klass.student)
    me = student.get(f"{base}/attendance/me")
    assert me.status_code == 302 and me.headers["Location"].endswith(f"{base}/attendance/{klass.student.id}")
    own = student.get(f"{base}/attendance/{klass.student.id}").get_data(as_text=True)
    assert "My attendance" in own and "Geometry, live" in own and "Present" in own
    assert student.get(f"{base}/attendance/{klass.classmate.id}").status_code == 403
    assert teacher.get(f"{base}/attendance/{klass.student.id}").status_code == 200
    # the lesson page tells the student their own record
    lesson_page = student.get(f"{base}/{lesson.id}").get_data(as_text=True)
    assert "My attendance" in lesson_page and "45 minutes" in lesson_page


def test_removed_member_loses_the_pages(klass, client_as):
    lesson = held(klass.circle, klass.teacher)
    connection(lesson, klass.student, 0, 45)
    circle_ops.remove_member(klass.circle.membership_of(klass.student), klass.owner)
    db.session.commit()
    client = client_as(klass.student)
    for path in ("", f"/{lesson.id}", "/attendance/me", f"/attendance/{klass.student.id}"):
        assert client.get(f"/c/{klass.circle.id}/live{path}").status_code == 404
    # and is no longer listed
    page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/{lesson.id}/attendance").get_data(as_text=True)
    assert "Student In Class" not in page


def test_cancelled_lesson_page(klass, client_as):
    lesson = schedule(klass.circle, klass.teacher)
    client_as(klass.teacher).post(f"/c/{klass.circle.id}/live/{lesson.id}/cancel")
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/live/{lesson.id}").get_data(as_text=True)
    assert "This lesson is cancelled." in page and "data-live-countdown" not in page
    assert client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/{lesson.id}/edit").status_code == 403


def test_attendance_pages_cost_the_same_queries_whatever_the_class_size(klass, client_as, make):
    """Attendance across lessons and per lesson read the rows in a fixed number of queries."""
    from lms.circles.models import Role
    from tests.fixtures.queries import QueryCounter

    lessons = [held(klass.circle, klass.teacher, title=f"Lesson {n}") for n in range(3)]
    teacher = client_as(klass.teacher)
    base = f"/c/{klass.circle.id}/live"

    def count(path):
        with QueryCounter() as counter:
            assert teacher.get(path).status_code == 200
        return counter.count

    paths = [f"{base}/attendance", f"{base}/attendance.csv", f"{base}/{lessons[0].id}/attendance"]
    [count(p) for p in paths]  # warm: per-process caches (the session's facts) are filled once
    before = [count(p) for p in paths]
    for _ in range(5):
        student = make.member(klass.circle, role=Role.student).user
        for lesson in lessons:
            connection(lesson, student, 0, 30)
    assert [count(p) for p in paths] == before


def test_a_lesson_that_never_started_moves_to_the_past_and_off_the_home_page(klass, client_as):
    lesson = schedule(klass.circle, klass.teacher, title="Forgotten lesson")
    lesson.starts_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/live").get_data(as_text=True)
    assert page.index("Past") < page.index("Forgotten lesson")
    assert "Forgotten lesson" not in client_as(klass.student).get(f"/c/{klass.circle.id}").get_data(as_text=True)
