"""One person's activity across the organization's classes (/orgs/<id>/people/<uid>/activity): per class their
role, hand-ins done, late and missing (an extension counts), grades released, live minutes, check-in streak and
last activity; who may see it; a query count that does not grow with the number of classes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.checkins.models import Checkin, CheckinTask
from lms.checkins.operations import recompute_streaks
from lms.circles.models import CircleKind, JoinPolicy, Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework.models import Extension
from lms.live.models import LessonState, LiveAttendance, LiveLesson
from lms.orgs import operations as org_ops
from lms.orgs.console.activity import person_activity
from tests.fixtures.queries import QueryCounter
from tests.orgs.school import build_school


@pytest.fixture
def mei(make, hw, school):
    """In "Existing class" Mei, a student, has four assignments due two days ago: one handed in on time, one a
    day late, one not handed in (missing), one not handed in with an extension to next week (not missing); a
    released grade of 80 of 100 and an unreleased one; 10 minutes present in a 10-minute live lesson (and a
    cancelled one); check-ins on the last 3 days of a daily task. In "Room B" she is an assistant."""
    klass = school.klass
    mei = make.user("Mei Chen")
    make.member(klass, mei)
    now = utcnow()
    due = now - timedelta(days=2)
    on_time, late, missing, extended = (hw.assignment(klass, author=school.teacher, due_at=due) for _ in range(4))
    hw.submission(on_time, mei, now=due - timedelta(days=1))
    hw.submission(late, mei, now=due + timedelta(days=1))
    hw.submission(late, mei, now=due + timedelta(days=1, hours=1))  # a second version: still one hand-in
    db.session.add(Extension(assignment_id=extended.id, student_id=mei.id, due_at=now + timedelta(days=5)))
    hw.grade(on_time, mei, score=80)
    hw.grade(late, mei, score=10, released=False)
    went_live = now - timedelta(hours=1)
    lesson = LiveLesson(circle_id=klass.id, title="Lesson", starts_at=went_live, state=LessonState.ended,
                        went_live_at=went_live, ended_at=went_live + timedelta(minutes=10))
    called_off = LiveLesson(circle_id=klass.id, title="Called off", starts_at=now, state=LessonState.cancelled)
    db.session.add_all([lesson, called_off])
    db.session.flush()
    db.session.add(LiveAttendance(lesson_id=lesson.id, user_id=mei.id, joined_at=went_live,
                                  last_seen_at=lesson.ended_at, left_at=lesson.ended_at))
    today = now.astimezone(klass.zone).date()
    task = CheckinTask(circle_id=klass.id, title="Read", starts_on=today - timedelta(days=30))
    db.session.add(task)
    db.session.flush()
    for n in range(3):
        db.session.add(Checkin(task_id=task.id, user_id=mei.id, day=today - timedelta(days=n)))
    db.session.flush()
    recompute_streaks(task)
    [room_b] = org_ops.create_classes(school.org, ["Room B"], school.teacher2, CircleKind.teaching, JoinPolicy.code,
                                      actor=school.site_admin)
    make.member(room_b, mei, role=Role.assistant)
    db.session.commit()
    return mei, room_b


def test_the_figures_of_each_class(school, mei):
    """Does each figure come out as the scenario counts it, and is the assistant's class without hand-ins?"""
    user, room_b = mei
    rows = {r.membership.circle.name: r for r in person_activity(school.org, user)}
    row = rows["Existing class"]
    assert (row.membership.role, row.assignments, row.handed_in, row.late, row.missing) == (Role.student, 4, 2, 1, 1)
    assert (row.grades_released, row.average_grade) == (1, 80.0)
    assert (row.lessons_held, row.live_minutes) == (1, 10)
    assert (row.streak, row.longest_streak) == (3, 3)
    assert row.last_activity_at is not None
    other = rows["Room B"]
    assert other.membership.role == Role.assistant and (other.assignments, other.live_minutes) == (0, 0)
    assert other.last_activity_at is None


def test_the_page_shows_the_figures(client, login, school, mei):
    """Does the page show her classes, her role in each and the figures?"""
    user, room_b = mei
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/people/{user.id}/activity").get_data(as_text=True)
    assert f'id="activity-{school.klass.id}"' in page and f'id="activity-{room_b.id}"' in page
    row = page.split(f'id="activity-{school.klass.id}"')[1].split("</tr>")[0]
    assert "2 of 4" in row and '<td class="num" data-col="missing">1</td>' in row
    assert '<td class="num" data-col="live">10</td>' in row
    assert f'/orgs/{school.org.id}/people/{user.id}/activity' in client.get(
        f"/orgs/{school.org.id}/people/{user.id}").get_data(as_text=True)


def test_the_query_count_does_not_grow_with_the_classes(client, login, make, hw, school, mei):
    """Is the page's query count the same with her in 2 classes and in 12 (each with an assignment, a hand-in,
    a lesson and a check-in task)?"""
    user = mei[0]
    login(school.admin)
    url = f"/orgs/{school.org.id}/people/{user.id}/activity"

    def count() -> int:
        with QueryCounter() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    count()  # the first request warms the per-process caches
    few = count()
    now = utcnow()
    for klass in org_ops.create_classes(school.org, [f"Class {n}" for n in range(10)], school.teacher,
                                        CircleKind.teaching, JoinPolicy.code, actor=school.site_admin):
        make.member(klass, user)
        hw.submission(hw.assignment(klass, author=school.teacher), user)
        db.session.add(LiveLesson(circle_id=klass.id, title="L", starts_at=now, state=LessonState.ended,
                                  went_live_at=now - timedelta(minutes=5), ended_at=now))
        db.session.add(CheckinTask(circle_id=klass.id, title="T", starts_on=now.date()))
    db.session.commit()
    assert count() == few


@pytest.mark.parametrize("who, expected", [("site_admin", 200), ("admin", 200), ("teacher", 404),
                                           ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                           ("anonymous", "login")])
def test_activity_by_role(client, login, make, school, mei, who, expected):
    """Is the page for the org's admins and site admins only (404 for its teachers, a teacher of another school,
    its students and strangers)?"""
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    response = client.get(f"/orgs/{school.org.id}/people/{mei[0].id}/activity")
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected


def test_someone_of_another_school_is_404(client, login, make, school, mei):
    other = build_school(make, "Other School")
    login(school.admin)
    assert client.get(f"/orgs/{school.org.id}/people/{other.student.id}/activity").status_code == 404


def test_an_archived_class_says_so(client, login, school, mei):
    """Does an archived class carry its badge on her activity, as on her page (it did not: fresh-eyes trial)?"""
    user, _room_b = mei
    school.klass.is_archived = True
    db.session.commit()
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/people/{user.id}/activity").get_data(as_text=True)
    row = page.split(f'id="activity-{school.klass.id}"')[1].split("</tr>")[0]
    assert '<span class="badge">Archived</span>' in row
