"""Attendance arithmetic (lms/live/attendance.py), hand-computed: several joins add up, overlapping and
reconnecting connections count once, a connection gone quiet ends at its last sign of life, minute by
minute, late and absent thresholds, the replay; the per-lesson CSV and the gradebook column."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import sqlalchemy as sa

from lms.circles.models import Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework.models import Assignment
from lms.grading.models import Grade
from lms.live import attendance as att
from lms.live.models import LiveAttendance, ReplayView
from tests.live.core_support import T0, connection, held


def _by_user(lesson):
    return {r.user_id: r for r in att.lesson_attendance(lesson)}


def _class(klass, make):
    """The klass circle plus two more students (late-leaver and absent one)."""
    extra = [make.member(klass.circle, role=Role.student).user for _ in range(2)]
    return extra


def test_union_of_overlapping_joins_and_thresholds(klass, make):
    """Live 09:00–10:00, late after 10 min, present from 50 %:
    - student: 0–20 and a reconnect 15–30 (overlap counts once), 40–50, and a wait before the start
      (-5–2, counted from 0): 30 + 10 = 40 min, 67 %, on time → present;
    - classmate: joins at 12, the connection never closed and last seen at 45 (quiet since): 12–45 =
      33 min, 55 % → late;
    - third: 20–45 = 25 min, 42 % → absent although they came;
    - fourth: never → absent, 0 min."""
    third, fourth = _class(klass, make)
    lesson = held(klass.circle, klass.teacher, minutes=60)
    s, c = klass.student, klass.classmate
    connection(lesson, s, -5, 2)
    connection(lesson, s, 0, 20)
    connection(lesson, s, 15, 30)
    connection(lesson, s, 40, 50)
    connection(lesson, c, 12, None, last_seen_min=45)
    connection(lesson, third, 20, 45)
    records = _by_user(lesson)

    r = records[s.id]
    assert r.seconds == 40 * 60 and round(r.percent) == 67 and r.status == att.Status.present
    # joined in the waiting room 5 minutes early: first joined counts from going live (rule 2)
    assert r.joins == 4 and r.first_join == T0 and r.first_present == T0
    assert r.presence_code == "1" * 30 + "0" * 10 + "1" * 10 + "0" * 10
    assert r.minutes_present == 40

    r = records[c.id]
    assert r.seconds == 33 * 60 and r.status == att.Status.late and round(r.percent) == 55
    assert r.presence_code == "0" * 12 + "1" * 33 + "0" * 15

    assert records[third.id].seconds == 25 * 60 and records[third.id].status == att.Status.absent
    assert records[fourth.id].seconds == 0 and records[fourth.id].status == att.Status.absent
    assert records[fourth.id].presence_code == "0" * 60
    # staff are not listed
    assert klass.teacher.id not in records and klass.assistant.id not in records
    summary = att.summarise(records.values())
    assert (summary.present, summary.late, summary.absent) == (1, 1, 2)


def test_joining_exactly_at_the_late_threshold_is_on_time(klass):
    lesson = held(klass.circle, klass.teacher, minutes=30, late_after_minutes=10, present_min_percent=50)
    connection(lesson, klass.student, 10, 30)
    connection(lesson, klass.classmate, 10.5, 30)
    records = _by_user(lesson)
    assert records[klass.student.id].status == att.Status.present
    assert records[klass.classmate.id].status == att.Status.late


def test_two_tabs_at_once_count_once_and_a_dropped_connection_is_not_counted_past_its_last_sign(klass):
    """Two tabs 0–30 and 10–40 are 40 minutes, not 70; a dropped connection (no left_at) last seen at 50
    ends at 50 even though the lesson ran to 60."""
    lesson = held(klass.circle, klass.teacher, minutes=60)
    connection(lesson, klass.student, 0, 30)
    connection(lesson, klass.student, 10, 40)
    connection(lesson, klass.student, 45, None, last_seen_min=50)
    r = _by_user(lesson)[klass.student.id]
    assert r.seconds == 45 * 60  # 0–40 and 45–50


def test_half_a_minute_counts_as_present_in_that_minute():
    start = T0
    at = lambda s: start + timedelta(seconds=s)  # noqa: E731
    # 30 s of minute 0, 29 s of minute 1, 20 s + 20 s (two pieces) of minute 2, then 10 s of the last 20 s
    minutes = att.minute_presence([(at(30), at(60)), (at(60), at(89)), (at(120), at(140)), (at(150), at(170)),
                                   (at(180), at(190))], start, at(200))
    # 3 min 20 s are 3 minutes: the last 20 s belong to the third, 80 s long, present for 50 s of it
    assert minutes == [True, False, True]
    # 3 min 40 s are 4: the last minute is 40 s long, and 10 s of it is not half
    assert att.minute_presence([(at(180), at(190))], start, at(220)) == [False, False, False, False]
    assert att.minute_presence([(at(180), at(200))], start, at(220))[3] is True
    assert att.minute_count(20) == 1 and att.minute_count(0) == 0


def test_the_minutes_the_percentage_the_strip_and_the_csv_agree(klass, client_as):
    """fe14's F4: live 6 min 29 s; the student watched it all but lost the network for 15 s (two rows). The
    lesson has 6 minutes, all present: the minutes column, the percentage, the page and the CSV say the same."""
    lesson = held(klass.circle, klass.teacher, minutes=6 + 29 / 60)
    connection(lesson, klass.student, 0, 2)
    connection(lesson, klass.student, 2.25, 6 + 29 / 60)
    r = _by_user(lesson)[klass.student.id]
    assert r.presence_code == "1" * 6 and r.minutes_present == 6
    assert r.whole_minutes == 6 and r.whole_percent == 100 and r.status == att.Status.present
    html = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/{lesson.id}/attendance").get_data(as_text=True)
    assert "6 of 6 minutes present" in html and "6<span class=\"muted\"> (100%)</span>" in html
    url = f"/c/{klass.circle.id}/live/{lesson.id}/attendance.csv"
    rows = list(csv.reader(io.StringIO(client_as(klass.teacher).get(url).data.decode("utf-8-sig"))))
    row = next(row for row in rows if row[0] == "Student In Class")
    assert row[5] == str(row[9].count("1")) == "6" and row[6] == "100"
    assert re.search(r" UTC[+-]\d\d:\d\d$", row[4])  # first joined, with its zone's offset (fe14 F9)


def test_a_lesson_still_live_counts_an_open_fresh_connection_up_to_now(klass):
    now = utcnow()
    lesson = held(klass.circle, klass.teacher, went_live_at=now - timedelta(minutes=10), ended=False)
    db.session.add(LiveAttendance(lesson_id=lesson.id, user_id=klass.student.id,
                                  joined_at=now - timedelta(minutes=8), last_seen_at=now - timedelta(seconds=20)))
    db.session.commit()
    r = att.compute(lesson, klass.student.id, [(now - timedelta(minutes=8), now - timedelta(seconds=20), None)], now)
    assert r.seconds == 8 * 60 and r.status == att.Status.present
    # the same connection quiet for 2 minutes ends at its last sign of life
    r = att.compute(lesson, klass.student.id, [(now - timedelta(minutes=8), now - timedelta(minutes=2), None)], now)
    assert r.seconds == 6 * 60


def test_a_lesson_that_never_went_live_has_no_attendance(klass):
    from tests.live.core_support import schedule

    lesson = schedule(klass.circle, klass.teacher)
    records = _by_user(lesson)
    assert records[klass.student.id].status == att.Status.upcoming and records[klass.student.id].minutes == []


def test_replay_ranges_are_merged(klass):
    lesson = held(klass.circle, klass.teacher, minutes=60)
    db.session.add(ReplayView(lesson_id=lesson.id, user_id=klass.student.id,
                              watched=[[0, 300], [200, 600], [900, 960]], seconds_watched=660, last_at=utcnow()))
    db.session.commit()
    r = _by_user(lesson)[klass.student.id]
    assert r.replay_seconds == 660 and r.status == att.Status.absent  # the replay does not make them present


def test_csv_export(klass, client_as):
    lesson = held(klass.circle, klass.teacher, minutes=60, title="Geometry, live")
    connection(lesson, klass.student, 0, 20)
    connection(lesson, klass.student, 15, 30)
    connection(lesson, klass.student, 40, 50)
    url = f"/c/{klass.circle.id}/live/{lesson.id}/attendance.csv"
    assert client_as(klass.student).get(url).status_code == 403
    assert client_as(klass.stranger).get(url).status_code == 404
    response = client_as(klass.assistant).get(url)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "Geometry, live - attendance.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Name in the circle", "Real name", "Student number", "Status"]
    row = next(r for r in rows if r[0] == "Student In Class")
    assert row[3] == "Present" and row[5] == "40" and row[6] == "67" and row[7] == "3"
    assert row[9] == "1" * 30 + "0" * 10 + "1" * 10 + "0" * 10
    absent = next(r for r in rows if r[0] == "Classmate In Class")
    assert absent[3] == "Absent" and absent[5] == "0"


def test_gradebook_column(klass, client_as):
    """Present earns the points, late the chosen share, absent 0; released; doing it again updates the
    same item."""
    lesson = held(klass.circle, klass.teacher, minutes=60, title="Geometry, live")
    connection(lesson, klass.student, 0, 60)
    connection(lesson, klass.classmate, 20, 60)  # late, 67 %
    url = f"/c/{klass.circle.id}/live/{lesson.id}/attendance/gradebook"
    form = {"points": "10", "late_percent": "50", "release": "y"}
    assert client_as(klass.student).post(url, data=form).status_code == 403
    assert client_as(klass.assistant).post(url, data=form).status_code == 403
    teacher = client_as(klass.teacher)
    assert teacher.post(url, data=form).status_code == 302
    (item,) = db.session.scalars(sa.select(Assignment)).all()
    assert item.title == "Attendance: Geometry, live" and item.points == 10 and item.is_published
    grades = {g.student_id: g for g in db.session.scalars(sa.select(Grade).where(Grade.assignment_id == item.id))}
    assert grades[klass.student.id].score == 10 and grades[klass.classmate.id].score == 5
    assert all(g.released_at is not None for g in grades.values())
    gradebook = teacher.get(f"/c/{klass.circle.id}/grades").get_data(as_text=True)
    assert "Attendance: Geometry, live" in gradebook
    # the student may not hand anything in to it
    db.session.refresh(item)
    assert not item.can_submit(klass.student)
    # again, after the classmate's time changed: same item, new grade
    db.session.execute(sa.update(LiveAttendance).where(LiveAttendance.user_id == klass.classmate.id)
                       .values(joined_at=T0))
    db.session.commit()
    assert teacher.post(url, data=form).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(Grade.score).where(Grade.student_id == klass.classmate.id)) == 10


def test_xlsx_export(klass, client_as):
    from openpyxl import load_workbook

    lesson = held(klass.circle, klass.teacher, minutes=60, title="=HYPERLINK(\"x\")")
    connection(lesson, klass.student, 0, 50)
    response = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/{lesson.id}/attendance.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][3] == "Status"
    row = next(r for r in rows if r[0] == "Student In Class")
    assert row[3] == "Present" and row[5] == "50"
    overview = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/attendance.xlsx")
    sheet = load_workbook(io.BytesIO(overview.data)).active
    header = [c.value for c in next(sheet.iter_rows())]
    assert header[3].startswith("=HYPERLINK") and sheet.cell(1, 4).data_type == "s"  # text, never a formula
    assert client_as(klass.student).get(f"/c/{klass.circle.id}/live/attendance.xlsx").status_code == 403


def test_attendance_across_lessons_names_each_lesson(klass, client_as):
    """fe14 F11: two lessons a day were two bare go-live times; each column is headed by its title and the time it
    was scheduled for."""
    first = held(klass.circle, klass.teacher, minutes=30, title="Turns, part one")
    second = held(klass.circle, klass.teacher, went_live_at=T0 + timedelta(hours=2), minutes=30,
                  title="Turns, part two")
    first.went_live_at = T0 + timedelta(minutes=1)  # went live a minute late: the heading keeps the scheduled time
    db.session.commit()
    page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/attendance").get_data(as_text=True)
    assert ">Turns, part one</a>" in page and ">Turns, part two</a>" in page and second.title in page
    rows = list(csv.reader(io.StringIO(
        client_as(klass.teacher).get(f"/c/{klass.circle.id}/live/attendance.csv").data.decode("utf-8-sig"))))
    assert rows[0][3].startswith("Turns, part one (") and rows[0][4].startswith("Turns, part two (")
