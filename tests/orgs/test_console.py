"""Classes at a glance (/orgs/<id>/console): the figures of every class, its filters, order, flags, exports,
who sees which classes, and a query count that does not grow with the number of classes."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from lms.checkins.models import Checkin, CheckinTask
from lms.accounts.models import User
from lms.circles.models import CircleKind, JoinPolicy, Membership, MembershipStatus, Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice, NoticeRead
from lms.live.models import LessonState, LiveAttendance, LiveLesson
from lms.orgs import operations as org_ops
from lms.orgs.console import figures
from lms.homework.models import Assignment
from lms.orgs.models import ClassFigures, Term
from tests.fixtures.queries import QueryCounter
from tests.orgs.school import build_school


@pytest.fixture
def busy(make, hw, school):
    """The school's "Existing class" (Tom) has 4 active students and 1 pending request; 2 published assignments
    (and a draft): s1 and s2 hand in the first, s1 hands in the second twice (3 of 8 pairs: 37.5 %); released
    grades 80 and 60 of 100 (70 %), an unreleased 10 ignored; 2 live lessons held (and 1 cancelled): s1 and s2
    came to the first (s1 twice), s1 to the second (3 of 8: 37.5 %); 2 published notices (and a draft): s1
    read both, s2 one (5 of 8 unread); a daily check-in task: s1 checked in on 7 of the last 14 days (7 of
    56: 12.5 %). "Quiet class" (Tina) was made 20 days ago and nothing happened in it since."""
    klass = school.klass
    students = [make.member(klass, make.user(f"Student {n}")).user for n in range(1, 5)]
    pending = make.member(klass, make.user("Pending Pat"))
    pending.status = MembershipStatus.pending
    first, second = hw.assignment(klass, author=school.teacher), hw.assignment(klass, author=school.teacher)
    hw.assignment(klass, author=school.teacher, publish=False)
    s1, s2 = students[0], students[1]
    hw.submission(first, s1), hw.submission(first, s2), hw.submission(second, s1), hw.submission(second, s1)
    hw.grade(first, s1, score=80), hw.grade(first, s2, score=60), hw.grade(second, s1, score=10, released=False)
    now = utcnow()
    lessons = [LiveLesson(circle_id=klass.id, title=f"Lesson {n}", starts_at=now - timedelta(days=n),
                          state=LessonState.ended, went_live_at=now - timedelta(days=n), ended_at=now)
               for n in (1, 2)]
    lessons.append(LiveLesson(circle_id=klass.id, title="Called off", starts_at=now, state=LessonState.cancelled))
    db.session.add_all(lessons)
    db.session.flush()
    for lesson, user in [(lessons[0], s1), (lessons[0], s1), (lessons[0], s2), (lessons[1], s1)]:
        db.session.add(LiveAttendance(lesson_id=lesson.id, user_id=user.id))
    notices = [Notice(circle_id=klass.id, title=f"Notice {n}", publish_at=now - timedelta(days=n)) for n in (1, 2)]
    notices.append(Notice(circle_id=klass.id, title="Draft"))
    db.session.add_all(notices)
    db.session.flush()
    for notice, user in [(notices[0], s1), (notices[1], s1), (notices[0], s2)]:
        db.session.add(NoticeRead(notice_id=notice.id, user_id=user.id))
    task = CheckinTask(circle_id=klass.id, title="Read", starts_on=(now - timedelta(days=30)).date())
    db.session.add(task)
    db.session.flush()
    for n in range(7):
        db.session.add(Checkin(task_id=task.id, user_id=s1.id, day=(now - timedelta(days=n)).date()))
    [quiet] = org_ops.create_classes(school.org, ["Quiet class"], school.teacher2, CircleKind.community,
                                     JoinPolicy.code, actor=school.site_admin)
    quiet.created_at = now - timedelta(days=20)
    db.session.commit()
    return klass, quiet


def _rows(school, viewer, **filters):
    return {r.circle.name: r for r in figures.class_rows(school.org, viewer, figures.Filters(**filters))}


def test_the_figures_of_a_busy_class(school, busy):
    """Does each figure of the busy class come out as the scenario counts it?"""
    row = _rows(school, school.admin)["Existing class"]
    assert [m.user_id for m in row.teachers] == [school.teacher.id]
    assert (row.students, row.pending, row.assignments, row.handed_in) == (4, 1, 2, 3)
    assert row.hand_in_rate == pytest.approx(37.5)
    assert row.average_grade == pytest.approx(70)
    assert (row.lessons_held, row.attended) == (2, 3) and row.attendance_rate == pytest.approx(37.5)
    assert (row.notices, row.notices_unread) == (2, 5)
    assert (row.checkins_due, row.checkins_done) == (56, 7) and row.checkin_rate == pytest.approx(12.5)
    assert row.last_activity_at is not None and not row.is_quiet
    assert sum(row.weeks) == 4 + 2 + 2 + 7  # hand-ins, live lessons, notices, check-ins
    assert row.weeks[-1] >= 4


def test_a_class_with_nothing_for_two_weeks_is_flagged(client, login, school, busy):
    """Is the class where nothing happened for 20 days flagged, and shown so in the table?"""
    rows = _rows(school, school.admin)
    assert rows["Quiet class"].is_quiet and rows["Quiet class"].last_activity_at is None
    assert rows["Quiet class"].weeks == [0] * figures.CHART_WEEKS
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/console").get_data(as_text=True)
    quiet_row = page.split(f'id="class-{busy[1].id}"')[1].split("</tr>")[0]
    assert "is-quiet" in page.split(f'id="class-{busy[1].id}"')[1][:40] and "Quiet for two weeks" in quiet_row
    assert "<svg" in quiet_row and "<script" not in page.split("<main")[-1]


def test_a_teacher_sees_only_their_own_classes(client, login, school, busy):
    """Does a teacher of the organization find only the classes they teach, whatever the filters say?"""
    assert set(_rows(school, school.teacher2)) == {"Quiet class"}
    login(school.teacher2)
    page = client.get(f"/orgs/{school.org.id}/console?teacher={school.teacher.id}").get_data(as_text=True)
    assert "Quiet class" in page and "Existing class" not in page
    assert 'name="teacher"' not in page


def test_filters_by_teacher_kind_and_term(client, login, school, busy):
    """Do the teacher, kind and term filters narrow the table?"""
    klass, quiet = busy
    term = Term(org_id=school.org.id, name="Autumn 2026", starts_on=utcnow().date(),
                ends_on=utcnow().date() + timedelta(days=90))
    db.session.add(term)
    db.session.flush()
    klass.term_id = term.id
    db.session.commit()
    assert set(_rows(school, school.admin, teacher_id=school.teacher2.id)) == {"Quiet class"}
    assert set(_rows(school, school.admin, kind=CircleKind.teaching)) == {"Existing class"}
    assert set(_rows(school, school.admin, term_id=term.id)) == {"Existing class"}
    assert set(_rows(school, school.admin, term_id=0)) == {"Quiet class"}
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/console?kind=community").get_data(as_text=True)
    assert "Quiet class" in page and "Existing class" not in page
    page = client.get(f"/orgs/{school.org.id}/console?term={term.id}").get_data(as_text=True)
    assert "Existing class" in page and "Quiet class" not in page and "Autumn 2026" in page


@pytest.mark.parametrize("sort, first", [("members", "Quiet class"), ("-members", "Existing class"),
                                         ("-name", "Quiet class"), ("handin", "Existing class"),
                                         ("-handin", "Existing class"), ("activity", "Existing class")])
def test_sorting(client, login, school, busy, sort, first):
    """Does each column sort the table, classes without a figure last either way?"""
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/console?sort={sort}").get_data(as_text=True)
    body = page.split("<tbody>")[1]
    others = {"Existing class", "Quiet class"} - {first}
    assert all(body.index(first) < body.index(other) for other in others)


def test_csv_and_xlsx_exports(client, login, school, busy):
    """Do the CSV and XLSX exports hold every class of the page with its figures (numbers as numbers)?"""
    login(school.admin)
    response = client.get(f"/orgs/{school.org.id}/console.csv?sort=name")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Class" and [r[0] for r in rows[1:]] == ["Existing class", "Quiet class"]
    assert rows[1][9] == "37.5" and rows[1][10] == "70.0" and rows[2][15] == "yes"
    response = client.get(f"/orgs/{school.org.id}/console.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "Existing class" and values[1][4] == 5 and values[1][9] == 37.5


def test_a_class_name_cannot_become_a_formula_in_the_csv(client, login, school):
    """Is a class named like a formula exported as text?"""
    org_ops.create_classes(school.org, ["=HYPERLINK(1)"], school.teacher, CircleKind.teaching, JoinPolicy.code,
                           actor=school.site_admin)
    db.session.commit()
    login(school.admin)
    assert "'=HYPERLINK(1)" in client.get(f"/orgs/{school.org.id}/console.csv").get_data(as_text=True)


PAGES = ["/orgs/{id}/console", "/orgs/{id}/console.csv", "/orgs/{id}/console.xlsx"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("who, status", [("site_admin", 200), ("admin", 200), ("teacher", 200),
                                         ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                         ("anonymous", 302)])
def test_console_pages_by_role(client, login, make, school, path, who, status):
    """Is each console page there for the organization's admins, site admins and teachers, and a 404 for a
    teacher of another organization, the organization's students and strangers?"""
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    response = client.get(path.format(id=school.org.id))
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]


def test_the_org_page_links_the_console(client, login, school):
    """Do the organization's admins and teachers find the console from its page, and its students not?"""
    for user, linked in [(school.admin, True), (school.teacher, True), (school.student, False)]:
        login(user)
        page = client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
        assert (f'href="/orgs/{school.org.id}/console"' in page) is linked


def test_the_table_scrolls_in_its_own_box(client, login, school):
    """Is the wide table inside a scrolling box (not stacked into cards) so a 390 px phone page does not
    overflow?"""
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/console").get_data(as_text=True)
    assert '<div class="table-wrap">\n  <table class="table console-table">' in page
    assert "table-stack" not in page.split('class="table-wrap"')[1].split("</table>")[0]


def _count(client, url) -> int:
    db.session.expire_all()
    with QueryCounter() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_query_count_is_the_same_at_50_and_500_classes(client, login, school, hw, make):
    """Does the console issue the same number of queries with 50 classes as with 500 (20 of them with a
    student, an assignment and a hand-in), for an admin and for a teacher?"""
    url = f"/orgs/{school.org.id}/console?sort=-activity"

    def grow(to: int) -> None:
        have = db.session.scalar(db.select(db.func.count()).select_from(figures.Circle)
                                 .where(figures.Circle.org_id == school.org.id))
        circles = org_ops.create_classes(school.org, [f"Room {n:03d}" for n in range(have, to)], school.teacher,
                                         CircleKind.teaching, JoinPolicy.code, actor=school.site_admin)
        student = make.user()
        for circle in circles[:20]:
            make.member(circle, student, Role.student)
            hw.submission(hw.assignment(circle, author=school.teacher), student)
        db.session.commit()

    def counts() -> list[int]:
        found = []
        for viewer in (school.admin, school.teacher):
            login(viewer)
            client.get(url)  # warm up (first-run checks, caches)
            found.append(_count(client, url))
        return found

    grow(50)
    few = counts()
    grow(500)
    assert counts() == few
    assert max(few) <= 12  # the kept figures: classes, terms, teachers, figures, and the page's own


def test_counting_again_takes_the_same_queries_at_50_and_500_classes(app, client, login, school, monkeypatch):
    """When every class's figures are counted again at each view (CONSOLE_FIGURES_MAX_AGE 0), is the query count
    the same for 50 classes as for 500?"""
    monkeypatch.setitem(app.config, "CONSOLE_FIGURES_MAX_AGE", 0)
    login(school.admin)
    url = f"/orgs/{school.org.id}/console"
    found = []
    for have, to in [(1, 50), (50, 500)]:
        org_ops.create_classes(school.org, [f"Room {n:03d}" for n in range(have, to)], school.teacher,
                               CircleKind.teaching, JoinPolicy.code, actor=school.site_admin)
        db.session.commit()
        client.get(url)
        found.append(_count(client, url))
    assert found[0] == found[1] and found[0] >= 15, found  # the counting queries ran: nothing was kept


def _kept(circle_id: int) -> ClassFigures | None:
    db.session.expire_all()
    return db.session.get(ClassFigures, circle_id)


def test_figures_are_kept_then_counted_again_when_old(client, login, school, busy, hw):
    """Does the console keep each class's figures, show them until they are older than
    CONSOLE_FIGURES_MAX_AGE, say when they were counted, and count them again after that?"""
    klass = busy[0]
    login(school.admin)
    url = f"/orgs/{school.org.id}/console"
    page = client.get(url).get_data(as_text=True)
    assert "Figures as of" in page and 'id="console-recount"' in page
    kept = _kept(klass.id)
    assert kept is not None and kept.figures["handed_in"] == 3 and kept.figures["students"] == 4
    first_count = kept.counted_at

    student = db.session.scalar(db.select(User).where(User.name == "Student 3"))
    hw.submission(db.session.scalars(db.select(Assignment).where(Assignment.circle_id == klass.id,
                                                                  Assignment.is_published.is_(True))).first(),
                  student)
    db.session.commit()
    client.get(url)
    kept = _kept(klass.id)
    assert kept.figures["handed_in"] == 3 and kept.counted_at == first_count  # young figures are shown as kept

    kept.counted_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert _kept(klass.id).figures["handed_in"] == 4
    row = page.split(f'id="class-{klass.id}"')[1].split("</tr>")[0]
    assert "50%" in row  # 4 hand-ins of 2 assignments × 4 students


def test_count_again_now(client, login, school, busy, hw):
    """Does "Count again now" count the figures of the classes in view at once and come back to the same view;
    is it refused (404) to those who do not see the console?"""
    klass = busy[0]
    login(school.admin)
    client.get(f"/orgs/{school.org.id}/console")
    assert _kept(klass.id).figures["students"] == 4
    leaving = db.session.scalar(db.select(User).where(User.name == "Student 4"))
    db.session.delete(db.session.scalar(db.select(Membership).where(Membership.circle_id == klass.id,
                                                                     Membership.user_id == leaving.id)))
    db.session.commit()

    response = client.post(f"/orgs/{school.org.id}/console/recount?sort=-members&kind=teaching")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orgs/{school.org.id}/console?sort=-members&kind=teaching")
    assert _kept(klass.id).figures["students"] == 3

    login(school.student)
    assert client.post(f"/orgs/{school.org.id}/console/recount").status_code == 404


def test_count_again_now_says_it_did(client, login, school, busy):
    """Does the page after "Count again now" say the figures were just counted (it came back looking the same but for
    the time in a hint: fresh-eyes trial)?"""
    login(school.admin)
    page = client.post(f"/orgs/{school.org.id}/console/recount", follow_redirects=True).get_data(as_text=True)
    assert "flash-success" in page and "The figures were counted again just now." in page
