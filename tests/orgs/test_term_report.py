"""A term's report (/orgs/<id>/terms/<id>/report, .csv, .xlsx): its figures by class and by student, who sees
which classes, the exports, and a query count that does not grow with the number of classes."""
from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lms.checkins import operations as checkin_ops
from lms.circles.models import Circle, CircleKind, JoinPolicy
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading.models import Grade
from lms.homework import operations as hw_ops
from lms.live.models import LessonState, LiveAttendance, LiveLesson
from lms.orgs import operations as org_ops
from lms.orgs.console import reports, terms
from tests.fixtures.queries import QueryCounter
from tests.orgs.school import build_school


def _term(school, name="Autumn"):
    today = utcnow().date()
    return terms.create_term(school.org, name, today - timedelta(days=30), today + timedelta(days=60))


def _class(school, name, teacher, term):
    [circle] = org_ops.create_classes(school.org, [name], teacher, CircleKind.teaching, JoinPolicy.code,
                                      actor=school.site_admin)
    circle.term_id = term.id if term is not None else None
    db.session.commit()
    return circle


def _lessons(circle, n):
    now = utcnow()
    lessons = [LiveLesson(circle_id=circle.id, title=f"Lesson {k}", starts_at=now - timedelta(days=k + 1),
                          state=LessonState.ended, went_live_at=now - timedelta(days=k + 1), ended_at=now)
               for k in range(n)]
    db.session.add_all(lessons)
    db.session.flush()
    return lessons


def _check_in(task, user, days_ago):
    """A check-in made at noon of that day in the class's zone, through the real operation."""
    day = utcnow().astimezone(task.circle.zone).date() - timedelta(days=days_ago)
    checkin_ops.submit_checkin(task, user, text="done",
                               now=datetime.combine(day, time(12), tzinfo=task.circle.zone))


@pytest.fixture
def term_data(make, hw, school):
    """Term "Autumn" (30 days ago to 60 days ahead) holds Tom's "Existing class" and Tina's "Second class";
    "Elsewhere" (Tom) is in no term.

    Existing class, students s1, s2, s3. Assignment A, due 2 days ago: s1 hands in now (late), s2 hands in
    now with an extension to tomorrow (on time), s3 handed in 3 days ago (on time) and again now (late: the
    latest version counts). Assignment B, due in 5 days: s1 hands in (on time). 4 hand-ins of 6 pairs
    (66.7 %), 2 late (50 %). Released grades 55 (s1, A), 65 (s2, A), 95 (s3, A), 85 (s1, B): bands
    [1, 1, 0, 1, 1], average 75; an unreleased 10 (s2, B) ignored. 2 live lessons held (and 1 cancelled):
    s1 came to both, s2 to one (3 of 6: 50 %). A daily check-in task from 9 days ago: s1 on days -9..-5 and
    -1, 0 (longest 5, current 2), s2 on days -3, -2 (longest 2, not current): 9 of 30 (30 %).

    Second class: s1 and s4; assignment C (no due time): s1 hands in; assignment D, due yesterday: s1 is
    excused, s4 hands in nothing (missing). Elsewhere: s1 hands in a late one, which counts nowhere in the
    report."""
    term = _term(school)
    klass = school.klass
    klass.term_id = term.id
    second = _class(school, "Second class", school.teacher2, term)
    elsewhere = _class(school, "Elsewhere", school.teacher, None)
    s1, s2, s3, s4 = (make.user(f"Student {n}") for n in range(1, 5))
    make.member(klass, s1, student_no=f"N{s1.id}"), make.member(klass, s2), make.member(klass, s3)
    make.member(second, s1), make.member(second, s4), make.member(elsewhere, s1)
    now = utcnow()
    a = hw.assignment(klass, author=school.teacher, due_at=now - timedelta(days=2))
    b = hw.assignment(klass, author=school.teacher, due_at=now + timedelta(days=5))
    hw_ops.grant_extension(a, [s2], school.teacher, due_at=now + timedelta(days=1))
    db.session.commit()
    hw.submission(a, s3, now=now - timedelta(days=3))
    hw.submission(a, s1), hw.submission(a, s2), hw.submission(a, s3), hw.submission(b, s1)
    hw.grade(a, s1, score=55), hw.grade(a, s2, score=65), hw.grade(a, s3, score=95), hw.grade(b, s1, score=85)
    hw.grade(b, s2, score=10, released=False)
    c = hw.assignment(second, author=school.teacher2)
    hw.submission(c, s1)
    d = hw.assignment(second, author=school.teacher2, due_at=now - timedelta(days=1))
    db.session.add(Grade(assignment_id=d.id, student_id=s1.id, is_excused=True, graded_at=now))
    late_elsewhere = hw.assignment(elsewhere, author=school.teacher, due_at=now - timedelta(days=1))
    hw.submission(late_elsewhere, s1)
    hw.grade(late_elsewhere, s1, score=5)
    lessons = _lessons(klass, 2)
    db.session.add(LiveLesson(circle_id=klass.id, title="Called off", starts_at=now, state=LessonState.cancelled))
    for lesson, user in [(lessons[0], s1), (lessons[0], s1), (lessons[0], s2), (lessons[1], s1)]:
        db.session.add(LiveAttendance(lesson_id=lesson.id, user_id=user.id))
    today = now.astimezone(klass.zone).date()
    task = checkin_ops.create_task(klass, school.teacher, title="Read", starts_on=today - timedelta(days=9))
    db.session.commit()
    for days_ago in (9, 8, 7, 6, 5, 1, 0):
        _check_in(task, s1, days_ago)
    for days_ago in (3, 2):
        _check_in(task, s2, days_ago)
    db.session.commit()
    return term, {"s1": s1, "s2": s2, "s3": s3, "s4": s4}


def _report(school, term, viewer):
    report = reports.term_report(school.org, term, viewer)
    return ({c.row.circle.name: c for c in report.classes}, {s.name: s for s in report.students})


def test_the_figures_of_a_class(school, term_data):
    """Do the hand-in, late, distribution, attendance, check-in and streak figures of the class come out as the
    scenario counts them, and is a class of no term left out?"""
    term, _people = term_data
    classes, _students = _report(school, term, school.admin)
    assert set(classes) == {"Existing class", "Second class"}
    c = classes["Existing class"]
    assert (c.row.students, c.row.assignments, c.row.handed_in, c.late, c.missing) == (3, 2, 4, 2, 0)
    assert c.row.hand_in_rate == pytest.approx(400 / 6) and c.late_rate == pytest.approx(50)
    assert c.bands == [1, 1, 0, 1, 1] and c.graded == 4 and c.row.average_grade == pytest.approx(75)
    assert (c.row.lessons_held, c.row.attended) == (2, 3) and c.row.attendance_rate == pytest.approx(50)
    assert (c.checkins_due, c.checkins_done) == (30, 9) and c.checkin_rate == pytest.approx(30)
    assert (c.best_current_streak, c.best_longest_streak) == (2, 5)
    second = classes["Second class"]
    assert (second.row.students, second.row.assignments, second.row.handed_in, second.late, second.late_rate,
            second.missing) == (2, 2, 1, 0, 0, 1)
    assert second.bands == [0] * 5 and second.checkin_rate is None


def test_the_figures_of_each_student(school, term_data):
    """Does each student's line add up their classes of the term (and only those)?"""
    term, people = term_data
    _classes, students = _report(school, term, school.admin)
    assert list(students) == ["Student 1", "Student 2", "Student 3", "Student 4"]
    s1 = students["Student 1"]
    assert (s1.classes, s1.assignments, s1.handed_in, s1.late, s1.missing) == (2, 4, 3, 1, 0)
    assert s1.student_no == f"N{people['s1'].id}"
    assert s1.average_grade == pytest.approx(70) and s1.grades == 2
    assert (s1.lessons_held, s1.attended, s1.attendance_rate, s1.longest_streak) == (2, 2, 100, 5)
    s2 = students["Student 2"]
    assert (s2.handed_in, s2.late, s2.average_grade, s2.attendance_rate, s2.longest_streak) == (1, 0, 65, 50, 2)
    s3 = students["Student 3"]
    assert (s3.handed_in, s3.late, s3.average_grade, s3.attendance_rate) == (1, 1, 95, 0)
    s4 = students["Student 4"]
    assert (s4.classes, s4.hand_in_rate, s4.missing, s4.average_grade, s4.attendance_rate) == (1, 0, 1, None, None)


def test_a_teacher_sees_only_their_classes_and_students(client, login, school, term_data):
    """Does a teacher of the organization find only their own class and its students, on the page and in the
    exports?"""
    term, _people = term_data
    classes, students = _report(school, term, school.teacher2)
    assert set(classes) == {"Second class"} and set(students) == {"Student 1", "Student 4"}
    assert students["Student 1"].classes == 1 and students["Student 1"].longest_streak == 0
    login(school.teacher2)
    page = client.get(f"/orgs/{school.org.id}/terms/{term.id}/report").get_data(as_text=True)
    assert "Second class" in page and "Existing class" not in page and "Student 2" not in page
    text = client.get(f"/orgs/{school.org.id}/terms/{term.id}/report.csv?by=student").get_data(as_text=True)
    assert "Student 4" in text and "Student 2" not in text


def test_a_teacher_finds_the_report_from_the_console(client, login, school, term_data):
    """Does a teacher of the organization, with the console filtered by a term, get a link to that term's report
    (and none without a term filter), and does following it show only their own class?"""
    term, _people = term_data
    login(school.teacher2)
    console = f"/orgs/{school.org.id}/console"
    report = f"/orgs/{school.org.id}/terms/{term.id}/report"
    assert f'href="{report}"' not in client.get(console).get_data(as_text=True)
    assert f'href="{report}"' not in client.get(f"{console}?term=0").get_data(as_text=True)
    page = client.get(f"{console}?term={term.id}").get_data(as_text=True)
    assert f'id="console-term-report" href="{report}"' in page
    response = client.get(report)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Second class" in text and "Existing class" not in text and "Student 2" not in text


def test_the_page(client, login, school, term_data):
    """Does the page show both tables with the numbers (the bars beside them hidden from screen readers), a
    Print button the script shows, no inline script, and is it linked from the term's page?"""
    term, _people = term_data
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/terms/{term.id}/report").get_data(as_text=True)
    row = page.split(f'id="report-class-{school.klass.id}"')[1].split("</tr>")[0]
    assert "67%" in row and "50%" in row and "75%" in row and "30%" in row
    assert 'class="grade-bar"' in row and 'aria-hidden="true"' in row
    assert "<th scope=\"col\" class=\"num\">90–100</th>" in page
    assert 'data-print hidden' in page and "js/orgs/print.js" in page
    assert "<script>" not in page and "onclick" not in page
    assert 'id="report-students"' in page and "Student 4" in page
    term_page = client.get(f"/orgs/{school.org.id}/terms/{term.id}").get_data(as_text=True)
    assert f'href="/orgs/{school.org.id}/terms/{term.id}/report"' in term_page


def test_the_print_stylesheet(app):
    """Does the page's stylesheet print the report alone: no navigation, buttons or links bar, the header row on
    every page, rows never split across pages?"""
    css = (Path(app.static_folder) / "css" / "orgs.css").read_text(encoding="utf-8")
    printed = css.split("@media print")[1]
    assert ".topbar" in printed and ".footer" in printed and ".report-actions" in printed and "button" in printed
    assert "table-header-group" in printed and "break-inside: avoid" in printed


def test_csv_and_xlsx_by_class_and_by_student(client, login, school, term_data):
    """Do the exports hold the classes (or the students) with their figures, numbers as numbers in the XLSX?"""
    term, _people = term_data
    login(school.admin)
    base = f"/orgs/{school.org.id}/terms/{term.id}/report"
    response = client.get(f"{base}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Class" and [r[0] for r in rows[1:]] == ["Existing class", "Second class"]
    header = rows[0]
    existing = dict(zip(header, rows[1]))
    assert existing["Hand-in rate (%)"] == "66.7" and existing["Late hand-ins"] == "2"
    assert existing["Late rate (%)"] == "50.0" and existing["Missing"] == "0" and existing["Grades of <60 %"] == "1"
    assert existing["Grades of 90–100 %"] == "1" and existing["Longest streak (days)"] == "5"
    rows = list(csv.reader(io.StringIO(client.get(f"{base}.csv?by=student").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Student" and [r[0] for r in rows[1:]] == [f"Student {n}" for n in range(1, 5)]
    response = client.get(f"{base}.xlsx?by=student")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Students"
    values = list(sheet.iter_rows(values_only=True))
    s1 = dict(zip(values[0], values[1]))
    assert s1["Student"] == "Student 1" and s1["Classes"] == 2 and s1["Late hand-ins"] == 1 and s1["Missing"] == 0
    assert s1["Average released grade (%)"] == 70 and s1["Longest streak (days)"] == 5
    sheet = load_workbook(io.BytesIO(client.get(f"{base}.xlsx?by=class").data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "Existing class" and dict(zip(values[0], values[1]))["Hand-in rate (%)"] == 66.7


def test_names_cannot_become_formulas(client, login, make, school):
    """Are a class and a student named like formulas exported as text (CSV guarded, XLSX text cells)?"""
    term = _term(school)
    circle = _class(school, "=HYPERLINK(1)", school.teacher, term)
    make.member(circle, make.user("@SUM(A1)"))
    login(school.admin)
    base = f"/orgs/{school.org.id}/terms/{term.id}/report"
    assert "'=HYPERLINK(1)" in client.get(f"{base}.csv").get_data(as_text=True)
    assert "'@SUM(A1)" in client.get(f"{base}.csv?by=student").get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").data)).active
    cell = list(sheet.iter_rows(min_row=2, max_row=2))[0][0]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"


PAGES = ["/orgs/{org}/terms/{term}/report", "/orgs/{org}/terms/{term}/report.csv",
         "/orgs/{org}/terms/{term}/report.xlsx?by=student"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("who, status", [("site_admin", 200), ("admin", 200), ("teacher", 200),
                                         ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                         ("anonymous", 302)])
def test_report_pages_by_role(client, login, make, school, path, who, status):
    """Is each report page there for the organization's admins, site admins and teachers, and a 404 for a
    teacher of another organization, the organization's students and strangers?"""
    term = _term(school)
    school.klass.term_id = term.id
    db.session.commit()
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    response = client.get(path.format(org=school.org.id, term=term.id))
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]


def test_a_term_of_another_organization_is_a_404(client, login, make, school):
    """Does an admin asking for another organization's term under their own get a 404?"""
    other = build_school(make, "Other School")
    term = _term(other)
    db.session.commit()
    login(school.admin)
    assert client.get(f"/orgs/{school.org.id}/terms/{term.id}/report").status_code == 404
    assert client.get(f"/orgs/{school.org.id}/terms/999999/report.csv").status_code == 404


def _count(client, url) -> int:
    db.session.expire_all()
    with QueryCounter() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_query_count_is_the_same_for_5_and_25_classes(client, login, school, hw, make):
    """Does the report issue the same number of queries for a term of 5 classes as of 25, each with students,
    an assignment, a hand-in, a released grade, a live lesson attended and a check-in, for an admin and for a
    teacher?"""
    term = _term(school)
    db.session.commit()
    url = f"/orgs/{school.org.id}/terms/{term.id}/report"
    today = utcnow().date()

    def grow(to: int) -> None:
        have = db.session.scalar(db.select(db.func.count()).select_from(Circle).where(Circle.term_id == term.id))
        circles = org_ops.create_classes(school.org, [f"Room {n:03d}" for n in range(have, to)], school.teacher,
                                         CircleKind.teaching, JoinPolicy.code, actor=school.site_admin)
        for circle in circles:
            circle.term_id = term.id
            students = [make.member(circle, make.user()).user for _n in range(2)]
            assignment = hw.assignment(circle, author=school.teacher)
            hw.submission(assignment, students[0])
            hw.grade(assignment, students[0], score=70)
            [lesson] = _lessons(circle, 1)
            db.session.add(LiveAttendance(lesson_id=lesson.id, user_id=students[0].id))
            task = checkin_ops.create_task(circle, school.teacher, title="Read", starts_on=today)
            db.session.commit()
            _check_in(task, students[1], 0)
        db.session.commit()

    def counts() -> list[int]:
        found = []
        for viewer in (school.admin, school.teacher):
            login(viewer)
            client.get(url)  # warm up (first-run checks, caches)
            found.append(_count(client, url))
        return found

    grow(5)
    few = counts()
    grow(25)
    assert counts() == few
    assert max(few) <= 30


def test_the_students_come_a_page_at_a_time_and_whole_in_the_exports(monkeypatch, client, login, school, term_data):
    """A school's thousands of students: does the page show them STUDENTS_PER_PAGE at a time with a pager
    (the rest on the next page), while the export by student lists every one?"""
    from lms.orgs.console import report_routes

    term, _people = term_data
    monkeypatch.setattr(report_routes, "STUDENTS_PER_PAGE", 1)
    login(school.admin)
    base = f"/orgs/{school.org.id}/terms/{term.id}/report"
    first = client.get(base).get_data(as_text=True)
    assert "The exports by student list every student." in first
    assert first.count('id="report-student-') == 1 and "Page 1 of" in first and "page=2" in first
    second = client.get(base + "?page=2").get_data(as_text=True)
    assert second.count('id="report-student-') == 1 and "Page 2 of" in second
    rows = client.get(base + ".csv?by=student").get_data(as_text=True).strip().splitlines()
    assert len(rows) - 1 == int(first.split("Page 1 of ")[1].split("<")[0])


def test_the_exports_are_in_the_viewers_language(client, login, school, term_data):
    """Are the headers of a streamed export (made while the response is read) in the viewer's language, as the
    page is? (They came out in English: the rows were made after the request had ended.)"""
    import io as io_module

    from openpyxl import load_workbook

    term, _people = term_data
    login(school.admin)
    base = f"/orgs/{school.org.id}/terms/{term.id}/report"
    chinese = {"Accept-Language": "zh-CN"}
    csv_text = client.get(base + ".csv?by=student", headers=chinese).get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").startswith('"学生"')
    sheet = load_workbook(io_module.BytesIO(client.get(base + ".xlsx", headers=chinese).data)).active
    assert sheet.title == "班级" and sheet["A1"].value == "班级"
    console = client.get(f"/orgs/{school.org.id}/console.csv", headers=chinese).get_data(as_text=True)
    assert console.lstrip("\ufeff").startswith('"班级"')
