"""What a fresh-eyes tester of the check-ins found (issue 16): the reminder's zone is the one the page names,
and the other findings on the task's page, its form, the board and the gradebook column."""
from __future__ import annotations

from datetime import timedelta

from lms.checkins import operations as ops
from lms.checkins import queries as q
from lms.checkins.models import Checkin
from lms.core.types import utcnow
from lms.extensions import db
from tests.checkins.support import at, make_task
from tests.fixtures.app import page_text


def test_a_reminder_is_kept_in_the_zone_the_page_names(klass, client_as):
    """Noah has no zone in his profile and his browser is in New York; the circle is in Shanghai. The task's
    page says "In your time zone: America/New_York"; he asks for 07:10: is he reminded at 07:10 in New York
    (not 07:10 in Shanghai), by the form and by every later sweep, and does the page say so?"""
    klass.classmate.timezone = None
    klass.circle.timezone = "Asia/Shanghai"
    db.session.commit()
    task = make_task(klass.circle, klass.teacher, starts_on=utcnow().date() - timedelta(days=3))
    client = client_as(klass.classmate)
    client.set_cookie("tz", "America/New_York")
    page = page_text(client.get(f"/c/{klass.circle.id}/checkins/{task.id}"))
    assert "In your time zone: America/New_York" in page
    client.post(f"/c/{klass.circle.id}/checkins/{task.id}/reminder", data={"at": "07:10"}, follow_redirects=True)
    row = q.reminder_of(task, klass.classmate.id)
    local = row.next_at.astimezone(row.zone(klass.classmate, klass.circle))
    assert row.timezone == "America/New_York" and (local.hour, local.minute) == (7, 10)
    page = page_text(client.get(f"/c/{klass.circle.id}/checkins/{task.id}"))
    assert "You are reminded at 07:10, America/New_York" in page
    ops.send_due_reminders(row.next_at)
    db.session.commit()
    following = q.reminder_of(task, klass.classmate.id).next_at
    assert following.astimezone(row.zone(klass.classmate, klass.circle)).hour == 7


def test_a_reminder_set_before_zones_were_kept_still_reads_the_profile_then_the_circle(klass):
    """Does a row without a zone (older than the column) keep the old rule: the profile's zone, else the
    circle's?"""
    klass.classmate.timezone = None
    task = make_task(klass.circle, klass.teacher, zone="Asia/Shanghai")
    row = ops.set_reminder(task, klass.classmate, 8 * 60, now=at("Asia/Shanghai", 2026, 3, 2, 6, 0))
    assert row.timezone is None and row.next_at == at("Asia/Shanghai", 2026, 3, 2, 8, 0)
    klass.classmate.timezone = "Europe/London"
    assert row.zone(klass.classmate, klass.circle).key == "Europe/London"


def test_the_mail_hours_page_names_the_zone_saving_uses(klass, client_as):
    """Mail hours saved while the browser was in Shanghai; now the browser is in New York: does the page say
    the hours are counted in Shanghai, and that saving counts them in New York (what it then does)?"""
    from lms.notifications import operations as note_ops

    klass.student.timezone = None
    note_ops.save_settings(klass.student, 8, None, None, timezone="Asia/Shanghai")
    db.session.commit()
    client = client_as(klass.student)
    client.set_cookie("tz", "America/New_York")
    page = page_text(client.get("/notifications/preferences"))
    assert "Hours are in Asia/Shanghai" in page
    assert "Saving counts them in America/New_York" in page


def _task(klass, **fields):
    today = utcnow().astimezone(klass.circle.zone).date()
    fields.setdefault("starts_on", today - timedelta(days=10))
    return make_task(klass.circle, klass.teacher, **fields)


def _check_in(task, user, **kwargs):
    checkin = ops.submit_checkin(task, user, text=kwargs.pop("text", "I read twenty pages"), **kwargs)
    db.session.commit()
    return checkin


def test_shared_short_words_have_their_own_context():
    """Do the check-in comment button, a grader's comment heading and the files' "Move"/"Move to" carry a
    context of their own, so Chinese can say 评论 / 评语 and 移动 / 调组 each where it fits?"""
    from babel.messages.extract import extract_from_file

    def messages(path):
        return {(m[1] if isinstance(m[1], str) else tuple(m[1]), m[3])
                for m in extract_from_file("jinja2", path, keywords={"_": None, "gettext": None,
                                                                    "pgettext": ((1, "c"), 2)})}
    assert ("Comment", "check-in: the button that posts a comment") in messages("templates/checkins/checkin.html")
    assert ("Comment", "grading: the grader's written feedback") in messages("templates/grading/feedback.html")
    for path in ("templates/files/file.html", "templates/files/folder.html"):
        found = messages(path)
        assert ("Move", "files: put into another folder") in found and ("Move", None) not in found


def test_the_task_page_states_what_a_check_in_needs_with_the_tasks_figures(klass, client_as):
    """Does the summary line say "A text of at least 50 words" / "minutes read ≥ 30", not the form's label of
    the kind ("A text", "A number (e.g. minutes read)")?"""
    words = _task(klass, min_words=50)
    minutes = _task(klass, requirement="number", unit_label="minutes read", min_value=30)
    client = client_as(klass.student)
    assert "A text of at least 50 words" in page_text(client.get(f"/c/{klass.circle.id}/checkins/{words.id}"))
    page = page_text(client.get(f"/c/{klass.circle.id}/checkins/{minutes.id}"))
    assert "minutes read ≥ 30" in page and "A number (e.g. minutes read)" not in page


def test_the_check_in_form_only_while_there_is_something_to_do(klass, client_as):
    """Checked in today with no make-ups left, or outside today's window: is there no active "Check in"
    button, but the state instead?"""
    task = _task(klass, makeup_allowance=1, makeup_days_back=3)
    yesterday = task.today(utcnow()) - timedelta(days=1)
    _check_in(task, klass.student, day=yesterday)  # the one make-up used
    _check_in(task, klass.student)
    html = client_as(klass.student).get(f"/c/{klass.circle.id}/checkins/{task.id}").get_data(as_text=True)
    assert f"/checkins/{task.id}/checkin" not in html and "data-no-makeups" in html
    local = utcnow().astimezone(klass.circle.zone)
    minute = local.hour * 60 + local.minute
    start, end = (minute + 60, minute + 120) if minute < 720 else (0, 60)  # a window of the same day, not now
    closed = _task(klass, window_start_minute=start, window_end_minute=end)
    html = client_as(klass.classmate).get(f"/c/{klass.circle.id}/checkins/{closed.id}").get_data(as_text=True)
    assert "data-window-closed" in html and f"/checkins/{closed.id}/checkin" not in html


def test_the_tab_offers_check_in_only_while_the_window_is_open(klass, client_as):
    """On the Check-ins tab, is a task whose window is closed at this hour shown as such, without a "Check in"
    button that leads to a page with nothing to send, while an all-day task keeps its button?"""
    import re

    local = utcnow().astimezone(klass.circle.zone)
    minute = local.hour * 60 + local.minute
    start, end = (minute + 60, minute + 120) if minute < 720 else (0, 60)
    _task(klass, title="Early practice", window_start_minute=start, window_end_minute=end)
    _task(klass, title="All day reading")
    html = client_as(klass.student).get(f"/c/{klass.circle.id}/checkins").get_data(as_text=True)
    cards = {title: card for card in re.findall(r'<li class="card checkin-task">(.*?)</li>', html, re.S)
             for title in ("Early practice", "All day reading") if title in card}
    assert "data-window-closed" in cards["Early practice"] and ">Check in</a>" not in cards["Early practice"]
    assert ">Check in</a>" in cards["All day reading"] and "data-window-closed" not in cards["All day reading"]


def test_todays_date_and_the_chosen_weekdays_are_bracketed_by_the_translation(klass, client_as):
    """The task page's "Today (Dec 1, 2026)" and "Chosen days of the week (Mon and Wed)": is each one message
    (its brackets the translation's, full-width in Chinese), the date still set apart, the weekdays listed?"""
    import re

    from flask_babel import format_date

    task = _task(klass, schedule="chosen", weekday_mask=0b0000101)
    today = task.today(utcnow())
    html = client_as(klass.student).get(f"/c/{klass.circle.id}/checkins/{task.id}").get_data(as_text=True)
    heading = re.search(r"<h3 data-today>(.*?)</h3>", html, re.S).group(1)
    with client_as(klass.student).application.test_request_context():
        shown = format_date(today, "medium")
    assert heading == f'Today (<span class="muted">{shown}</span>)'
    assert "Chosen days of the week (Mon and Wed)" in page_text(client_as(klass.student).get(
        f"/c/{klass.circle.id}/checkins/{task.id}"))


def test_the_tab_ticks_only_todays_check_ins(klass, client_as):
    """Two all-day tasks: the student checked in yesterday for both and today for the second only. Does the tab
    tick "Checked in today" on the second alone (yesterday's never counts for today)?"""
    import re

    first, second = _task(klass, title="Scales"), _task(klass, title="Reading")
    yesterday = first.today(utcnow()) - timedelta(days=1)
    db.session.add_all([Checkin(task_id=t.id, user_id=klass.student.id, day=yesterday, text="x") for t in (first, second)])
    db.session.commit()
    _check_in(second, klass.student)
    html = client_as(klass.student).get(f"/c/{klass.circle.id}/checkins").get_data(as_text=True)
    cards = {title: card for card in re.findall(r'<li class="card checkin-task">(.*?)</li>', html, re.S)
             for title in ("Scales", "Reading") if f">{title}</a>" in card}
    assert "Checked in today" in cards["Reading"] and "Checked in today" not in cards["Scales"]


def test_a_check_in_card_gives_its_date_once(klass, client_as):
    """Does a check-in's header say its date once ("Nov 30, 2026, 7:57 PM"), not the day and then the
    date and time again?"""
    import re

    task = _task(klass)
    _check_in(task, klass.student)
    html = client_as(klass.student).get(f"/c/{klass.circle.id}/checkins/{task.id}").get_data(as_text=True)
    when = re.search(r"data-checkin-when>(.*?)</span>", html, re.S).group(1)
    assert "·" not in when


def test_the_calendar_names_its_days_apart_from_the_event_calendar(klass, client_as):
    """Is a member's check-in calendar called "My check-in days" (not "Calendar", which Taiwanese Chinese
    reads as the circle's event calendar), with "Not a check-in day" for days outside the schedule?"""
    task = _task(klass, schedule="weekdays")
    client = client_as(klass.student)
    show = page_text(client.get(f"/c/{klass.circle.id}/checkins/{task.id}"))
    assert "My check-in days" in show and "My calendar" not in show
    calendar = page_text(client.get(f"/c/{klass.circle.id}/checkins/{task.id}/calendar"))
    assert "Not a check-in day" in calendar and "No check-in" not in calendar
    board = page_text(client_as(klass.teacher).get(f"/c/{klass.circle.id}/checkins/{task.id}/board"))
    assert "Check-in days" in board


def test_a_past_days_board_leads_to_that_days_month(klass, client_as):
    """The teacher opens the board of a day 40 days back (another month) and follows a member's "Check-in
    days": does the calendar show that day's month, with the member's check-in of that day done, rather than
    the current month?"""
    import re

    today = utcnow().astimezone(klass.circle.zone).date()
    task = _task(klass, starts_on=today - timedelta(days=60))
    past = today - timedelta(days=40)
    db.session.add(Checkin(task_id=task.id, user_id=klass.student.id, day=past, text="read"))  # a history
    db.session.commit()
    teacher = client_as(klass.teacher)
    html = teacher.get(f"/c/{klass.circle.id}/checkins/{task.id}/board?day={past.isoformat()}").get_data(as_text=True)
    link = next(u.replace("&amp;", "&") for u in re.findall(r'href="([^"]*/calendar\?[^"]*)"', html)
                if f"user_id={klass.student.id}" in u)
    assert f"month={past:%Y-%m}" in link
    calendar = teacher.get(link).get_data(as_text=True)
    assert f'data-day="{past.isoformat()}" data-state="done"' in calendar


def test_a_new_task_form_shows_every_mistake_at_once(klass, client_as):
    """No title and a window closing before it opens: are both said on the first try?"""
    today = utcnow().astimezone(klass.circle.zone).date()
    response = client_as(klass.teacher).post(f"/c/{klass.circle.id}/checkins/new", data={
        "title": "", "schedule": "daily", "starts_on": today.isoformat(), "window_start": "22:00",
        "window_end": "06:00", "requirement": "text", "min_words": "10", "min_photos": "1", "min_value": "0",
        "makeup_allowance": "0", "makeup_days_back": "3"})
    text = page_text(response)
    assert response.status_code == 422
    assert "The window must end after it opens" in text and "This field is required." in text


def test_a_first_day_in_the_past_needs_the_teachers_word(klass, client_as):
    """A first day five days ago: is it refused with the reason unless the teacher ticks "Count the days
    before today too", so members are not counted missing for days before the task existed?"""
    from lms.checkins.models import CheckinTask

    today = utcnow().astimezone(klass.circle.zone).date()
    data = {"title": "Read", "schedule": "daily", "starts_on": (today - timedelta(days=5)).isoformat(),
            "window_start": "00:00", "window_end": "00:00", "requirement": "text", "min_words": "10",
            "min_photos": "1", "min_value": "0", "makeup_allowance": "0", "makeup_days_back": "3"}
    client = client_as(klass.teacher)
    refused = client.post(f"/c/{klass.circle.id}/checkins/new", data=data)
    assert refused.status_code == 422 and "This day is past" in page_text(refused)
    assert client.post(f"/c/{klass.circle.id}/checkins/new", data={**data, "count_past_days": "y"}).status_code == 302
    assert db.session.scalar(db.select(CheckinTask).where(CheckinTask.title == "Read")) is not None


def test_a_second_remind_says_who_was_reminded_already(klass, client_as):
    """The teacher presses "remind" twice: does the second say the member was already reminded today,
    instead of "1 member is reminded" again while nothing is sent?"""
    task = _task(klass)
    _check_in(task, klass.student)
    client = client_as(klass.teacher)
    url = f"/c/{klass.circle.id}/checkins/{task.id}/remind"
    first = page_text(client.post(url, follow_redirects=True))
    assert "1 member who has not checked in is reminded" in first
    second = page_text(client.post(url, follow_redirects=True))
    assert "1 member was already reminded today" in second and "is reminded (in the app" not in second


def test_the_gradebook_column_is_unreleased_by_default_quiet_and_current(klass, client_as, mailbox):
    """Made without ticking "Let the students see it now": is the column unreleased, with no mail to the
    students; and does a student's grade follow their check-in at once?"""
    import sqlalchemy as sa

    from lms.grading.models import Grade

    task = _task(klass)
    teacher = client_as(klass.teacher)
    form = teacher.get(f"/c/{klass.circle.id}/checkins/{task.id}/rates").get_data(as_text=True)
    assert 'name="release" value="y" checked' not in form and 'checked id="release"' not in form
    teacher.post(f"/c/{klass.circle.id}/checkins/{task.id}/gradebook", data={"points": "11", "category_id": "0"})
    db.session.refresh(task)
    grades = {g.student_id: g for g in db.session.scalars(
        sa.select(Grade).where(Grade.assignment_id == task.gradebook_assignment_id))}
    assert grades[klass.student.id].score == 0 and not any(g.released_at for g in grades.values())
    assert not mailbox.to(klass.student.email) and not mailbox.to(klass.classmate.email)
    _check_in(task, klass.student)
    db.session.expire_all()
    score = db.session.scalar(sa.select(Grade.score).where(Grade.assignment_id == task.gradebook_assignment_id,
                                                           Grade.student_id == klass.student.id))
    assert score == 1.0  # 1 of the 11 days of the task so far


def test_the_daily_sweep_recomputes_the_column_once_a_day(klass):
    """Missed days lower a rate without any check-in: does the sweep recompute the column once per day in
    the circle's zone (and not again the same day)?"""
    from lms.checkins import gradebook

    task = _task(klass)
    gradebook.to_gradebook(task, klass.teacher, points=10, release=False)
    db.session.commit()
    assert gradebook.refresh_columns() == 0
    task.gradebook_refreshed_on = task.today(utcnow()) - timedelta(days=1)
    db.session.commit()
    assert gradebook.refresh_columns() == 1
    assert gradebook.refresh_columns() == 0


def test_a_zone_is_named_in_the_readers_language(app):
    """In Chinese, is the zone beside a time named as Chinese names it ("中国（上海）时间（GMT+08:00）"), not by its
    English id "Asia/Shanghai"?"""
    from flask_babel import force_locale

    from lms.core.i18n import zone_label

    with app.test_request_context():
        with force_locale("zh_Hans"):
            assert zone_label("Asia/Shanghai") == "中国（上海）时间（GMT+08:00）"
        with force_locale("zh_Hant"):
            assert zone_label("Asia/Taipei").startswith("台灣時間")
        with force_locale("en"):
            assert zone_label("Asia/Shanghai") == "Asia/Shanghai (GMT+08:00)"


def test_a_zone_is_named_for_a_given_reader_with_the_offset_of_the_time_shown(app):
    """Asked for another reader (a mail's) while the request reads English, is the zone named in that reader's
    language; and does a July time in New York say GMT-04:00 and a January one GMT-05:00, whatever the season
    now; and does a time come with its zone so named?"""
    from datetime import datetime, timezone

    from flask_babel import force_locale

    from lms.core.i18n import time_with_zone, zone_label

    july, january = datetime(2031, 7, 1, 12, tzinfo=timezone.utc), datetime(2031, 1, 1, 12, tzinfo=timezone.utc)
    with app.test_request_context(), force_locale("en"):
        assert zone_label("Asia/Shanghai", locale="zh_Hans") == "中国（上海）时间（GMT+08:00）"
        assert zone_label("America/New_York", at=july) == "America/New_York (GMT-04:00)"
        assert zone_label("America/New_York", at=january) == "America/New_York (GMT-05:00)"
        assert zone_label("America/New_York", "zh_Hant", july) == "美國（紐約）時間（GMT-04:00）"
        assert time_with_zone("下午8:00", "Asia/Shanghai", "zh_Hans", july) == "下午8:00 中国（上海）时间（GMT+08:00）"
        assert time_with_zone("8:00 AM", "America/New_York", at=july) == "8:00 AM America/New_York (GMT-04:00)"
