"""The gradebook: totals by points and weighted categories, late and missing markers, statistics, who sees what,
and a query count that does not grow with the class."""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lms.circles.models import CircleKind
from lms.grading import operations as grading_ops
from lms.extensions import db
from lms.homework import lateness as rules
from lms.homework import operations as hw_ops
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later


@pytest.fixture
def book(klass, hw, grading):
    """Homework 40 %, Exam 40 % (uncategorised work shares the other 20 %), five assignments:

    student:   H1 8/10, H2 20/20 handed in 2 days late (−20 % → 16), E1 40/50, U1 5/10; M1 nothing (missing)
    classmate: H1 excused, E1 25/50, nothing handed in (H2 and M1 missing)
    Everything released except the student's U1.
    """
    circle, teacher = klass.circle, klass.teacher
    homework = grading.category(circle, klass.owner, "Homework", 40)
    exam = grading.category(circle, klass.owner, "Exam", 40)
    h1 = hw.assignment(circle, accepts="text", title="H1", points=10, category_id=homework.id, due_at=ago(days=10))
    h2 = hw.assignment(circle, accepts="text", title="H2", points=20, category_id=homework.id, due_at=ago(hours=30),
                       late_policy="penalty", late_penalty_per_day=10, late_penalty_cap=50)
    e1 = hw.assignment(circle, accepts="text", title="E1", points=50, category_id=exam.id)
    u1 = hw.assignment(circle, accepts="text", title="U1", points=10)
    m1 = hw.assignment(circle, accepts="text", title="M1", points=10, due_at=ago(hours=1))
    hw.assignment(circle, accepts="text", title="Draft", points=10, publish=False)
    for assignment in (h1, e1, u1):
        hw.submission(assignment, klass.student, text="work", now=ago(days=11) if assignment is h1 else None)
    hw.submission(h2, klass.student, text="late work")
    grading.grade(h1, klass.student, teacher, score=8, release=True)
    grading.grade(h2, klass.student, teacher, score=20, release=True)
    grading.grade(e1, klass.student, teacher, score=40, release=True)
    grading.grade(u1, klass.student, teacher, score=5)
    grading_ops.set_excused(h1, klass.classmate, teacher)
    grading.grade(e1, klass.classmate, teacher, score=25)
    grading_ops.release_grades(h1, teacher)
    grading_ops.release_grades(e1, teacher)
    db.session.commit()
    return {"h1": h1, "h2": h2, "e1": e1, "u1": u1, "m1": m1}


def _json(client, klass):
    response = client.get(f"/circles/{klass.circle.id}/grades", headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.get_json()


def test_totals_by_points_and_weighted_categories(klass, client_as, book):
    """Are the totals the documented ones: final scores after late penalty; category percentages weighted?"""
    data = _json(client_as(klass.teacher), klass)
    assert [a["title"] for a in data["assignments"]] == ["H1", "H2", "M1", "E1", "U1"]
    rows = {s["user_id"]: s for s in data["students"]}
    student = rows[klass.student.id]
    scores = {g["assignment_id"]: g for g in student["grades"]}
    assert scores[book["h2"].id]["score"] == 16 and scores[book["h2"].id]["late"]
    assert scores[book["m1"].id]["missing"] and scores[book["m1"].id]["score"] is None
    assert (student["points"], student["possible"], student["percent"]) == (69, 90, 76.67)
    # Homework (8 + 16) / 30 = 80 %, Exam 40 / 50 = 80 %, uncategorised 5 / 10 = 50 % at the remaining 20 %.
    assert student["weighted"] == 74
    classmate = rows[klass.classmate.id]
    marks = {g["assignment_id"]: g for g in classmate["grades"]}
    assert marks[book["h1"].id]["excused"] and not marks[book["h1"].id]["missing"]
    assert marks[book["h2"].id]["missing"]
    assert (classmate["points"], classmate["possible"], classmate["weighted"]) == (25, 50, 50)


def test_student_sees_only_their_own_released_grades(klass, client_as, book):
    """Does a student's gradebook hold only their row, with unreleased grades left out of cells and totals?"""
    client = client_as(klass.student)
    data = _json(client, klass)
    assert [s["user_id"] for s in data["students"]] == [klass.student.id]
    [me] = data["students"]
    scores = {g["assignment_id"]: g["score"] for g in me["grades"]}
    assert scores[book["u1"].id] is None  # graded, not released
    assert (me["points"], me["possible"], me["weighted"]) == (64, 80, 80)
    assert data["statistics"] == [None] * 5
    html = client.get(f"/circles/{klass.circle.id}/grades").get_data(as_text=True)
    # their own list, one assignment a row (no grid of one student's row), totals below
    assert 'class="table my-grades"' in html and 'class="table gradebook"' not in html
    assert html.count('<th scope="row"><a href="/circles/') == 5 and "64 / 80" in html
    assert "Classmate In Class" not in html and "Mean" not in html
    other = _json(client_as(klass.classmate), klass)
    assert [s["user_id"] for s in other["students"]] == [klass.classmate.id]
    assert {g["score"] for g in other["students"][0]["grades"]} == {None, 25}


def test_statistics_and_distribution_chart(klass, client_as, book):
    """Do staff see mean, median, min, max and count per assignment, and a server-drawn SVG bar chart?"""
    client = client_as(klass.assistant)
    data = _json(client, klass)
    stats = {s["assignment_id"]: s for s in data["statistics"]}
    exam = stats[book["e1"].id]
    assert (exam["count"], exam["mean"], exam["median"], exam["min"], exam["max"]) == (2, 32.5, 32.5, 25, 40)
    assert exam["bins"] == [0, 0, 0, 0, 0, 1, 0, 0, 1, 0]
    assert stats[book["m1"].id]["count"] == 0
    response = client.get(f"/circles/{klass.circle.id}/grades")
    html = response.get_data(as_text=True)
    assert html.count('<svg class="histogram"') == 5 and html.count("<rect ") == 50
    assert "style=" not in html and "<style" not in html  # the CSP allows neither
    text = page_text(response)
    assert "Mean" in text and "Median" in text
    assert "hidden" in text  # the student's unreleased U1 is marked for staff


def test_weights_warning_and_tab(klass, client_as, book, grading):
    """Does the gradebook warn staff when the category weights do not add up to 100 %, and the circle show a Grades tab?"""
    client = client_as(klass.teacher)
    page = page_text(client.get(f"/circles/{klass.circle.id}/grades"))
    assert "The category weights add up to 80 %, not 100 %." in page
    grading.category(klass.circle, klass.owner, "Project", 20)
    assert "not 100 %" not in page_text(client.get(f"/circles/{klass.circle.id}/grades"))
    home = client_as(klass.student).get(f"/c/{klass.circle.id}").get_data(as_text=True)
    assert f'href="/circles/{klass.circle.id}/grades"' in home


def test_staff_are_told_which_assignments_count_nowhere(klass, client_as, book, grading):
    """With the weights at 80 %, U1 and M1 (no category) share the other 20 %: no note. Once a Project category
    takes those 20 % (and a Bonus category weighs 0 %), does the gradebook name U1, M1 and the Bonus work as
    counting nowhere, to staff only, and leave the weighted totals as the rule makes them?"""
    client = client_as(klass.teacher)
    url = f"/circles/{klass.circle.id}/grades"
    assert "counts nowhere" not in page_text(client.get(url)) and "count nowhere" not in page_text(client.get(url))
    before = _json(client, klass)
    grading.category(klass.circle, klass.owner, "Project", 20)
    bonus = grading.category(klass.circle, klass.owner, "Bonus", 0)
    book["h1"].category_id = bonus.id
    db.session.commit()
    text = page_text(client.get(url))
    assert ("With the category weights as they are, 3 assignments count nowhere in the weighted total: "
            "H1 (Bonus), M1 (No category), and U1 (No category)") in text
    # no English full stop after the list: in Chinese it read "（不分类）."
    assert "(No category)." not in text
    assert "count nowhere" not in page_text(client_as(klass.student).get(url))
    [row] = [s for s in _json(client, klass)["students"] if s["user_id"] == klass.student.id]
    # H2 16/20 = 80 % (Homework 40), E1 40/50 = 80 % (Exam 40): U1's 50 % no longer counts
    assert row["weighted"] == 80 and before != _json(client, klass)


def test_no_categories_weighted_equals_points(klass, client_as, hw, grading):
    """Without categories, is the weighted total the points percentage?"""
    a = hw.assignment(klass.circle, accepts="text", points=10)
    b = hw.assignment(klass.circle, accepts="text", points=30)
    grading.grade(a, klass.student, klass.teacher, score=10)
    grading.grade(b, klass.student, klass.teacher, score=15)
    [row] = [s for s in _json(client_as(klass.teacher), klass)["students"] if s["user_id"] == klass.student.id]
    assert (row["percent"], row["weighted"]) == (62.5, 62.5)


@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 200), ("assistant", 200), ("admin", 200)])
def test_who_opens_the_gradebook(klass, client_as, role, status):
    """Members open the gradebook (students their own row); people outside the circle get 404, in JSON too."""
    client = client_as(getattr(klass, role))
    assert client.get(f"/circles/{klass.circle.id}/grades").status_code == status
    response = client.get(f"/circles/{klass.circle.id}/grades", headers={"Accept": "application/json"})
    assert response.status_code == status


def test_no_gradebook_in_community_circles(make, client_as):
    """Is there no gradebook (404, no tab) in a community circle?"""
    owner = make.user()
    circle = make.circle(owner, kind=CircleKind.community)
    client = client_as(owner)
    assert client.get(f"/circles/{circle.id}/grades").status_code == 404
    assert "/grades" not in client.get(f"/c/{circle.id}").get_data(as_text=True)


def _class_of(make, hw, grading, size: int):
    owner = make.user()
    circle = make.circle(owner)
    students = [make.member(circle, make.user(), display_name=f"Pupil {n}").user for n in range(size)]
    rubric = grading.rubric(circle, owner)
    category = grading.category(circle, owner, "Homework", 50)
    for n in range(3):
        assignment = hw.assignment(circle, author=owner, accepts="text", points=10, rubric_id=rubric.id if n else None,
                                   category_id=category.id if n == 1 else None, due_at=ago(hours=1))
        for m, student in enumerate(students):
            if m % 3:
                hw.submission(assignment, student, text="x", now=ago(hours=2))
            if n == 0 and m % 2:
                grading.grade(assignment, student, owner, score=m % 10, release=m % 4 == 1)
        # Every fifth student has an extension: deadlines are read in one query, not one per student.
        hw_ops.grant_extension(assignment, students[::5], owner, due_at=later(days=1))
        db.session.commit()
    return owner, circle


def test_query_count_does_not_grow_with_the_class(app, make, hw, grading, client_as, count_queries):
    """Does the gradebook (HTML and CSV) run the same number of SQL statements for 3 students as for 30, with
    some of them on extensions?"""
    counts = {}
    for size in (3, 30):
        owner, circle = _class_of(make, hw, grading, size)
        client = client_as(owner)
        for kind, url in (("html", f"/circles/{circle.id}/grades"),
                          ("csv", f"/circles/{circle.id}/grades.csv?format=moodle")):
            assert client.get(url).status_code == 200  # warm-up: templates compiled, sessions loaded
            with count_queries:
                response = client.get(url)
                response.get_data()
            assert response.status_code == 200
            counts[(size, kind)] = count_queries.count
    assert counts[(3, "html")] == counts[(30, "html")], counts
    assert counts[(3, "csv")] == counts[(30, "csv")], counts
    assert counts[(30, "html")] < 20, counts
    # The rows are really there (the equal counts are not an empty page).
    text = page_text(client.get(f"/circles/{circle.id}/grades"))
    assert len(re.findall(r"Pupil \d+", text)) == 30


def _rows_of(html: str) -> dict[str, list[str]]:
    """Student name → the markup of each cell of their row (assignments, then points, %, weighted %)."""
    rows = {}
    for name, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', html, flags=re.S):
        rows[name] = re.findall(r'<td class="num">(.*?)</td>', cells, flags=re.S)
    return rows


def test_cells_show_scores_and_markers(klass, client_as, book):
    """Does each cell of the staff gradebook show the final score and its markers (late, missing, excused, not
    released) in the assignments' order, with the row's totals after them?"""
    html = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/grades").get_data(as_text=True)
    rows = _rows_of(html)
    late = ' <span class="badge badge-late">Late</span>'
    missing = '<span class="badge badge-missing">Missing</span>'
    # Columns: H1, H2, M1, E1, U1 (by due time, undated last), then points, %, weighted %.
    assert rows["Student In Class"] == [
        "8", "16" + late, missing, "40", '5 <span class="badge badge-hidden" title="Not released">hidden</span>',
        "69 / 90", "76.67", "74"]
    assert rows["Classmate In Class"] == [
        '<span class="badge" title="Excused">EX</span>', missing, missing, "25", '<span class="muted">–</span>',
        "25 / 50", "50", "50"]
    # a student's own grades: one assignment a row, in the same order, the totals below
    mine = client_as(klass.student).get(f"/circles/{klass.circle.id}/grades").get_data(as_text=True)
    cells = re.findall(r'<th scope="row"><a href="[^"]+/feedback">[^<]+</a>.*?</th>\s*<td class="num">(.*?)</td>',
                       mine, flags=re.S)
    assert cells == ["8", "16" + late, missing, "40", '<span class="muted">Submitted</span>']
    assert _rows_of(mine) == {"Points": ["64 / 80"], "%": ["80"], "Weighted %": ["80"]}


def test_rows_are_the_circles_learners(klass, client_as, book, make):
    """Does the gradebook list exactly homework's learners, in its order (active students, by display name),
    leaving out staff and people who left or are waiting for approval?"""
    from lms.circles.models import MembershipStatus
    from lms.homework import queries as hq

    gone = make.member(klass.circle, display_name="Aaron Left")
    gone.status = MembershipStatus.left
    waiting = make.member(klass.circle, display_name="Abe Waiting")
    waiting.status = MembershipStatus.pending
    db.session.commit()
    data = _json(client_as(klass.teacher), klass)
    assert [s["user_id"] for s in data["students"]] == [m.user_id for m in hq.learners(klass.circle)]
    assert [s["name"] for s in data["students"]] == ["Classmate In Class", "Student In Class"]


def test_penalty_follows_the_graded_version_not_the_latest(klass, hw, grading, client_as):
    """A grade names the version it graded: work handed in on time and graded, then handed in again late, is
    marked late (the latest version) but loses nothing; a grade of the late version loses its late days'
    penalty. Both in the gradebook's cells and its totals."""
    assignment = hw.assignment(klass.circle, accepts="text", points=10, due_at=ago(days=3), late_policy="penalty",
                               late_penalty_per_day=10, late_penalty_cap=50)
    for student in (klass.student, klass.classmate):
        hw.submission(assignment, student, text="on time", now=ago(days=4))
    grading.grade(assignment, klass.student, klass.teacher, score=8)  # grades the on-time version
    for student in (klass.student, klass.classmate):
        hw.submission(assignment, student, text="again, late", now=ago(days=1, hours=12))
    grading.grade(assignment, klass.classmate, klass.teacher, score=8)  # grades the late version
    rows = {s["user_id"]: s for s in _json(client_as(klass.teacher), klass)["students"]}
    [mine] = rows[klass.student.id]["grades"]
    [theirs] = rows[klass.classmate.id]["grades"]
    assert (mine["score"], mine["late"], mine["days_late"], mine["penalty_percent"]) == (8, True, 2, 0)
    assert (theirs["score"], theirs["late"], theirs["days_late"], theirs["penalty_percent"]) == (6, True, 2, 20)
    assert (rows[klass.student.id]["points"], rows[klass.classmate.id]["points"]) == (8, 6)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("due", [datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc),  # New York's clocks go back
                                 datetime(2026, 3, 8, 6, 30, tzinfo=timezone.utc),  # ...and forward
                                 datetime(2026, 4, 4, 15, 15, tzinfo=timezone.utc)])  # Lord Howe's half hour back
def test_late_days_of_a_column_are_the_rules_answer(zone, due):
    """The gradebook counts a column's late days with rules.LateDays (late-day ends worked out once): for work
    received on the due time, a second after, on each late day's end and a second after it, at random times
    over two months, in any order, across daylight-saving changes, is its answer rules.lateness's?"""
    tz = ZoneInfo(zone)
    deadline = rules.Deadline(due_at=due)
    policy = rules.Policy(rules.LatePolicy.penalty, 7.5, 60)
    column = rules.LateDays(deadline, policy, tz)
    times = [due - timedelta(days=1), due, due + timedelta(seconds=1)]
    for day in range(1, 12):
        end = rules.late_day_end(due, day, tz)
        times += [end - timedelta(seconds=1), end, end + timedelta(seconds=1)]
    draw = random.Random(f"{zone}{due}")
    times += [due + timedelta(seconds=draw.randrange(60 * 86400)) for _ in range(300)]
    draw.shuffle(times)
    for received_at in times:
        assert column(received_at) == rules.lateness(received_at, deadline, policy, tz), received_at
    assert rules.LateDays(rules.Deadline(), policy, tz)(due) == rules.ON_TIME  # no due time: never late
