"""Days late in calendar days of the circle's time zone (across both daylight-saving changes and in a zone
without them), penalties and "missing": the rules of lms/homework/lateness.py, then the same through the pages."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lms.extensions import db
from lms.homework import lateness as rules
from lms.homework.lateness import Deadline, LatePolicy, Policy
from tests.fixtures.app import page_text

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def at(tz: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """A wall-clock time in `tz`, as UTC."""
    return datetime(*parts, tzinfo=tz, fold=fold).astimezone(UTC)


@pytest.mark.parametrize("zone, due, received, days", [
    # End of daylight saving: due Saturday 20:00 EDT, handed in Sunday 19:30 EST, 24.5 hours later: day 1.
    (NEW_YORK, (2026, 10, 31, 20), (2026, 11, 1, 19, 30), 1),
    (NEW_YORK, (2026, 10, 31, 20), (2026, 11, 1, 20), 1),
    (NEW_YORK, (2026, 10, 31, 20), (2026, 11, 1, 20, 0, 1), 2),
    # Start of daylight saving: that late day is 23 hours long; 23.5 hours after the due time is day 2.
    (NEW_YORK, (2026, 3, 7, 20), (2026, 3, 8, 19, 30), 1),
    (NEW_YORK, (2026, 3, 7, 20), (2026, 3, 8, 20, 30), 2),
    # No daylight saving: days of 24 hours.
    (SHANGHAI, (2026, 6, 1, 20), (2026, 6, 1, 20, 0, 1), 1),
    (SHANGHAI, (2026, 6, 1, 20), (2026, 6, 2, 20), 1),
    (SHANGHAI, (2026, 6, 1, 20), (2026, 6, 2, 20, 0, 1), 2),
    (SHANGHAI, (2026, 6, 1, 20), (2026, 6, 11, 9), 10),
    # On time, to the second.
    (SHANGHAI, (2026, 6, 1, 20), (2026, 6, 1, 20), 0),
    (SHANGHAI, (2026, 6, 1, 20), (2026, 6, 1, 19, 59, 59), 0),
])
def test_days_late_in_calendar_days_of_the_zone(zone, due, received, days):
    """Does a late day end at the due time's wall clock in the circle's zone, whatever the day's length in hours,
    one second late being day 1?"""
    assert rules.days_late(at(zone, *received), at(zone, *due), zone) == days


def test_issue_example_counts_one_day_not_two():
    """The issue's example: due 2026-10-31 20:00 New York, received 2026-11-01 19:30 (24.5 hours later): 1 day,
    10 % with 10 % per day; in 24-hour blocks it would have been 2 days."""
    due, received = at(NEW_YORK, 2026, 10, 31, 20), at(NEW_YORK, 2026, 11, 1, 19, 30)
    assert received - due == timedelta(hours=24, minutes=30)
    late = rules.lateness(received, Deadline(due_at=due), Policy(LatePolicy.penalty, 10, 50), NEW_YORK)
    assert (late.is_late, late.days_late, late.penalty_percent) == (True, 1, 10)


def test_wall_clock_that_happens_twice_or_never():
    """A due time at 01:30 ends its first late day at the later 01:30 when the hour repeats; one at 02:30
    ends it at 03:30 when the clock jumps from 02:00 to 03:00 (a late day never ends early)."""
    repeated_due = at(NEW_YORK, 2026, 10, 31, 1, 30)
    assert rules.late_day_end(repeated_due, 1, NEW_YORK) == at(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)
    assert rules.days_late(at(NEW_YORK, 2026, 11, 1, 1, 45), repeated_due, NEW_YORK) == 1
    skipped_due = at(NEW_YORK, 2026, 3, 7, 2, 30)
    assert rules.late_day_end(skipped_due, 1, NEW_YORK) == at(NEW_YORK, 2026, 3, 8, 3, 30)
    assert rules.days_late(at(NEW_YORK, 2026, 3, 8, 3, 15), skipped_due, NEW_YORK) == 1


@pytest.mark.parametrize("policy, days, percent", [
    (Policy(LatePolicy.penalty, 10, 25), 1, 10),
    (Policy(LatePolicy.penalty, 10, 25), 7, 25),
    (Policy(LatePolicy.accept), 3, 0),
    (Policy(LatePolicy.penalty, 10, 50), 0, 0),
])
def test_penalty_per_started_day_up_to_the_cap(policy, days, percent):
    """Is the penalty per day × days, never above the cap, and nothing without the penalty policy?"""
    assert rules.penalty_percent(days, policy) == percent


def test_missing_only_after_the_students_due_time():
    """Is work missing only once the student's own due time has passed, and never when handed in or excused?"""
    due = at(SHANGHAI, 2026, 6, 1, 20)
    before, after = due - timedelta(seconds=1), due + timedelta(seconds=1)
    deadline = Deadline(due_at=due)
    assert not rules.is_missing(deadline, before, submitted=False, excused=False)
    assert rules.is_missing(deadline, after, submitted=False, excused=False)
    assert not rules.is_missing(deadline, after, submitted=True, excused=False)
    assert not rules.is_missing(deadline, after, submitted=False, excused=True)
    assert not rules.is_missing(Deadline(), after, submitted=False, excused=False)


def test_final_score_is_the_one_formula():
    """Score minus the penalty as a share of the points, never below zero, rounded to 2 decimals."""
    assert rules.final_score(20, 20, 20) == 16
    assert rules.final_score(1, 10, 50) == 0
    assert rules.final_score(None, 10, 10) is None
    assert rules.final_score(6.666, 10, 0) == 6.67


def test_pages_count_late_days_in_the_circle_zone(klass, hw, client_as, grading):
    """Through the pages: a New York circle, due Saturday 20:00 before the clocks go back, handed in Sunday
    19:30: SpeedGrader says 1 day late and 10 %, the gradebook takes 10 % off, the student's pages say "Late · 1 day"
    (the word once, issue 8's 「迟交 迟交 3 天」)."""
    klass.circle.timezone = "America/New_York"
    db.session.commit()
    due = at(NEW_YORK, 2026, 10, 31, 20)
    assignment = hw.assignment(klass.circle, accepts="text", points=10, due_at=due, late_policy="penalty",
                               late_penalty_per_day=10, late_penalty_cap=50)
    hw.submission(assignment, klass.student, text="late", now=at(NEW_YORK, 2026, 11, 1, 19, 30))
    grading.grade(assignment, klass.student, klass.teacher, score=10, release=True)
    base = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    teacher = client_as(klass.teacher)
    text = page_text(teacher.get(f"{base}/grade/{klass.student.id}"))
    assert "Late penalty: 10 % of the points (1 day late)." in text
    book = teacher.get(f"/circles/{klass.circle.id}/grades", headers={"Accept": "application/json"}).get_json()
    [cell] = [g for s in book["students"] if s["user_id"] == klass.student.id for g in s["grades"]]
    assert (cell["score"], cell["late"], cell["days_late"], cell["penalty_percent"]) == (9, True, 1, 10)
    student = client_as(klass.student)
    student_page = page_text(student.get(base))
    assert "Late · 1 day · 10 % off" in student_page and "Late 1 day late" not in student_page
    submission_page = page_text(student.get(f"{base}/submissions/{_submission_id(assignment, klass.student)}"))
    assert "Late · 1 day · 10 % off" in submission_page and submission_page.count("day late") == 0
    # the offset of the due Saturday, daylight time (GMT-04:00), whatever the season the page is read in
    assert "Days late are counted from the due time: each late day ends at 8:00 PM America/New_York (GMT-04:00)." \
        in student_page


def _submission_id(assignment, student) -> int:
    from lms.homework.models import Submission
    return db.session.scalar(db.select(Submission.id).where(Submission.assignment_id == assignment.id,
                                                           Submission.student_id == student.id))


def _settings(circle, **changes) -> dict:
    data = {"name": circle.name, "description": "", "kind": circle.kind.value,
            "join_policy": circle.join_policy.value, "timezone": ""}
    data.update(changes)
    return data


def test_circle_time_zone_defaults_to_the_creator_and_is_edited_in_settings(make, client_as):
    """Does a new circle take its creator's time zone (else the site's), may its teacher change it to another
    IANA zone (and not to a made-up one), and does an assistant get 403?"""
    teacher = make.user(timezone="America/New_York")
    circle = make.circle(teacher)
    assert circle.timezone == "America/New_York" and circle.zone == NEW_YORK
    plain = make.circle(make.user())
    assert plain.timezone is None and plain.zone == ZoneInfo("UTC")
    client = client_as(teacher)
    url = f"/c/{circle.id}/settings"
    assert 'value="America/New_York"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data=_settings(circle, timezone="Asia/Shanghai")).status_code == 302
    db.session.expire_all()
    assert circle.timezone == "Asia/Shanghai"
    refused = client.post(url, data=_settings(circle, timezone="Mars/Olympus_Mons"))
    assert refused.status_code == 422 and "Choose a timezone from the list." in page_text(refused)
    db.session.expire_all()
    assert circle.timezone == "Asia/Shanghai"
    assistant = make.member(circle, role="assistant").user
    assert client_as(assistant).post(url, data=_settings(circle, timezone="UTC")).status_code == 403


def test_circle_time_zone_is_picked_by_name_and_empty_means_the_sites(make, client_as):
    """Is the circle's zone chosen from zones named in the teacher's language ("(GMT-05:00) 美国（纽约）时间"),
    preselected, with the empty choice naming the site's zone instead of a hint that says "empty means UTC"
    beside a filled-in field?"""
    teacher = make.user(timezone="America/New_York", locale="zh_Hans")
    circle = make.circle(teacher)
    response = client_as(teacher).get(f"/c/{circle.id}/settings")
    html = response.get_data(as_text=True)
    select = re.search(r'<select[^>]*name="timezone"[^>]*>(.*?)</select>', html, flags=re.S).group(1)
    assert re.search(r'<option selected value="America/New_York">（GMT-0[45]:00）美国（纽约）时间</option>', select)
    blank = re.search(r'<option[^>]*value=""[^>]*>([^<]*)</option>', select).group(1)
    assert "UTC" in blank
    assert "Leave empty" not in page_text(response)


def test_assignment_page_states_the_circle_zone_next_to_the_due_time(klass, hw, client_as):
    """Does the assignment page say when each late day ends, the zone named (here the viewer's zone is the
    circle's: no profile zone, no browser zone)?"""
    klass.circle.timezone = "Asia/Shanghai"
    db.session.commit()
    assignment = hw.assignment(klass.circle, accepts="text", due_at=at(SHANGHAI, 2030, 6, 1, 20))
    text = page_text(client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))
    assert "Days late are counted from the due time: each late day ends at 8:00 PM Asia/Shanghai (GMT+08:00)." in text
    assert "your time" not in text


def test_late_day_end_is_in_the_viewers_zone_with_the_circles_labelled(klass, hw, client_as):
    """A New York student in a Shanghai circle: are the due time and the late-day end both in New York time,
    and the circle's clock given once, labelled, instead of a bare "8:00 PM there" beside New York times?"""
    klass.circle.timezone = "Asia/Shanghai"
    klass.student.timezone = "America/New_York"
    db.session.commit()
    assignment = hw.assignment(klass.circle, accepts="text", due_at=at(SHANGHAI, 2030, 6, 1, 20))
    text = page_text(client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))
    assert "(6/1/30, 8:00 AM)" in text  # the due time, New York's clock (EDT)
    assert ("Days late are counted in the circle's time zone: each late day ends at 8:00 AM your time, "
            "8:00 PM Asia/Shanghai (GMT+08:00).") in text
    assert "there." not in text and text.count("Asia/Shanghai") == 1


@pytest.mark.parametrize("locale, time, zone", [("zh_Hant", "清晨6:32", "中國（上海）時間（GMT+08:00）"),
                                                ("zh_Hans", "06:32", "中国（上海）时间（GMT+08:00）")])
def test_late_day_time_sits_tight_in_a_chinese_sentence(klass, hw, client_as, monkeypatch, locale, time, zone):
    """A translation that keeps spaces around the time (as the catalogues do: "在該時區的 %(time)s 結束"): does the
    page read "的清晨6:32 中國（上海）時間（GMT+08:00）結束" in Traditional and "的06:32 中国（上海）时间（GMT+08:00）结束"
    in Simplified Chinese, the zone named in Chinese, no stray space around them (the one between time and zone is
    the catalogue's "%(time)s %(zone)s", untranslated here)?"""
    import lms.homework.routes as routes

    real = routes._

    def translated(message, **values):
        if message.startswith("Days late are counted from the due time"):
            return "每個遲交日在該時區的 %(time)s 結束。" % values
        return real(message, **values)

    monkeypatch.setattr(routes, "_", translated)
    klass.circle.timezone = "Asia/Shanghai"
    klass.student.locale = locale
    db.session.commit()
    assignment = hw.assignment(klass.circle, accepts="text", due_at=at(SHANGHAI, 2030, 6, 1, 6, 32))
    text = page_text(client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))
    assert f"每個遲交日在該時區的{time} {zone}結束。" in text and "Asia/Shanghai" not in text
