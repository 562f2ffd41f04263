"""The one home of the lateness rules: a student's deadline, the window, days late, penalty, "missing".

Pure functions over plain values (no Flask, no database), so every page, the gradebook, SpeedGrader,
exports, totals and mails derive the same answer from the *current* deadline, late policy and
extension. Nothing here is stored: change the due time or grant an extension and every reading follows.

Days late are counted in calendar days of the circle's time zone: the first late day ends one calendar
day after the due time at the due time's wall clock, the second two days after, and so on, as Canvas's
per-day late policy and Moodle's per-day penalties count them. One second late is day 1; across a
daylight-saving change a late day is 23 or 25 hours long.
"""
from __future__ import annotations

import enum
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class LatePolicy(enum.StrEnum):
    refuse = "refuse"  #: nothing after the due time
    accept = "accept"  #: accepted and marked late
    penalty = "penalty"  #: accepted, marked late, minus a percentage per started day up to a cap


class Window(enum.StrEnum):
    """Where the server's clock stands for one student's deadline."""

    not_open = "not_open"
    open = "open"
    late = "late"  #: past due, still accepted (marked late, maybe with a penalty)
    closed = "closed"


@dataclass(frozen=True, slots=True)
class Policy:
    """An assignment's late policy: the kind, percent of the points per started late day, and the cap."""

    kind: LatePolicy = LatePolicy.accept
    per_day: float = 0.0
    cap: float = 100.0


@dataclass(frozen=True, slots=True)
class Deadline:
    """The times that hold for one student on one assignment (the assignment's, or their extension's). UTC."""

    opens_at: datetime | None = None
    due_at: datetime | None = None
    closes_at: datetime | None = None  #: hard close: nothing after it, whatever the policy
    is_extended: bool = False  #: the due or close time comes from an extension for this student


@dataclass(frozen=True, slots=True)
class Lateness:
    is_late: bool = False
    days_late: int = 0  #: started late days in the circle's time zone (0 when on time)
    penalty_percent: float = 0.0  #: percent of the points taken off by the late policy


ON_TIME = Lateness()


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The IANA zone `name`, else `default` (an unknown or empty name never breaks a page)."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _wall_clock(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """`day` at `clock` in `tz`, as UTC. A wall-clock time that happens twice (the hour repeated when
    daylight saving ends) reads as the later one; one that never happens (skipped when it starts) as the
    moment the same distance after the jump, so a late day never ends early."""
    first = datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)
    second = datetime.combine(day, clock, tzinfo=tz).replace(fold=1).astimezone(timezone.utc)
    return max(first, second)


def late_day_end(due_at: datetime, days: int, tz: ZoneInfo) -> datetime:
    """When late day number `days` ends: `days` calendar days after the due date, at the due time's wall clock."""
    local = due_at.astimezone(tz)
    return _wall_clock(local.date() + timedelta(days=days), local.time().replace(tzinfo=None), tz)


def days_late(received_at: datetime, due_at: datetime | None, tz: ZoneInfo) -> int:
    """Started late days of work received at `received_at` (0 when on time or with no due time)."""
    if due_at is None or received_at <= due_at:
        return 0
    calendar_days = (received_at.astimezone(tz).date() - due_at.astimezone(tz).date()).days
    days = max(calendar_days, 1)
    while days > 1 and received_at <= late_day_end(due_at, days - 1, tz):
        days -= 1
    while received_at > late_day_end(due_at, days, tz):
        days += 1
    return days


def penalty_percent(days: int, policy: Policy) -> float:
    """Percent of the points taken for `days` late days: per day × days, never above the cap."""
    if policy.kind != LatePolicy.penalty or days <= 0:
        return 0.0
    return float(min(policy.per_day * days, policy.cap))


def lateness(received_at: datetime, deadline: Deadline, policy: Policy, tz: ZoneInfo) -> Lateness:
    """Whether work received at `received_at` (the server's clock) is late, by how many days, and its penalty."""
    days = days_late(received_at, deadline.due_at, tz)
    if days == 0:
        return ON_TIME
    return Lateness(True, days, penalty_percent(days, policy))


def window(deadline: Deadline, policy: Policy, now: datetime) -> Window:
    """Whether work arriving at `now` is early, on time, late (accepted) or refused."""
    if deadline.opens_at and now < deadline.opens_at:
        return Window.not_open
    if deadline.closes_at and now >= deadline.closes_at:
        return Window.closed
    if deadline.due_at is None or now <= deadline.due_at:
        return Window.open
    return Window.closed if policy.kind == LatePolicy.refuse else Window.late


def is_missing(deadline: Deadline, now: datetime, *, submitted: bool, excused: bool) -> bool:
    """Missing: nothing handed in, not excused, and the student's due time has passed (as Canvas's
    "missing": before the due time the work is only not handed in yet)."""
    return not submitted and not excused and deadline.due_at is not None and now > deadline.due_at


def final_score(score: float | None, points: float, penalty: float) -> float | None:
    """The score minus the late penalty (a percentage of the points), never below 0, to 2 decimals."""
    if score is None:
        return None
    return round(max(score - points * (penalty or 0) / 100, 0.0), 2)


class LateDays:
    """`lateness` of many receipt times against one deadline (a gradebook column): the ends of the late days are
    worked out once, as far as the latest work needs, instead of for every piece of work."""

    __slots__ = ("due_at", "policy", "tz", "_ends", "_by_days")

    def __init__(self, deadline: Deadline, policy: Policy, tz: ZoneInfo):
        self.due_at, self.policy, self.tz = deadline.due_at, policy, tz
        self._ends: list[datetime] = []  #: _ends[n] = late_day_end(due_at, n + 1, tz); they only grow
        self._by_days: dict[int, Lateness] = {}

    def __call__(self, received_at: datetime) -> Lateness:
        due_at = self.due_at
        if due_at is None or received_at <= due_at:
            return ON_TIME
        ends = self._ends
        while not ends or ends[-1] < received_at:
            ends.append(late_day_end(due_at, len(ends) + 1, self.tz))
        days = bisect_left(ends, received_at) + 1  # the first late day that ends at or after received_at
        found = self._by_days.get(days)
        if found is None:
            found = self._by_days[days] = Lateness(True, days, penalty_percent(days, self.policy))
        return found
