"""The rules of checking in, read in the circle's time zone on the server's clock: windows, scheduled days,
one per day, make-ups and their allowance, streaks across time zones and a daylight-saving change."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms.checkins import operations as ops
from lms.checkins import queries as q
from lms.checkins import streaks
from lms.checkins.models import RequirementKind, ScheduleKind
from lms.extensions import db
from tests.checkins.support import at, check_in, make_task

NY, SH, LDN = "America/New_York", "Asia/Shanghai", "Europe/London"


def test_the_day_is_the_circles_local_date_not_utc(klass):
    """Shanghai, 07:30 on 2 March local is 23:30 on 1 March UTC: the check-in counts for 2 March."""
    task = make_task(klass.circle, klass.teacher, zone=SH, window_start_minute=6 * 60, window_end_minute=23 * 60)
    checkin = check_in(task, klass.student, at(SH, 2026, 3, 2, 7, 30))
    assert checkin.day == date(2026, 3, 2)
    assert checkin.submitted_at.utcoffset() == timedelta(0) and checkin.submitted_at.day == 1


def test_a_check_in_outside_the_window_is_refused_with_the_local_times(klass):
    task = make_task(klass.circle, klass.teacher, zone=SH, window_start_minute=6 * 60, window_end_minute=23 * 60)
    with pytest.raises(ops.CheckinError) as early:
        ops.submit_checkin(task, klass.student, text="a b c", now=at(SH, 2026, 3, 2, 5, 59))
    assert "06:00" in str(early.value) and "05:59" in str(early.value) and "Asia/Shanghai" in str(early.value)
    with pytest.raises(ops.CheckinError) as late:
        ops.submit_checkin(task, klass.student, text="a b c", now=at(SH, 2026, 3, 2, 23, 0))
    assert "closed at 23:00" in str(late.value) and "23:00" in str(late.value)
    db.session.rollback()
    assert check_in(task, klass.student, at(SH, 2026, 3, 2, 22, 59)).day == date(2026, 3, 2)


def test_the_window_follows_the_wall_clock_across_a_dst_change(klass):
    """New York springs forward on 8 March 2026: 06:30 local is 11:30 UTC the day before and 10:30 UTC after;
    both are inside a 06:00–07:00 window, and 05:30 local is outside on both days."""
    task = make_task(klass.circle, klass.teacher, zone=NY, window_start_minute=6 * 60, window_end_minute=7 * 60)
    before, after = at(NY, 2026, 3, 7, 6, 30), at(NY, 2026, 3, 8, 6, 30)
    assert (before.hour, after.hour) == (11, 10)
    assert check_in(task, klass.student, before).day == date(2026, 3, 7)
    assert check_in(task, klass.student, after).day == date(2026, 3, 8)
    with pytest.raises(ops.CheckinError):
        ops.submit_checkin(task, klass.classmate, text="a b c", now=at(NY, 2026, 3, 8, 5, 30))
    # the same UTC instant as yesterday's 06:30 is 07:30 local after the change: closed
    with pytest.raises(ops.CheckinError):
        ops.submit_checkin(task, klass.classmate, text="a b c", now=before + timedelta(days=1))


def test_one_check_in_per_day(klass):
    task = make_task(klass.circle, klass.teacher, zone=LDN)
    check_in(task, klass.student, at(LDN, 2026, 3, 2, 9, 0))
    with pytest.raises(ops.CheckinError, match="already checked in"):
        ops.submit_checkin(task, klass.student, text="again today", now=at(LDN, 2026, 3, 2, 21, 0))


def test_days_not_scheduled_are_refused(klass):
    """Weekdays only: Saturday 7 March 2026 is refused; a date range ends on its last day."""
    task = make_task(klass.circle, klass.teacher, zone=LDN, schedule=ScheduleKind.weekdays)
    with pytest.raises(ops.CheckinError, match="not a check-in day"):
        ops.submit_checkin(task, klass.student, text="a b", now=at(LDN, 2026, 3, 7, 10, 0))
    db.session.rollback()
    ranged = make_task(klass.circle, klass.teacher, title="Week", schedule=ScheduleKind.date_range,
                       starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6))
    assert check_in(ranged, klass.student, at(LDN, 2026, 3, 6, 10, 0)).day == date(2026, 3, 6)
    with pytest.raises(ops.CheckinError, match="not a check-in day"):
        ops.submit_checkin(ranged, klass.classmate, text="a b", now=at(LDN, 2026, 3, 9, 10, 0))


def test_chosen_weekdays(klass):
    task = make_task(klass.circle, klass.teacher, zone=LDN, schedule=ScheduleKind.chosen, weekday_mask=0b0000101)
    assert [d.weekday() for d in task.scheduled_days(date(2026, 3, 2), date(2026, 3, 8))] == [0, 2]
    assert task.count_scheduled(date(2026, 3, 2), date(2026, 3, 29)) == 8


def test_make_up_within_the_allowance_and_reach(klass):
    """Two make-ups, three days back: a day four days back is refused, two are accepted, a third is refused."""
    task = make_task(klass.circle, klass.teacher, zone=SH, makeup_allowance=2, makeup_days_back=3)
    now = at(SH, 2026, 3, 10, 12, 0)
    with pytest.raises(ops.CheckinError, match="at most 3 days"):
        ops.submit_checkin(task, klass.student, day=date(2026, 3, 6), text="late", now=now)
    db.session.rollback()
    assert check_in(task, klass.student, now, day=date(2026, 3, 7)).is_makeup
    assert check_in(task, klass.student, now, day=date(2026, 3, 8)).is_makeup
    with pytest.raises(ops.CheckinError, match="used all 2"):
        ops.submit_checkin(task, klass.student, day=date(2026, 3, 9), text="late", now=now)
    db.session.rollback()
    with pytest.raises(ops.CheckinError, match="has not come"):
        ops.submit_checkin(task, klass.student, day=date(2026, 3, 11), text="early", now=now)


def test_a_make_up_is_refused_when_the_task_allows_none(klass):
    task = make_task(klass.circle, klass.teacher, zone=LDN)
    with pytest.raises(ops.CheckinError, match="no make-up"):
        ops.submit_checkin(task, klass.student, day=date(2026, 3, 1), text="late", now=at(LDN, 2026, 3, 2, 9, 0))


def test_what_a_check_in_needs(klass):
    """A text task refuses a text shorter than its fewest words."""
    text = make_task(klass.circle, klass.teacher, zone=SH, min_words=5)
    now = at(SH, 2026, 3, 2, 10, 0)
    with pytest.raises(ops.CheckinError, match="at least 5 words"):
        ops.submit_checkin(text, klass.student, text="read it", now=now)
    db.session.rollback()
    assert check_in(text, klass.student, now, text="I read the whole chapter").day == date(2026, 3, 2)


def test_cjk_characters_count_as_words(klass):
    task = make_task(klass.circle, klass.teacher, zone=SH, min_words=5)
    now = at(SH, 2026, 3, 2, 10, 0)
    with pytest.raises(ops.CheckinError):
        ops.submit_checkin(task, klass.student, text="今天读书", now=now)
    db.session.rollback()
    assert check_in(task, klass.student, now, text="今天读了书").text == "今天读了书"


def test_a_number_check_in(klass):
    task = make_task(klass.circle, klass.teacher, zone=SH, requirement=RequirementKind.number,
                     unit_label="minutes read", min_value=30)
    now = at(SH, 2026, 3, 2, 10, 0)
    with pytest.raises(ops.CheckinError, match=r"A check-in needs at least 30 \(minutes read\)"):
        ops.submit_checkin(task, klass.student, number=20, now=now)
    db.session.rollback()
    assert check_in(task, klass.student, now, number=45, text="").number == 45


def _streak(task, user, today):
    row = q.streak_of(task, user.id)
    return streaks.current_streak(task, row.run, row.last_day, today), row.longest


def test_a_non_scheduled_day_does_not_break_a_streak(klass):
    """Weekdays: Thursday, Friday, Monday, Tuesday is a streak of 4 (the weekend is not asked for)."""
    task = make_task(klass.circle, klass.teacher, zone=NY, schedule=ScheduleKind.weekdays)
    for day in (5, 6, 9, 10):
        check_in(task, klass.student, at(NY, 2026, 3, day, 20, 0))
    assert _streak(task, klass.student, date(2026, 3, 10)) == (4, 4)
    # Wednesday not done yet: today does not break it; Thursday it is broken
    assert _streak(task, klass.student, date(2026, 3, 11)) == (4, 4)
    assert _streak(task, klass.student, date(2026, 3, 12)) == (0, 4)


def test_a_make_up_fills_the_missed_day(klass):
    task = make_task(klass.circle, klass.teacher, zone=SH, makeup_allowance=1, makeup_days_back=5)
    for day in (1, 2, 4, 5):
        check_in(task, klass.student, at(SH, 2026, 3, day, 9, 0))
    assert _streak(task, klass.student, date(2026, 3, 5)) == (2, 2)
    check_in(task, klass.student, at(SH, 2026, 3, 5, 10, 0), day=date(2026, 3, 3))
    assert _streak(task, klass.student, date(2026, 3, 5)) == (5, 5)
    assert q.streak_of(task, klass.student.id).makeups == 1


def test_streaks_across_the_dst_change_and_in_shanghai(klass):
    """A week of late-evening check-ins in London across 29 March 2026 (clocks go forward) is 7 days, and
    earns the first badge; in Shanghai a check-in at 00:30 local (16:30 UTC the day before) counts for the new day."""
    task = make_task(klass.circle, klass.teacher, zone=LDN)
    for day in range(26, 32):
        check_in(task, klass.student, at(LDN, 2026, 3, day, 23, 30))
    check_in(task, klass.student, at(LDN, 2026, 4, 1, 0, 30))
    assert _streak(task, klass.student, date(2026, 4, 1)) == (7, 7)
    assert streaks.badges(7) == [7]
    other = make_task(klass.circle, klass.teacher, title="SH", zone=SH)
    for day in (1, 2, 3):
        check_in(other, klass.classmate, at(SH, 2026, 3, day, 0, 30))
    assert {c for c, _m in q.days_of(other, klass.classmate.id)} == {date(2026, 3, d) for d in (1, 2, 3)}
    assert _streak(other, klass.classmate, date(2026, 3, 3))[0] == 3


def test_badges_and_the_month_grid(klass):
    task = make_task(klass.circle, klass.teacher, zone=LDN, starts_on=date(2026, 3, 1))
    assert streaks.badges(6) == [] and streaks.badges(21) == [7, 21] and streaks.badges(100) == [7, 21, 100]
    assert streaks.next_badge(8) == 21
    done = {date(2026, 3, 2): False, date(2026, 3, 3): True}
    grid = streaks.month_grid(task, 2026, 3, done, date(2026, 3, 5))
    states = {cell.day.day: cell.state.value for week in grid for cell in week if cell.day}
    assert states[1] == "missed" and states[2] == "done" and states[3] == "made_up" and states[5] == "today"
    assert states[6] == "upcoming"
    assert streaks.month_grid(task, 2026, 2, {}, date(2026, 3, 5))[1][0].state.value == "off"
