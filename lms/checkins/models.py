"""Check-in tasks of a circle, members' check-ins (with photos, likes, comments), their streak summaries and
reminder times."""
from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, TEACHING_ROLES, Circle, Role
from lms.core.i18n import is_timezone
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.uploads.models import Media

#: who checks in: the circle's learners (staff run the task)
LEARNER_ROLES = frozenset(Role) - STAFF_ROLES
#: the streak lengths that earn a badge
BADGES = (7, 21, 100)
#: a day has this many minutes (a window may end at 24:00)
DAY_MINUTES = 24 * 60


class ScheduleKind(enum.StrEnum):
    daily = "daily"  #: every day
    weekdays = "weekdays"  #: Monday to Friday
    chosen = "chosen"  #: the weekdays in `weekday_mask`
    date_range = "date_range"  #: every day from starts_on to ends_on


class RequirementKind(enum.StrEnum):
    text = "text"  #: a text of at least `min_words` words
    photo = "photo"  #: at least `min_photos` photos
    video = "video"  #: a short video through the media pipeline
    number = "number"  #: a number (e.g. minutes read) of at least `min_value`


class CheckinTask(db.Model):
    __tablename__ = "checkin_tasks"
    __table_args__ = (sa.Index("ix_checkin_tasks_circle", "circle_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Markdown, shown through lms.core.text.render_markdown (sanitized by nh3)
    instructions_md: Mapped[str] = mapped_column(sa.Text, default="")
    schedule: Mapped[ScheduleKind] = mapped_column(enum_column(ScheduleKind, name="checkin_schedule"),
                                                   default=ScheduleKind.daily)
    #: ScheduleKind.chosen: bit 0 Monday … bit 6 Sunday
    weekday_mask: Mapped[int] = mapped_column(default=0b1111111)
    #: the first day (in the circle's time zone) and the last (None: open-ended; required for a date range)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    #: the daily window in minutes after local midnight of the circle's time zone, [start, end); end ≤ 1440
    window_start_minute: Mapped[int] = mapped_column(default=0)
    window_end_minute: Mapped[int] = mapped_column(default=DAY_MINUTES)
    requirement: Mapped[RequirementKind] = mapped_column(enum_column(RequirementKind, name="checkin_requirement"),
                                                         default=RequirementKind.text)
    #: text: the fewest words (a CJK character counts as a word, lms.reviews.stats.word_count)
    min_words: Mapped[int] = mapped_column(default=0)
    min_photos: Mapped[int] = mapped_column(default=1)
    #: number: the label of the unit ("minutes read") and the least value accepted
    unit_label: Mapped[str] = mapped_column(sa.String(60), default="")
    min_value: Mapped[float] = mapped_column(sa.Float, default=0.0)
    #: how many missed days a member may make up in all, and how many days back
    makeup_allowance: Mapped[int] = mapped_column(default=0)
    makeup_days_back: Mapped[int] = mapped_column(default=0)
    members_see_each_other: Mapped[bool] = mapped_column(default=True)
    #: members may choose a daily reminder time
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    #: the gradebook item of the completion rate (lms.checkins.gradebook; None: not yet)
    gradebook_assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignments.id", ondelete="SET NULL"))
    #: the last day (circle's zone) the whole column was recomputed (lms.checkins.gradebook.refresh_columns)
    gradebook_refreshed_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    circle: Mapped[Circle] = relationship(lazy="joined")

    # -- schedule ------------------------------------------------------------------------------
    def is_scheduled(self, day: date) -> bool:
        """Is `day` (a date of the circle's time zone) a check-in day of this task?"""
        if day < self.starts_on or (self.ends_on is not None and day > self.ends_on):
            return False
        if self.schedule == ScheduleKind.weekdays:
            return day.weekday() < 5
        if self.schedule == ScheduleKind.chosen:
            return bool(self.weekday_mask & (1 << day.weekday()))
        return True

    def scheduled_days(self, first: date, last: date) -> list[date]:
        """The scheduled days in [first, last], in order."""
        first = max(first, self.starts_on)
        if self.ends_on is not None:
            last = min(last, self.ends_on)
        days, day = [], first
        while day <= last:
            if self.is_scheduled(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def count_scheduled(self, first: date, last: date) -> int:
        """How many scheduled days [first, last] has, in constant time."""
        first = max(first, self.starts_on)
        if self.ends_on is not None:
            last = min(last, self.ends_on)
        if last < first:
            return 0
        mask = self._mask()
        span = (last - first).days + 1
        weeks, rest = divmod(span, 7)
        count = weeks * bin(mask).count("1")
        for i in range(rest):
            if mask & (1 << ((first.weekday() + i) % 7)):
                count += 1
        return count

    def previous_scheduled(self, day: date) -> date | None:
        """The last scheduled day before `day`, or None."""
        candidate = day - timedelta(days=1)
        if self.ends_on is not None and candidate > self.ends_on:
            candidate = self.ends_on
        for _i in range(7):
            if candidate < self.starts_on:
                return None
            if self.is_scheduled(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return None

    def _mask(self) -> int:
        if self.schedule == ScheduleKind.weekdays:
            return 0b0011111
        if self.schedule == ScheduleKind.chosen:
            return self.weekday_mask & 0b1111111
        return 0b1111111

    # -- time ----------------------------------------------------------------------------------
    def local_now(self, now: datetime) -> datetime:
        """`now` (aware UTC, the server's clock) in the circle's time zone."""
        return now.astimezone(self.circle.zone)

    def today(self, now: datetime) -> date:
        return self.local_now(now).date()

    def window_times(self) -> tuple[time, time | None]:
        """The window's start and end as wall-clock times (end None: midnight at the end of the day)."""
        start = time(self.window_start_minute // 60, self.window_start_minute % 60)
        end = None if self.window_end_minute >= DAY_MINUTES else time(self.window_end_minute // 60,
                                                                      self.window_end_minute % 60)
        return start, end

    def window_label(self) -> str:
        return f"{minute_label(self.window_start_minute)}–{minute_label(self.window_end_minute)}"

    def in_window(self, now: datetime) -> bool:
        local = self.local_now(now)
        minute = local.hour * 60 + local.minute
        return self.window_start_minute <= minute < self.window_end_minute

    def has_whole_day(self) -> bool:
        return self.window_start_minute == 0 and self.window_end_minute >= DAY_MINUTES

    # -- predicates ----------------------------------------------------------------------------
    def is_staff(self, user: User | None) -> bool:
        return self.circle.can_manage_members(user)

    def can_view(self, user: User | None) -> bool:
        """Members and overseers see the task."""
        return self.circle.can_view(user)

    def can_check_in(self, user: User | None) -> bool:
        """The circle's active learners (students, members) check in while the circle is not archived."""
        return not self.circle.is_archived and self.circle.active_role(user) in LEARNER_ROLES

    def can_edit(self, user: User | None) -> bool:
        """Create, change, delete a task, the gradebook column: owner and teachers (and overseers)."""
        return can_manage_tasks(self.circle, user)

    def can_see_board(self, user: User | None) -> bool:
        """Today's board, rates, leaderboard, export, reminding: the staff (assistants too)."""
        return self.is_staff(user)

    def can_see_checkin(self, user: User | None, checkin: Checkin) -> bool:
        """One's own check-ins always; the staff all of them; others only when the task lets members see
        each other's."""
        if not self.can_view(user):
            return False
        return checkin.user_id == user.id or self.is_staff(user) or self.members_see_each_other

    def __repr__(self) -> str:
        return f"<CheckinTask {self.id} {self.title!r}>"


def can_manage_tasks(circle: Circle, user: User | None) -> bool:
    """Owners and teachers (and overseers) create check-in tasks in a circle that is not archived."""
    return not circle.is_archived and (circle.active_role(user) in TEACHING_ROLES or circle._is_overseer(user))


def minute_label(minute: int) -> str:
    """Minutes after midnight as a 24-hour wall time, "06:00", "24:00"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Checkin(db.Model):
    """One member's check-in for one day (a date of the circle's time zone) of a task."""

    __tablename__ = "checkins"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "user_id", "day", name="uq_checkins_task_user_day"),
        sa.Index("ix_checkins_task_day", "task_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the day it counts for, in the circle's time zone
    day: Mapped[date] = mapped_column(sa.Date)
    #: the server's receipt time
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    number: Mapped[float | None] = mapped_column(sa.Float)
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"))
    #: done later for a missed day (within the task's make-up allowance)
    is_makeup: Mapped[bool] = mapped_column(default=False)
    like_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    #: hidden by a moderator (lms.moderation): only its member and the staff see it
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[CheckinTask] = relationship()
    user: Mapped[User] = relationship()
    media: Mapped[Media | None] = relationship()
    photos: Mapped[list[CheckinPhoto]] = relationship(order_by="CheckinPhoto.position", cascade="all, delete-orphan",
                                                      back_populates="checkin")


class CheckinPhoto(db.Model):
    """A photo of a check-in, cleaned and stored (lms.core.images.store_image)."""

    __tablename__ = "checkin_photos"
    __table_args__ = (sa.Index("ix_checkin_photos_checkin", "checkin_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(sa.ForeignKey("checkins.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)

    checkin: Mapped[Checkin] = relationship(back_populates="photos")


class CheckinLike(db.Model):
    __tablename__ = "checkin_likes"

    checkin_id: Mapped[int] = mapped_column(sa.ForeignKey("checkins.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckinComment(db.Model):
    """A plain-text comment on a check-in (shown escaped)."""

    __tablename__ = "checkin_comments"
    __table_args__ = (sa.Index("ix_checkin_comments_checkin", "checkin_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(sa.ForeignKey("checkins.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: hidden by a moderator, or held for review by the circle's word list (lms.moderation): only its author
    #: and the staff see it
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckinStreak(db.Model):
    """A member's summary of one task, recomputed from their check-ins at each check-in (so the leaderboard
    sorts in SQL): the total, the longest run, and the run that ends at `last_day`. The current streak is
    `run` while no scheduled day between `last_day` and today was missed (lms.checkins.streaks)."""

    __tablename__ = "checkin_streaks"
    __table_args__ = (sa.UniqueConstraint("task_id", "user_id", name="uq_checkin_streaks_task_user"),
                      sa.Index("ix_checkin_streaks_task_total", "task_id", "total"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    total: Mapped[int] = mapped_column(default=0)
    makeups: Mapped[int] = mapped_column(default=0)
    longest: Mapped[int] = mapped_column(default=0)
    #: the run of scheduled days done that ends at last_day
    run: Mapped[int] = mapped_column(default=0)
    last_day: Mapped[date | None] = mapped_column(sa.Date)


class CheckinReminder(db.Model):
    """A member's daily reminder time for a task, in the time zone they chose it in; `next_at` is the next time
    it is due (UTC), so the periodic sweep reads only the due rows."""

    __tablename__ = "checkin_reminders"
    __table_args__ = (sa.UniqueConstraint("task_id", "user_id", name="uq_checkin_reminders_task_user"),
                      sa.Index("ix_checkin_reminders_next", "next_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: minutes after midnight in `timezone`
    minute: Mapped[int] = mapped_column()
    #: the zone the page showed when the member chose the time (lms.core.i18n.select_timezone: the profile's,
    #: else the browser's, else the circle's); None on rows older than it: the profile's, else the circle's
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def zone(self, user: User, circle: Circle) -> ZoneInfo:
        """The zone `minute` is read in, by the sweep and on the page alike: the one it was chosen in; for a
        row without one, the profile's zone, else the circle's."""
        for name in (self.timezone, user.timezone):
            if name and is_timezone(name):
                return ZoneInfo(name)
        return circle.zone
