"""Attendance of live lessons, computed from the room's connection rows (LiveAttendance, written by
live-room) and the replay's views (ReplayView, written by live-video). Nothing computed is stored: the
pages, the CSV and the gradebook column all read the same numbers from `lesson_attendance`.

The rules (the README's "Live lessons" section says the same):

1. The lesson's **live time** runs from when it went live to when it ended (while it is on air: to now),
   a "reconnecting" pause of the host included. A lesson that never went live has no attendance.
2. Each **connection** (one row: a tab, a phone, a reconnect) is present from `joined_at` to `left_at`.
   A connection still open counts up to now while it is heard from; one not heard from for 90 s (the
   room's heartbeat comes every 30 s, from background tabs too: a background tab counts as watching)
   ends at its `last_seen_at`. Connections are clipped to the live time (waiting before the start
   does not count): someone who joined in the waiting room before the lesson went live is shown as
   first joined when it went live.
3. A person's **time** is the union of their connections: several joins add up, and overlapping ones
   (two tabs, a reconnect that opened before the old connection timed out) count once.
4. **Minute by minute:** the live time is cut into minutes from when it went live, as many as its length
   in minutes rounded half up (a last part shorter than half a minute belongs to the minute before); a person is present in a minute when they were there for at least half of it. Their
   **minutes** are these minutes present (the green cells of the strip, the CSV's ones) and their
   **percentage** is those minutes of all the lesson's minutes: the strip, the minutes, the percentage and
   the status never disagree.
5. **Late:** their first moment present comes more than `late_after_minutes` after the lesson went live.
6. **Absent:** present for less than `present_min_percent` % of the lesson's minutes (never joined included);
   otherwise present (on time or late).
7. **On stage** (real-time lessons, lms.live.stage): the seconds someone was on the stage (from accepting an
   invitation to leaving it, the union of their times, clipped to the live time) and how many times they
   went on; 0 means they never spoke. Shown beside the attendance; it does not change present/late/absent.
8. **Replay:** the seconds of the replay watched (ranges merged, so watching a part twice counts once),
   shown beside the live attendance; it does not change present/late/absent.
9. The list is the circle's active students and members (not staff); someone who left the circle is
   no longer listed.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from lms.circles.models import Circle, Membership, MembershipStatus, Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.live.models import STALE_AFTER, LiveAttendance, LiveLesson, LiveStageSeat, ReplayView

#: roles that attend (staff host; they are not counted)
ATTENDING_ROLES = (Role.student, Role.member)


class Status(StrEnum):
    present = "present"
    late = "late"  #: present, but joined after late_after_minutes
    absent = "absent"
    upcoming = "upcoming"  #: the lesson has not gone live (yet)


Interval = tuple[datetime, datetime]


def connection_interval(row_joined: datetime, row_last_seen: datetime | None, row_left: datetime | None,
                        now: datetime) -> Interval:
    """Rule 2: the time one connection counts as present (before clipping to the live time)."""
    if row_left is not None:
        end = row_left
    else:
        last_seen = row_last_seen or row_joined
        end = last_seen if now - last_seen > STALE_AFTER else now
    return row_joined, max(row_joined, end)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Rule 3: the union of intervals, as sorted disjoint intervals (touching ones joined)."""
    merged: list[list[datetime]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if min(e, end) > max(s, start)]


def seconds_of(intervals: Iterable[Interval]) -> float:
    return sum((e - s).total_seconds() for s, e in intervals)


def minute_count(total_seconds: float) -> int:
    """Rule 4: how many minutes a live time of `total_seconds` has: its length in minutes rounded half up (at
    least one), a last part shorter than half a minute belonging to the minute before it."""
    return max(1, half_up(total_seconds / 60)) if total_seconds > 0 else 0


def minute_presence(intervals: Sequence[Interval], start: datetime, end: datetime) -> list[bool]:
    """Rule 4: for each minute of [start, end) (minute_count of them; the last runs to the end, so may be
    shorter or longer than 60 s), present for at least half of it."""
    total = (end - start).total_seconds()
    minutes = minute_count(total)
    if not minutes:
        return []
    bounds = [(m * 60.0, (m + 1) * 60.0 if m < minutes - 1 else total) for m in range(minutes)]
    covered = [0.0] * minutes
    for s, e in intervals:
        a, b = (s - start).total_seconds(), (e - start).total_seconds()
        for m, (lo, hi) in enumerate(bounds):
            covered[m] += max(0.0, min(b, hi) - max(a, lo))
    return [covered[m] * 2 >= hi - lo for m, (lo, hi) in enumerate(bounds)]


def merge_ranges(ranges: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    """Replay ranges [start, end] in seconds, merged (rule 7)."""
    merged: list[list[float]] = []
    for pair in sorted((float(r[0]), float(r[1])) for r in ranges if len(r) == 2 and float(r[1]) > float(r[0])):
        if merged and pair[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], pair[1])
        else:
            merged.append(list(pair))
    return [(a, b) for a, b in merged]


@dataclass
class Record:
    """One person's attendance of one lesson."""

    user_id: int
    display_name: str = ""
    real_name: str | None = None
    student_no: str | None = None
    first_join: datetime | None = None  #: their first connection's joined_at, from going live on (rule 2)
    first_present: datetime | None = None  #: first moment counted (clipped to the live time)
    seconds: float = 0.0  #: never more than live_seconds (the union of their connections, rule 3)
    live_seconds: float = 0.0
    percent: float = 0.0  #: 0 to 100: minutes present of all the lesson's minutes (rule 4)
    joins: int = 0  #: connections opened
    minutes: list[bool] = field(default_factory=list)
    status: Status = Status.upcoming
    replay_seconds: float = 0.0
    replay_last_at: datetime | None = None
    stage_seconds: float = 0.0  #: time on stage (rule 7)
    stage_times: int = 0  #: how many times they went on stage

    @property
    def stage_minutes(self) -> int:
        return half_up(self.stage_seconds / 60)

    @property
    def whole_minutes(self) -> int:
        """Minutes present: the strip's present minutes (rule 4), so the column and the strip agree."""
        return self.minutes_present

    @property
    def whole_percent(self) -> int:
        return half_up(self.percent)

    @property
    def minutes_present(self) -> int:
        return sum(self.minutes)

    @property
    def presence_code(self) -> str:
        """The minutes as one string, "1" present and "0" not (the CSV's column)."""
        return "".join("1" if m else "0" for m in self.minutes)


def half_up(value: float) -> int:
    """Rounded half up (Python's round() rounds half to even: 2.5 → 2 but 3.5 → 4)."""
    return int(math.floor(value + 0.5))


def live_window(lesson: LiveLesson, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """Rule 1: (went live, ended or now), or None when it never went live."""
    if lesson.went_live_at is None:
        return None
    end = lesson.ended_at or (now or utcnow())
    return lesson.went_live_at, max(end, lesson.went_live_at)


def compute(lesson: LiveLesson, user_id: int, rows: Sequence[tuple[datetime, datetime | None, datetime | None]],
            now: datetime | None = None, replay: ReplayView | None = None,
            stage: Sequence[tuple[datetime, datetime | None]] = ()) -> Record:
    """One person's record from their connection rows (joined_at, last_seen_at, left_at) and their times on
    stage (started_at, ended_at)."""
    now = now or utcnow()
    record = Record(user_id=user_id, joins=len(rows))
    stage_intervals = [(s, e or now) for s, e in stage if s is not None]
    record.stage_times = len(stage_intervals)
    if rows:
        record.first_join = min(r[0] for r in rows)
    if replay is not None:
        record.replay_seconds = sum(b - a for a, b in merge_ranges(replay.watched or [])) or float(replay.seconds_watched or 0)
        record.replay_last_at = replay.last_at
    window = live_window(lesson, now)
    if window is None:
        return record
    start, end = window
    record.stage_seconds = seconds_of(clip(merge(stage_intervals), start, end))
    union = clip(merge(connection_interval(j, s, l, now) for j, s, l in rows), start, end)
    live = (end - start).total_seconds()
    record.live_seconds = live
    record.seconds = min(seconds_of(union), live)
    if record.first_join is not None:
        record.first_join = max(record.first_join, start)  # waiting before going live counts from the start
    record.minutes = minute_presence(union, start, end)
    record.percent = 100.0 * sum(record.minutes) / len(record.minutes) if record.minutes else 0.0
    record.first_present = union[0][0] if union else None
    if not union or record.percent < lesson.present_min_percent:
        record.status = Status.absent
    elif record.first_present > start + timedelta(minutes=lesson.late_after_minutes):
        record.status = Status.late
    else:
        record.status = Status.present
    return record


# -- loading --------------------------------------------------------------------------------------

def attendees(circle: Circle) -> list[Membership]:
    """Rule 8: the circle's active students and members, by name in the circle."""
    return list(db.session.scalars(
        sa.select(Membership).where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
                                    Membership.role.in_([r.value for r in ATTENDING_ROLES]))
        .order_by(Membership.sort_key, Membership.display_name, Membership.id)))


def _rows_by_user(lesson_ids: Sequence[int], user_ids: Sequence[int] | None = None):
    query = sa.select(LiveAttendance.lesson_id, LiveAttendance.user_id, LiveAttendance.joined_at,
                      LiveAttendance.last_seen_at, LiveAttendance.left_at).where(LiveAttendance.lesson_id.in_(lesson_ids))
    if user_ids is not None:
        query = query.where(LiveAttendance.user_id.in_(user_ids))
    found: dict[tuple[int, int], list] = {}
    for lesson_id, user_id, joined, seen, left in db.session.execute(query):
        found.setdefault((lesson_id, user_id), []).append((joined, seen, left))
    return found


def _replays(lesson_ids: Sequence[int], user_ids: Sequence[int] | None = None) -> dict[tuple[int, int], ReplayView]:
    query = sa.select(ReplayView).where(ReplayView.lesson_id.in_(lesson_ids))
    if user_ids is not None:
        query = query.where(ReplayView.user_id.in_(user_ids))
    return {(v.lesson_id, v.user_id): v for v in db.session.scalars(query)}


def _stage_by_user(lesson_ids: Sequence[int], user_ids: Sequence[int] | None = None):
    """Rule 7's rows: each (lesson, person)'s times on stage, (started_at, ended_at)."""
    query = sa.select(LiveStageSeat.lesson_id, LiveStageSeat.user_id, LiveStageSeat.started_at,
                      LiveStageSeat.ended_at).where(LiveStageSeat.lesson_id.in_(lesson_ids),
                                                    LiveStageSeat.started_at.is_not(None),
                                                    LiveStageSeat.state != "host")
    if user_ids is not None:
        query = query.where(LiveStageSeat.user_id.in_(user_ids))
    found: dict[tuple[int, int], list] = {}
    for lesson_id, user_id, started, ended in db.session.execute(query):
        found.setdefault((lesson_id, user_id), []).append((started, ended))
    return found


def _named(record: Record, membership: Membership) -> Record:
    record.display_name = membership.display_name
    record.real_name = membership.real_name
    record.student_no = membership.student_no
    return record


def lesson_attendance(lesson: LiveLesson, now: datetime | None = None) -> list[Record]:
    """Every attendee's record of `lesson` (four queries whatever the class size)."""
    now = now or utcnow()
    members = attendees(lesson.circle)
    rows = _rows_by_user([lesson.id])
    replays = _replays([lesson.id])
    stage = _stage_by_user([lesson.id])
    return [_named(compute(lesson, m.user_id, rows.get((lesson.id, m.user_id), []), now,
                           replays.get((lesson.id, m.user_id)), stage.get((lesson.id, m.user_id), ())), m)
            for m in members]


def student_attendance(lessons: Sequence[LiveLesson], membership: Membership,
                       now: datetime | None = None) -> list[tuple[LiveLesson, Record]]:
    """One person's record of each of `lessons` (three queries)."""
    now = now or utcnow()
    ids = [lesson.id for lesson in lessons]
    if not ids:
        return []
    rows = _rows_by_user(ids, [membership.user_id])
    replays = _replays(ids, [membership.user_id])
    stage = _stage_by_user(ids, [membership.user_id])
    return [(lesson, _named(compute(lesson, membership.user_id, rows.get((lesson.id, membership.user_id), []), now,
                                    replays.get((lesson.id, membership.user_id)),
                                    stage.get((lesson.id, membership.user_id), ())), membership))
            for lesson in lessons]


def own_record(lesson: LiveLesson, user_id: int, now: datetime | None = None) -> Record:
    """One person's record of one lesson (three queries), for the lesson page."""
    rows = _rows_by_user([lesson.id], [user_id])
    replays = _replays([lesson.id], [user_id])
    stage = _stage_by_user([lesson.id], [user_id])
    return compute(lesson, user_id, rows.get((lesson.id, user_id), []), now, replays.get((lesson.id, user_id)),
                   stage.get((lesson.id, user_id), ()))


def class_attendance(lessons: Sequence[LiveLesson], members: Sequence[Membership],
                     now: datetime | None = None) -> list[tuple[Membership, list[Record]]]:
    """Every attendee × every lesson (attendance across lessons): four queries whatever the class size."""
    now = now or utcnow()
    ids = [lesson.id for lesson in lessons]
    rows = _rows_by_user(ids) if ids else {}
    replays = _replays(ids) if ids else {}
    stage = _stage_by_user(ids) if ids else {}
    return [(m, [_named(compute(lesson, m.user_id, rows.get((lesson.id, m.user_id), []), now,
                                replays.get((lesson.id, m.user_id)), stage.get((lesson.id, m.user_id), ())), m)
                 for lesson in lessons])
            for m in members]


@dataclass
class Summary:
    present: int = 0
    late: int = 0
    absent: int = 0


def summarise(records: Iterable[Record]) -> Summary:
    summary = Summary()
    for record in records:
        if record.status == Status.present:
            summary.present += 1
        elif record.status == Status.late:
            summary.late += 1
        elif record.status == Status.absent:
            summary.absent += 1
    return summary


# -- export ---------------------------------------------------------------------------------------

def csv_rows(lesson: LiveLesson, records: Sequence[Record], stamp, labels) -> Iterable[list[str]]:
    """The header and a row per attendee (times as `stamp` writes them; `labels` words the statuses)."""
    from flask_babel import gettext as _

    yield [_("Name in the circle"), _("Real name"), _("Student number"), _("Status"), _("First joined"),
           _("Minutes present"), _("Percent of the lesson"), _("Joins"), _("Replay minutes watched"),
           _("Minute by minute (1 = present)"), _("Minutes on stage"), _("Times on stage")]
    for r in records:
        yield [r.display_name, r.real_name or "", r.student_no or "", str(labels[r.status]),
               stamp(r.first_join) if r.first_join else "", str(r.whole_minutes), str(r.whole_percent), str(r.joins),
               str(int(round(r.replay_seconds / 60))), r.presence_code, str(r.stage_minutes), str(r.stage_times)]
