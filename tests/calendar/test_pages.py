"""The circle calendar page, the personal calendar and the .ics download: who sees what, in which
zone and language, and at what cost in queries."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from lms.calendar import months
from lms.calendar.sources import CalendarEvent, events_for
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework import operations as hw_ops
from tests.fixtures.homework import later


def month_of(moment: datetime, zone: str = "UTC") -> str:
    from zoneinfo import ZoneInfo

    return months.month_key(moment.astimezone(ZoneInfo(zone)).date().replace(day=1))


@pytest.mark.parametrize("role, sees", [("owner", True), ("teacher", True), ("assistant", True),
                                        ("student", True), ("admin", True), ("stranger", False)])
def test_who_may_open_the_circle_calendar(klass, client_as, role, sees):
    """Members and overseers open the circle's calendar; anyone else gets 404, for the .ics download too."""
    client = client_as(getattr(klass, role))
    assert client.get(f"/c/{klass.circle.id}/calendar").status_code == (200 if sees else 404)
    assert client.get(f"/c/{klass.circle.id}/calendar?view=agenda").status_code == (200 if sees else 404)
    if not sees:
        assert client.get(f"/c/{klass.circle.id}/calendar/event.ics?uid=x&t=0").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(klass, app):
    """Without a session, the calendar pages send the visitor to sign in."""
    assert app.test_client().get(f"/c/{klass.circle.id}/calendar").status_code == 302
    assert app.test_client().get("/calendar").status_code == 302


def test_a_draft_never_shows_on_a_student_calendar(klass, hw, client_as):
    """An unpublished assignment is on the teacher's calendar, marked, and on no student's (circle page,
    list, personal calendar)."""
    due = later(days=1)
    hw.assignment(klass.circle, title="Hidden plan", due_at=due, publish=False)
    month = month_of(due)
    student = client_as(klass.student)
    for path in (f"/c/{klass.circle.id}/calendar?month={month}", f"/c/{klass.circle.id}/calendar?month={month}&view=agenda",
                 f"/calendar?month={month}", f"/calendar?month={month}&view=agenda"):
        assert "Hidden plan" not in student.get(path).get_data(as_text=True)
    teacher_page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/calendar?month={month}&view=agenda")
    assert "Hidden plan" in teacher_page.get_data(as_text=True)
    assert "students do not see it" in teacher_page.get_data(as_text=True)


def test_an_extension_moves_the_student_own_date_on_the_page(klass, hw, client_as):
    """The student granted a week more sees the due time on the later day, the classmate on the first."""
    due = datetime(2031, 5, 6, 12, 0, tzinfo=timezone.utc)
    essay = hw.assignment(klass.circle, title="Essay", due_at=due)
    hw_ops.grant_extension(essay, [klass.student], klass.owner, due_at=due + timedelta(days=7))
    db.session.commit()
    student = client_as(klass.student).get(f"/c/{klass.circle.id}/calendar?month=2031-05&view=agenda")
    classmate = client_as(klass.classmate).get(f"/c/{klass.circle.id}/calendar?month=2031-05&view=agenda")
    assert "May 13, 2031" in student.get_data(as_text=True) and "May 6, 2031" not in student.get_data(as_text=True)
    assert "May 6, 2031" in classmate.get_data(as_text=True)
    assert "Your extended time" in student.get_data(as_text=True)


def test_the_month_view_marks_today_and_navigates(klass, client_as):
    """Is today marked once in this month's grid (and not in another month), with links to the months around?"""
    client = client_as(klass.student)
    page = client.get(f"/c/{klass.circle.id}/calendar").get_data(as_text=True)
    assert page.count('aria-current="date"') == 1
    today = utcnow().date()
    assert months.month_key(months.shift_month(today.replace(day=1), 1)) in page  # the link to next month
    other = client.get(f"/c/{klass.circle.id}/calendar?month=2031-02").get_data(as_text=True)
    assert "February 2031" in other and 'aria-current="date"' not in other
    assert "month=2031-01" in other and "month=2031-03" in other
    assert client.get(f"/c/{klass.circle.id}/calendar?month=junk").status_code == 200


def test_the_month_view_in_simplified_chinese(klass, hw, client_as):
    """The month's name and the weekdays come from Babel in the viewer's language, the due time is on its
    day in the viewer's zone (Shanghai: 20:00 UTC is the next morning)."""
    klass.student.locale, klass.student.timezone = "zh_Hans", "Asia/Shanghai"
    db.session.commit()
    hw.assignment(klass.circle, title="作文", due_at=datetime(2031, 3, 9, 20, 0, tzinfo=timezone.utc))
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/calendar?month=2031-03")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2031年3月" in text and "周一" in text and "星期一" in text
    assert "Asia/Shanghai" in text and "作文" in text
    cell = text.split("作文")[0].rsplit('<td', 1)[1]
    assert '<span class="cal-daynum">10</span>' in cell  # 04:00 on the 10th in Shanghai
    agenda = client_as(klass.student).get(f"/c/{klass.circle.id}/calendar?month=2031-03&view=agenda")
    assert "2031年3月10日星期一" in agenda.get_data(as_text=True)


def test_the_personal_calendar_names_each_circle(make, hw, client_as):
    """Does the personal calendar gather the due times of all the person's circles, soonest first, each named?"""
    student = make.user()
    one, two = make.circle(name="Algebra"), make.circle(name="Biology")
    for circle in (one, two):
        make.member(circle, student)
    due = later(days=3)
    hw.assignment(one, title="Proofs", due_at=due)
    hw.assignment(two, title="Cells", due_at=due + timedelta(hours=1))
    text = client_as(student).get(f"/calendar?month={month_of(due)}&view=agenda").get_data(as_text=True)
    assert "Proofs" in text and "Cells" in text and "Algebra" in text and "Biology" in text
    assert text.index("Proofs") < text.index("Cells")


def test_an_event_downloads_as_ics_and_only_for_those_who_see_it(klass, hw, client_as):
    """Does an event download as a one-event .ics, and a draft's answer 404 to a student?"""
    due = later(days=2).replace(microsecond=0)
    essay = hw.assignment(klass.circle, title="Essay", due_at=due)
    draft = hw.assignment(klass.circle, title="Plan", due_at=due, publish=False)
    path = f"/c/{klass.circle.id}/calendar/event.ics?uid=assignment-{{}}-due@circles&t={int(due.timestamp())}"
    response = client_as(klass.student).get(path.format(essay.id))
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("DTSTART") == due and "Essay" in str(event["SUMMARY"])
    assert client_as(klass.student).get(path.format(draft.id)).status_code == 404
    assert client_as(klass.teacher).get(path.format(draft.id)).status_code == 200
    assert client_as(klass.student).get(f"/c/{klass.circle.id}/calendar/event.ics?uid=x&t=nan").status_code == 404


def _circles_with_work(make, hw, student, n):
    due = later(days=2)
    for i in range(n):
        circle = make.circle(name=f"Circle {i}")
        make.member(circle, student)
        hw.assignment(circle, title=f"Work {i}", due_at=due + timedelta(minutes=i))
        hw.assignment(circle, title=f"Draft {i}", due_at=due, publish=False)
    return due


@pytest.mark.parametrize("view", ["month", "agenda"])
def test_the_personal_calendar_costs_the_same_queries_for_2_and_20_circles(make, hw, client_as, count_queries, view):
    """Does the personal calendar cost as many queries for a person in 20 circles as in 2?"""
    counts = []
    for n in (2, 20):
        student = make.user()
        due = _circles_with_work(make, hw, student, n)
        client = client_as(student)
        path = f"/calendar?month={month_of(due)}&view={view}"
        client.get(path)
        with count_queries:
            text = client.get(path).get_data(as_text=True)
        assert text.count("cal-title\">Work ") == (n if view == "agenda" else 2 * n)  # the grid and the phone's list
        counts.append(count_queries.count)
    assert counts[0] == counts[1]


def test_the_circle_calendar_costs_the_same_queries_for_2_and_20_assignments(make, hw, client_as, count_queries):
    """Does a circle's calendar cost as many queries with 20 assignments (half extended) as with 2?"""
    counts = []
    for n in (2, 20):
        circle, student = make.circle(), make.user()
        make.member(circle, student)
        due = later(days=2)
        for i in range(n):
            essay = hw.assignment(circle, title=f"Work {i}", due_at=due, closes_at=due + timedelta(days=1))
            if i % 2:
                hw_ops.grant_extension(essay, [student], db.session.get(type(student), circle.created_by_id),
                                       due_at=due + timedelta(hours=1))
        db.session.commit()
        client = client_as(student)
        path = f"/c/{circle.id}/calendar?month={month_of(due)}&view=agenda"
        client.get(path)
        with count_queries:
            client.get(path)
        counts.append(count_queries.count)
    assert counts[0] == counts[1]


# -- the registry ------------------------------------------------------------------------------

def test_events_for_gathers_every_source_keeps_to_the_circles_and_window(klass, hw, app, monkeypatch):
    """A registered source's events join homework's; an event of a circle not asked for, outside the
    window, or with a UID already given is dropped; the result is soonest first."""
    start, end = utcnow(), utcnow() + timedelta(days=10)
    essay = hw.assignment(klass.circle, title="Essay", due_at=later(days=5))
    seen = []

    def source(viewer, circle_ids, window_start, window_end):
        seen.append((viewer.id, list(circle_ids), window_start, window_end))
        event = dict(title="Talk", ends_at=None, url="/", kind="live", description="")
        return [CalendarEvent(uid="talk-1@circles", starts_at=later(days=1), circle_id=klass.circle.id, **event),
                CalendarEvent(uid="talk-1@circles", starts_at=later(days=2), circle_id=klass.circle.id, **event),
                CalendarEvent(uid="talk-2@circles", starts_at=later(days=1), circle_id=klass.circle.id + 999, **event),
                CalendarEvent(uid="talk-3@circles", starts_at=later(days=20), circle_id=klass.circle.id, **event)]

    registry = app.extensions["lms.calendar.sources"]
    monkeypatch.setitem(registry, "test", source)
    events = events_for(klass.student, [klass.circle.id], start, end)
    assert [e.uid for e in events] == ["talk-1@circles", f"assignment-{essay.id}-due@circles"]
    assert seen == [(klass.student.id, [klass.circle.id], start, end)]
    assert events_for(klass.student, [], start, end) == []


def test_homework_source_is_one_query_for_any_number_of_circles(make, hw, count_queries):
    """Does homework's source read five circles' due times, with the student's extensions, in one query?"""
    from lms.homework.calendar_source import assignment_events

    student = make.user()
    circles = []
    for i in range(5):
        circle = make.circle()
        make.member(circle, student)
        hw.assignment(circle, due_at=later(days=1))
        circles.append(circle.id)
    db.session.refresh(student)  # loaded before counting, as a request's signed-in user is
    with count_queries:
        events = assignment_events(student, circles, utcnow(), later(days=3))
    assert len(events) == 5 and count_queries.count == 1
