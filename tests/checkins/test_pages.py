"""The check-in pages: permissions for every route (stranger 404, member without the role 403), checking in
with a photo, visibility of others' check-ins, likes and comments, the board and its reminders, rates,
leaderboard, CSV, the gradebook column, the calendar source and the home card."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.checkins import operations as ops
from lms.checkins import queries as q
from lms.checkins.models import Checkin, CheckinTask, RequirementKind
from lms.core.types import utcnow
from lms.extensions import db
from lms.notifications.models import Notification
from tests.checkins.support import make_task
from tests.fixtures.app import page_text
from tests.fixtures.images import phone_jpeg


def _task(klass, **fields) -> CheckinTask:
    today = utcnow().astimezone(klass.circle.zone).date()
    fields.setdefault("makeup_allowance", 1)
    fields.setdefault("makeup_days_back", 3)
    return make_task(klass.circle, klass.teacher, starts_on=today - timedelta(days=10), **fields)


def _checkin(task, user, **kwargs) -> Checkin:
    checkin = ops.submit_checkin(task, user, text=kwargs.pop("text", "I read twenty pages"), **kwargs)
    db.session.commit()
    return checkin


def _notes(kind: str, user=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.kind == kind)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(db.session.scalars(query))


ROUTES = {
    # name: (method, path after /c/<circle>/checkins, who may, who is refused with 403)
    "index": ("GET", "", ("student", "assistant", "teacher", "owner", "admin"), ()),
    "new": ("GET", "/new", ("teacher", "owner", "admin"), ("student", "assistant")),
    "show": ("GET", "/{task}", ("student", "assistant", "teacher", "owner", "admin"), ()),
    "edit": ("GET", "/{task}/edit", ("teacher", "owner", "admin"), ("student", "assistant")),
    "delete": ("POST", "/{task}/delete", ("teacher",), ("student", "assistant")),
    "submit": ("POST", "/{task}/checkin", ("classmate",), ("teacher", "assistant", "owner")),
    "reminder": ("POST", "/{task}/reminder", ("classmate",), ("teacher", "assistant")),
    "calendar": ("GET", "/{task}/calendar", ("student", "teacher"), ()),
    "other_calendar": ("GET", "/{task}/calendar?user_id={student_id}", ("assistant", "teacher", "admin"),
                       ("classmate",)),
    "entry": ("GET", "/{task}/entries/{entry}", ("student", "classmate", "teacher"), ()),
    "photo": ("GET", "/{task}/entries/{entry}/photos/{photo}", ("student", "classmate", "assistant"), ()),
    "like": ("POST", "/{task}/entries/{entry}/like", ("classmate", "teacher"), ()),
    "comment": ("POST", "/{task}/entries/{entry}/comments", ("classmate",), ()),
    "delete_entry": ("POST", "/{task}/entries/{entry}/delete", ("student",), ("classmate", "teacher")),
    "board": ("GET", "/{task}/board", ("assistant", "teacher", "owner", "admin"), ("student",)),
    "board_json": ("GET", "/{task}/board.json", ("assistant", "teacher"), ("student",)),
    "remind": ("POST", "/{task}/remind", ("assistant", "teacher"), ("student",)),
    "rates": ("GET", "/{task}/rates", ("assistant", "teacher"), ("student",)),
    "leaderboard": ("GET", "/{task}/leaderboard", ("student", "teacher"), ()),
    "export": ("GET", "/{task}/export.csv", ("assistant", "teacher", "admin"), ("student",)),
    "gradebook": ("POST", "/{task}/gradebook", ("teacher",), ("student", "assistant")),
}


@pytest.fixture
def world(klass):
    """A daily all-day task begun ten days ago (one make-up, three days back) with the student's photo
    check-in of today."""
    task = _task(klass, requirement=RequirementKind.photo)
    entry = _checkin(task, klass.student, photos=[io.BytesIO(phone_jpeg())])
    return klass, task, entry


def _path(klass, task, entry, template: str) -> str:
    return f"/c/{klass.circle.id}/checkins" + template.format(task=task.id, entry=entry.id,
                                                               photo=entry.photos[0].id, student_id=klass.student.id)


def _data(name: str) -> dict:
    return {"body": "Nice!", "points": "10", "category_id": "0", "at": "07:30"} if name != "submit" else {}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_stranger_gets_404_everywhere(world, client_as, name):
    klass, task, entry = world
    method, template, _may, _refused = ROUTES[name]
    response = client_as(klass.stranger).open(_path(klass, task, entry, template), method=method, data=_data(name))
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r[3]))
def test_a_member_without_the_role_gets_403(world, client_as, name):
    klass, task, entry = world
    method, template, _may, refused = ROUTES[name]
    for who in refused:
        response = client_as(getattr(klass, who)).open(_path(klass, task, entry, template), method=method,
                                                       data=_data(name))
        assert response.status_code == 403, who


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_those_who_may_get_the_page(world, client_as, name):
    klass, task, entry = world
    method, template, may, _refused = ROUTES[name]
    for who in may:
        response = client_as(getattr(klass, who)).open(_path(klass, task, entry, template), method=method,
                                                       data=_data(name))
        assert response.status_code in (200, 302, 422), (who, response.status_code)
        if name == "delete":
            break  # the task is gone after the first


def test_an_id_of_another_circle_is_404(world, make, client_as):
    klass, task, entry = world
    other = make.circle(owner=klass.teacher)
    assert client_as(klass.teacher).get(f"/c/{other.id}/checkins/{task.id}").status_code == 404
    missing = f"/c/{klass.circle.id}/checkins/{task.id}/entries/{entry.id + 99}"
    assert client_as(klass.teacher).get(missing).status_code == 404


def test_a_member_checks_in_with_a_photo_through_the_page(klass, client_as):
    task = _task(klass, requirement=RequirementKind.photo)
    client = client_as(klass.student)
    refused = client.post(f"/c/{klass.circle.id}/checkins/{task.id}/checkin", data={"text": "no photo"})
    assert refused.status_code == 422 and "Add at least 1 photo" in page_text(refused)
    done = client.post(f"/c/{klass.circle.id}/checkins/{task.id}/checkin",
                       data={"photos": (io.BytesIO(phone_jpeg()), "IMG_0001.jpg"), "text": ""},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    entry = db.session.scalar(sa.select(Checkin).where(Checkin.task_id == task.id))
    assert entry.user_id == klass.student.id and len(entry.photos) == 1 and not entry.is_makeup
    page = client.get(f"/c/{klass.circle.id}/checkins/{task.id}")
    assert "You checked in today" in page_text(page)
    image = client.get(f"/c/{klass.circle.id}/checkins/{task.id}/entries/{entry.id}/photos/{entry.photos[0].id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"


def test_a_refused_check_in_says_why(klass, client_as, monkeypatch):
    """Outside the window the page answers 422 with the reason and the local times."""
    task = _task(klass, window_start_minute=6 * 60, window_end_minute=7 * 60)
    klass.circle.timezone = "Asia/Shanghai"
    db.session.commit()
    from tests.checkins.support import at
    today = utcnow().astimezone(klass.circle.zone).date()
    monkeypatch.setattr(ops, "utcnow", lambda: at("Asia/Shanghai", today.year, today.month, today.day, 8, 15))
    response = client_as(klass.student).post(f"/c/{klass.circle.id}/checkins/{task.id}/checkin", data={"text": "x y"})
    assert response.status_code == 422
    assert "closed at 07:00 in Asia/Shanghai (GMT+08:00); it is 08:15 there now" in page_text(response)


def test_a_make_up_through_the_page(klass, client_as):
    task = _task(klass)
    today = task.today(utcnow())
    client = client_as(klass.student)
    page = client.get(f"/c/{klass.circle.id}/checkins/{task.id}")
    assert (today - timedelta(days=1)).isoformat() in page.get_data(as_text=True)
    made = client.post(f"/c/{klass.circle.id}/checkins/{task.id}/checkin",
                       data={"text": "catching up on it", "day": (today - timedelta(days=2)).isoformat()})
    assert made.status_code == 302
    again = client.post(f"/c/{klass.circle.id}/checkins/{task.id}/checkin",
                        data={"text": "catching up again", "day": (today - timedelta(days=1)).isoformat()})
    assert again.status_code == 422 and "used your 1 make-up check-in" in page_text(again)
    assert q.streak_of(task, klass.student.id).makeups == 1


def test_a_refusal_is_said_even_when_the_form_is_gone(klass, client_as):
    """Checked in today, then the one make-up used in another tab: the make-up sent from the older page is
    refused (422); with nothing left to do the page offers no form, but does it still say why?"""
    task = _task(klass)
    today = task.today(utcnow())
    _checkin(task, klass.student)
    _checkin(task, klass.student, day=today - timedelta(days=1))
    refused = client_as(klass.student).post(f"/c/{klass.circle.id}/checkins/{task.id}/checkin",
                                            data={"text": "late again", "day": (today - timedelta(days=2)).isoformat()})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'action="/c/{klass.circle.id}/checkins/{task.id}/checkin"' not in html
    assert "data-refused" in html and "used your 1 make-up check-in" in page_text(refused)


def test_private_check_ins_are_seen_by_their_member_and_the_staff_only(klass, client_as):
    task = _task(klass, members_see_each_other=False)
    entry = _checkin(task, klass.student, text="my private reading note")
    path = f"/c/{klass.circle.id}/checkins/{task.id}"
    assert "my private reading note" not in page_text(client_as(klass.classmate).get(path))
    assert "my private reading note" in page_text(client_as(klass.student).get(path))
    assert "my private reading note" in page_text(client_as(klass.assistant).get(path))
    assert client_as(klass.classmate).get(f"{path}/entries/{entry.id}").status_code == 403
    assert client_as(klass.classmate).post(f"{path}/entries/{entry.id}/like").status_code == 403
    assert client_as(klass.classmate).get(f"{path}/leaderboard").status_code == 403


def test_classmates_like_and_comment_where_visible(klass, client_as):
    task = _task(klass)
    entry = _checkin(task, klass.student)
    path = f"/c/{klass.circle.id}/checkins/{task.id}/entries/{entry.id}"
    client = client_as(klass.classmate)
    client.post(path + "/like", data={"liked": "1"})
    client.post(path + "/like", data={"liked": "1"})
    client.post(path + "/comments", data={"body": "Well done <b>you</b>"})
    db.session.refresh(entry)
    assert entry.like_count == 1 and entry.comment_count == 1
    page = client_as(klass.student).get(path)
    assert "Well done <b>you</b>" in page_text(page) and "<b>you</b>" not in page.get_data(as_text=True)
    assert [n.params["actor"] for n in _notes("checkin_comment", klass.student)] == ["Classmate In Class"]
    client.post(path + "/like", data={"liked": "0"})
    db.session.refresh(entry)
    assert entry.like_count == 0


def test_the_board_counts_and_reminds_those_who_have_not(klass, client_as, mailbox):
    task = _task(klass)
    _checkin(task, klass.student)
    client = client_as(klass.teacher)
    page = client.get(f"/c/{klass.circle.id}/checkins/{task.id}/board")
    text = page_text(page)
    assert "Student In Class" in text and "Classmate In Class" in text
    counts = client.get(f"/c/{klass.circle.id}/checkins/{task.id}/board.json").get_json()
    assert (counts["learners"], counts["done"], counts["missing"], counts["percent"]) == (2, 1, 1, 50)
    missing = client.get(f"/c/{klass.circle.id}/checkins/{task.id}/board?show=missing")
    assert "Classmate In Class" in page_text(missing) and "Student In Class" not in page_text(missing)
    reminded = client.post(f"/c/{klass.circle.id}/checkins/{task.id}/remind", follow_redirects=True)
    assert "1 member who has not checked in is reminded" in page_text(reminded)
    notes = _notes("checkin_reminder")
    assert [n.user_id for n in notes] == [klass.classmate.id]
    assert notes[0].params["variant"] == "teacher" and notes[0].params["actor"]
    assert mailbox.to(klass.classmate.email)
    assert not mailbox.to(klass.student.email)
    # a second click the same day asks nobody twice
    client.post(f"/c/{klass.circle.id}/checkins/{task.id}/remind")
    assert len(_notes("checkin_reminder")) == 1


def test_a_check_in_pushes_to_the_staffs_open_boards(klass, monkeypatch):
    task = _task(klass)
    pushed = []
    monkeypatch.setattr("lms.checkins.notifications.emit_to_user",
                        lambda user_id, event, data: pushed.append((user_id, event, data)))
    _checkin(task, klass.student)
    assert {u for u, _e, _d in pushed} == {klass.owner.id, klass.teacher.id, klass.assistant.id}
    assert pushed[0][1] == "checkin_done" and pushed[0][2]["user_id"] == klass.student.id


def test_members_reminder_at_their_own_time_in_their_zone(klass, client_as):
    """The classmate lives in Los Angeles and asks for 07:30: the sweep sends once, at 07:30 there, and not
    after they checked in."""
    from tests.checkins.support import at

    klass.classmate.timezone = "America/Los_Angeles"
    task = make_task(klass.circle, klass.teacher)
    klass.circle.timezone = "America/New_York"
    db.session.commit()
    start = at("America/Los_Angeles", 2026, 3, 2, 6, 0)
    ops.set_reminder(task, klass.classmate, 7 * 60 + 30, now=start)
    db.session.commit()
    row = q.reminder_of(task, klass.classmate.id)
    assert row.next_at == at("America/Los_Angeles", 2026, 3, 2, 7, 30)
    assert ops.send_due_reminders(start + timedelta(hours=1)) == 0
    due = row.next_at
    assert ops.send_due_reminders(due) == 1
    db.session.commit()
    assert ops.send_due_reminders(due + timedelta(minutes=1)) == 0
    assert q.reminder_of(task, klass.classmate.id).next_at == at("America/Los_Angeles", 2026, 3, 3, 7, 30)
    # checked in on the next day before the reminder: nothing is sent, the row moves on
    _checkin(task, klass.classmate, now=at("America/Los_Angeles", 2026, 3, 3, 6, 0))
    assert ops.send_due_reminders(at("America/Los_Angeles", 2026, 3, 3, 7, 30)) == 0
    db.session.commit()
    assert len(_notes("checkin_reminder", klass.classmate)) == 1
    # across the spring-forward night the wall time stays 07:30
    ops.set_reminder(task, klass.classmate, 7 * 60 + 30, now=at("America/Los_Angeles", 2026, 3, 7, 8, 0))
    assert q.reminder_of(task, klass.classmate.id).next_at == at("America/Los_Angeles", 2026, 3, 8, 7, 30)


def test_the_reminder_form(klass, client_as):
    task = _task(klass)
    client = client_as(klass.student)
    client.post(f"/c/{klass.circle.id}/checkins/{task.id}/reminder", data={"at": "21:15"})
    assert q.reminder_of(task, klass.student.id).minute == 21 * 60 + 15
    client.post(f"/c/{klass.circle.id}/checkins/{task.id}/reminder", data={"at": "21:15", "off": "y"})
    assert q.reminder_of(task, klass.student.id) is None


def test_the_sweep_is_scheduled():
    from lms.jobs import SCHEDULE, Task

    assert SCHEDULE[Task.sweep_checkins] == 60


def test_rates_leaderboard_and_csv(klass, client_as):
    from lms.circles.models import Membership

    membership = db.session.scalar(sa.select(Membership).where(Membership.circle_id == klass.circle.id,
                                                                Membership.user_id == klass.student.id))
    membership.real_name, membership.student_no = "=HYPERLINK(\"x\")", "S-001"
    db.session.commit()
    task = _task(klass)
    _checkin(task, klass.student)
    client = client_as(klass.teacher)
    rates = page_text(client.get(f"/c/{klass.circle.id}/checkins/{task.id}/rates"))
    assert "Student In Class" in rates and "11 check-in days so far" in rates
    board = page_text(client.get(f"/c/{klass.circle.id}/checkins/{task.id}/leaderboard"))
    assert "Student In Class" in board
    response = client.get(f"/c/{klass.circle.id}/checkins/{task.id}/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Name in the circle", "Real name", "Student number"]
    student = next(r for r in rows if r[0] == "Student In Class")
    assert student[1].startswith("'=") and student[2] == "S-001" and student[3] == "1" and student[7] == "9"


def test_the_gradebook_column_is_the_completion_rate(klass, client_as):
    from lms.grading.models import Grade
    from lms.homework.models import Assignment

    task = _task(klass, makeup_allowance=3, makeup_days_back=3)
    today = task.today(utcnow())
    for back in (0, 1, 2, 3):
        _checkin(task, klass.student, day=today - timedelta(days=back))
    response = client_as(klass.teacher).post(f"/c/{klass.circle.id}/checkins/{task.id}/gradebook",
                                             data={"points": "11", "category_id": "0", "release": "y"})
    assert response.status_code == 302
    db.session.refresh(task)
    column = db.session.get(Assignment, task.gradebook_assignment_id)
    assert column.title == f"Check-ins: {task.title}" and column.is_published
    grades = {g.student_id: g.score
              for g in db.session.scalars(sa.select(Grade).where(Grade.assignment_id == column.id))}
    assert grades == {klass.student.id: 4.0, klass.classmate.id: 0.0}


def test_the_calendar_page_and_source(klass, client_as, monkeypatch):
    from lms.calendar.sources import events_for
    from tests.checkins.support import at

    task = _task(klass, window_start_minute=6 * 60, window_end_minute=22 * 60)
    today = task.today(utcnow())
    # checked in at noon of today in the circle's zone, inside the window whatever the hour the test runs at
    monkeypatch.setattr(ops, "utcnow", lambda: at(klass.circle.zone.key, today.year, today.month, today.day, 12, 0))
    _checkin(task, klass.student)
    page = client_as(klass.student).get(f"/c/{klass.circle.id}/checkins/{task.id}/calendar")
    html = page.get_data(as_text=True)
    assert f'data-day="{task.today(utcnow()).isoformat()}" data-state="done"' in html
    events = events_for(klass.student, [klass.circle.id], utcnow() - timedelta(days=1), utcnow() + timedelta(days=2))
    mine = [e for e in events if e.kind == "checkin"]
    assert mine and all(e.title == f"Check in: {task.title}" for e in mine)
    assert all((e.ends_at - e.starts_at) == timedelta(hours=16) for e in mine)


def test_the_home_card(klass, client_as):
    task = _task(klass)
    _checkin(task, klass.student)
    home = page_text(client_as(klass.student).get(f"/c/{klass.circle.id}"))
    assert "Today's check-ins" in home and task.title in home and "Done" in home
    staff = page_text(client_as(klass.teacher).get(f"/c/{klass.circle.id}"))
    assert "1 of 2 checked in" in staff


def test_teacher_creates_a_task_through_the_form(klass, client_as):
    client = client_as(klass.teacher)
    base = {"title": "Practice", "instructions_md": "Dance **daily** <script>x</script>", "schedule": "chosen",
            "weekdays": ["0", "2", "4"], "starts_on": "2026-03-01", "window_start": "06:00", "window_end": "00:00",
            "requirement": "video", "min_words": "0", "min_photos": "1", "min_value": "0",
            "makeup_allowance": "2", "makeup_days_back": "3", "members_see_each_other": "y",
            "count_past_days": "y"}  # a first day in the past, counted on purpose
    response = client.post(f"/c/{klass.circle.id}/checkins/new", data=base)
    assert response.status_code == 302
    task = db.session.scalar(sa.select(CheckinTask))
    assert (task.weekday_mask, task.window_start_minute, task.window_end_minute) == (0b10101, 360, 1440)
    assert not task.reminders_enabled
    html = client.get(f"/c/{klass.circle.id}/checkins/{task.id}").get_data(as_text=True)
    assert "<strong>daily</strong>" in html and "<script>x</script>" not in html
    assert "(Mon, Wed, and Fri)" in page_text(client.get(f"/c/{klass.circle.id}/checkins/{task.id}"))
    bad = client.post(f"/c/{klass.circle.id}/checkins/new",
                      data={**base, "window_start": "23:00", "window_end": "22:00"})
    assert bad.status_code == 422 and "must end after it opens" in page_text(bad)


def test_the_board_and_the_calendar_read_as_many_queries_for_a_big_circle(klass, make, client_as, count_queries):
    """The board (teacher) and a member's calendar send the same number of queries with 2 learners as with 22
    learners who all checked in."""
    task = _task(klass)
    counts = []
    for size in (0, 20):
        for _ in range(size):
            membership = make.member(klass.circle)
            _checkin(task, membership.user)
        _checkin(task, klass.student) if size == 0 else None
        teacher, student = client_as(klass.teacher), client_as(klass.student)
        base = f"/c/{klass.circle.id}/checkins/{task.id}"
        teacher.get(base + "/board"), student.get(base + "/calendar")
        with count_queries:
            assert teacher.get(base + "/board").status_code == 200
        board = count_queries.count
        with count_queries:
            assert student.get(base + "/calendar").status_code == 200
        counts.append((board, count_queries.count))
    assert counts[0] == counts[1], counts
