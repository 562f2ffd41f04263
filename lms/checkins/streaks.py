"""Streaks and a member's calendar, computed from the days they checked in (plain functions over dates).

Only scheduled days count: a day the task does not ask for never breaks a streak, and a make-up fills the
missed day it was done for. Today never breaks a streak (the member may still check in); a missed day
before today does.
"""
from __future__ import annotations

import calendar as pycalendar
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from lms.checkins.models import BADGES, CheckinTask


@dataclass(frozen=True)
class Summary:
    total: int
    makeups: int
    longest: int
    run: int  #: the run that ends at last_day
    last_day: date | None


class Schedule:
    """A task's schedule as plain values (its first and last day, its weekdays), read once: `summarise`
    asks it about every day of every member when a whole task is recomputed, and the task's own
    attributes are slower to read. The same answers as CheckinTask.is_scheduled / count_scheduled."""

    __slots__ = ("first", "last", "mask", "_gap_free")

    def __init__(self, task: CheckinTask):
        self.first, self.last, self.mask = task.starts_on, task.ends_on, task._mask()
        # _gap_free[w][g]: none of the g days after a day of weekday w (g < 7) is a scheduled weekday
        self._gap_free = [[not any(self.mask & (1 << ((w + 1 + i) % 7)) for i in range(g)) for g in range(7)]
                          for w in range(7)]

    def is_scheduled(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last) and bool(self.mask & (1 << day.weekday()))

    def follows(self, previous: date, day: date) -> bool:
        """No scheduled day lies strictly between two scheduled days `previous` < `day`."""
        gap = (day - previous).days - 1
        if gap >= 7:
            return not self.mask
        return self._gap_free[previous.weekday()][gap]


def summarise(task: CheckinTask | Schedule, days: Iterable[date], makeup_days: Iterable[date] = ()) -> Summary:
    """Totals and runs of a member's check-in days (scheduled days only count toward runs). Give a
    `Schedule` of the task when summing up many members."""
    schedule = task if isinstance(task, Schedule) else Schedule(task)
    done = sorted(set(days))
    makeups = len(set(makeup_days))
    if not done:
        return Summary(0, makeups, 0, 0, None)
    longest = run = 0
    previous: date | None = None
    for day in done:
        if not schedule.is_scheduled(day):
            continue
        # consecutive when no scheduled day lies between the previous done day and this one
        run = run + 1 if previous is not None and schedule.follows(previous, day) else 1
        previous = day
        if run > longest:
            longest = run
    return Summary(len(done), makeups, longest, run if previous is not None else 0, previous)


def current_streak(task: CheckinTask, run: int, last_day: date | None, today: date) -> int:
    """The streak as of `today`: the run ending at `last_day`, if no scheduled day since then (before today)
    was missed."""
    if last_day is None or run == 0:
        return 0
    if last_day >= today:
        return run
    return run if task.count_scheduled(last_day + timedelta(days=1), today - timedelta(days=1)) == 0 else 0


def alive_since(task: CheckinTask, today: date) -> date | None:
    """A stored run is still current when its last_day is on or after this day (the last scheduled day
    before today; None: every run counts). For the leaderboard's SQL."""
    return task.previous_scheduled(today)


def badges(longest: int) -> list[int]:
    """The badges earned by a longest streak (7, 21, 100 days)."""
    return [n for n in BADGES if longest >= n]


def next_badge(current: int) -> int | None:
    return next((n for n in BADGES if current < n), None)


class DayState(enum.StrEnum):
    done = "done"
    made_up = "made_up"
    missed = "missed"
    today = "today"  #: scheduled today, not done yet
    upcoming = "upcoming"
    off = "off"  #: not a scheduled day


@dataclass(frozen=True)
class CalendarDay:
    day: date | None  #: None: a blank before the 1st or after the last day
    state: DayState | None = None


def month_grid(task: CheckinTask, year: int, month: int, done: dict[date, bool],
               today: date) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month, each day with its state; `done` maps a day to is_makeup."""
    weeks = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for day in week:
            if day.month != month:
                row.append(CalendarDay(None))
                continue
            row.append(CalendarDay(day, day_state(task, day, done, today)))
        weeks.append(row)
    return weeks


def day_state(task: CheckinTask, day: date, done: dict[date, bool], today: date) -> DayState:
    if day in done:
        return DayState.made_up if done[day] else DayState.done
    if not task.is_scheduled(day):
        return DayState.off
    if day > today:
        return DayState.upcoming
    if day == today:
        return DayState.today
    return DayState.missed
