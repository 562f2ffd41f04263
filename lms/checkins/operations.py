"""Every state change of check-ins: tasks (create, change, delete), checking in (today or a make-up), the
streak summary, likes and comments, reminder times, the reminder sweep and the teacher's "remind those who
have not". Flush, never commit; the caller checked the acting user's permission (routes: `require`).

The server's clock decides (DESIGN.md §5.2): `now` is the receipt time, and the day, the window and the
make-up reach are read in the circle's time zone."""
from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter
from datetime import date, datetime, time, timedelta, timezone
from typing import BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.checkins import notifications as tell
from lms.checkins import queries as q
from lms.checkins.models import (DAY_MINUTES, LEARNER_ROLES, Checkin, CheckinComment, CheckinLike, CheckinPhoto,
                                 CheckinReminder, CheckinStreak, CheckinTask, RequirementKind, ScheduleKind,
                                 minute_label)
from lms.checkins.streaks import Schedule, summarise
from lms.circles.models import Circle
from lms.core.i18n import is_timezone, zone_label
from lms.core.images import store_image
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.jobs import delete_stored_after_commit, discard_stored_on_rollback
from lms.notifications import MailRule, already_told, forget_about, notify
from lms.reviews.stats import word_count
from lms.uploads.models import Media, MediaKind
from lms.uploads.operations import adopt_kept_image

MAX_TITLE = 200
MAX_INSTRUCTIONS = 20000
MAX_TEXT = 10000
MAX_COMMENT = 1000
MAX_PHOTOS = 9
#: a check-in's video is short: at most this many seconds
MAX_VIDEO_SECONDS = 180
#: (low, high) of the task's numbers
LIMITS = {"min_words": (0, 5000), "min_photos": (1, MAX_PHOTOS), "makeup_allowance": (0, 366),
          "makeup_days_back": (0, 60), "window_start_minute": (0, DAY_MINUTES - 1),
          "window_end_minute": (1, DAY_MINUTES)}
#: a field's value when a task is created without it
DEFAULTS = {"instructions_md": "", "schedule": ScheduleKind.daily, "weekday_mask": 0b1111111, "ends_on": None,
            "window_start_minute": 0, "window_end_minute": DAY_MINUTES, "requirement": RequirementKind.text,
            "min_words": 0, "min_photos": 1, "unit_label": "", "min_value": 0.0, "makeup_allowance": 0,
            "makeup_days_back": 0, "members_see_each_other": True, "reminders_enabled": True}
FIELDS = ("title", "starts_on", *DEFAULTS)
#: where check-in photos are stored (lms.storage keys)
IMAGE_PREFIX = "checkins"


class CheckinError(ValueError):
    """A refused change; the message is for the user (translated), `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def task_url(task: CheckinTask) -> str:
    return path_for("checkins.show", circle_id=task.circle_id, task_id=task.id)


def _day(day: date) -> str:
    return format_date(day, "medium")


# -- tasks -----------------------------------------------------------------------------------------

def _check_task(values: dict) -> dict:
    title = " ".join((values.get("title") or "").split())
    if not title:
        raise CheckinError(_l("Give the task a title."), "title")
    if len(title) > MAX_TITLE:
        raise CheckinError(lazy_ngettext("At most %(num)d character.", "At most %(num)d characters.", MAX_TITLE),
                           "title")
    values["title"] = title
    values["instructions_md"] = (values.get("instructions_md") or "").strip()
    if len(values["instructions_md"]) > MAX_INSTRUCTIONS:
        raise CheckinError(lazy_ngettext("At most %(num)d character.", "At most %(num)d characters.", MAX_INSTRUCTIONS),
                           "instructions_md")
    for name, (low, high) in LIMITS.items():
        value = int(values[name])
        if not low <= value <= high:
            raise CheckinError(_l("Give a whole number from %(low)d to %(high)d.", low=low, high=high), name)
        values[name] = value
    values["schedule"] = ScheduleKind(values["schedule"])
    values["requirement"] = RequirementKind(values["requirement"])
    if values["starts_on"] is None:
        raise CheckinError(_l("Give the first day."), "starts_on")
    values["unit_label"] = " ".join((values.get("unit_label") or "").split())[:60]
    for error in task_errors(values):
        raise error
    values["min_value"] = float(values.get("min_value") or 0)
    if values["min_value"] < 0 or values["min_value"] > 1e6:
        raise CheckinError(_l("Give a number from 0 to 1,000,000."), "min_value")
    values["members_see_each_other"] = bool(values["members_see_each_other"])
    values["reminders_enabled"] = bool(values["reminders_enabled"])
    return values


def task_errors(values: dict) -> list[CheckinError]:
    """Every refusal of a task's values that weighs one field against another (the days, the window, the
    number's unit), all at once, so a form shows them together with its own fields' errors. A value left
    None (a field the form could not read) is skipped."""
    errors = []
    schedule, starts_on, ends_on = values.get("schedule"), values.get("starts_on"), values.get("ends_on")
    if schedule == ScheduleKind.date_range and ends_on is None:
        errors.append(CheckinError(_l("A date range needs its last day."), "ends_on"))
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        errors.append(CheckinError(_l("The last day cannot come before the first."), "ends_on"))
    if schedule == ScheduleKind.chosen and not (values.get("weekday_mask") or 0) & 0b1111111:
        errors.append(CheckinError(_l("Choose at least one day of the week."), "weekdays"))
    start, end = values.get("window_start_minute"), values.get("window_end_minute")
    if start is not None and end is not None and end <= start:
        errors.append(CheckinError(_l("The window must end after it opens (on the same day)."), "window_end"))
    if values.get("requirement") == RequirementKind.number and not (values.get("unit_label") or "").strip():
        errors.append(CheckinError(_l("Say what the number counts, e.g. “minutes read”."), "unit_label"))
    return errors


def create_task(circle: Circle, author: User, **fields) -> CheckinTask:
    """A new check-in task of `circle` (fields: FIELDS; missing ones take DEFAULTS). Raises CheckinError for a
    value out of bounds, a date range without its end, no weekday chosen, a window that ends before it opens,
    a number without its unit."""
    values = _check_task({**DEFAULTS, **{k: v for k, v in fields.items() if k in FIELDS}})
    task = CheckinTask(circle_id=circle.id, created_by_id=author.id, **values)
    task.circle = circle
    db.session.add(task)
    db.session.flush()
    return task


def update_task(task: CheckinTask, editor: User, **fields) -> list[str]:
    """Change a task (same checks as create_task). Check-ins already made stay; the members' summaries are
    recomputed when the schedule changed. Returns the names of the fields changed."""
    current = {name: getattr(task, name) for name in FIELDS}
    values = _check_task({**current, **{k: v for k, v in fields.items() if k in FIELDS}})
    changed = [name for name in FIELDS if values[name] != current[name]]
    for name in changed:
        setattr(task, name, values[name])
    db.session.flush()
    if {"schedule", "weekday_mask", "starts_on", "ends_on"} & set(changed):
        recompute_streaks(task)
    return changed


def delete_task(task: CheckinTask, actor: User) -> None:
    """Delete a task with every check-in, photo, like, comment, reminder of it, and the notifications about
    it. Audited (its title and how many check-ins it had)."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Checkin).where(Checkin.task_id == task.id)) or 0
    record_event(AuditAction.checkin_task_deleted, actor, target=task, details={"title": task.title,
                                                                               "checkins": count})
    for key in db.session.scalars(sa.select(CheckinPhoto.storage_key).join(Checkin).where(Checkin.task_id == task.id)):
        delete_stored_after_commit(key)
    forget_about((tell.SUBJECT, task.id))
    db.session.delete(task)
    db.session.flush()


# -- checking in -----------------------------------------------------------------------------------

def _zone_name(task: CheckinTask) -> str:
    """The circle's zone as the reader's language names it ("中国（上海）时间（GMT+08:00）")."""
    return zone_label(task.circle.zone.key)


def _window_refusal(task: CheckinTask, now: datetime) -> CheckinError:
    local = task.local_now(now)
    minute = local.hour * 60 + local.minute
    params = dict(title=task.title, start=minute_label(task.window_start_minute),
                  end=minute_label(task.window_end_minute), zone=_zone_name(task), now=minute_label(minute))
    if minute < task.window_start_minute:
        return CheckinError(_l("Check-ins for “%(title)s” open at %(start)s in %(zone)s; it is %(now)s there "
                               "now. Come back between %(start)s and %(end)s.", **params))
    return CheckinError(_l("Check-ins for “%(title)s” closed at %(end)s in %(zone)s; it is %(now)s there now. "
                           "Today's window was %(start)s–%(end)s.", **params))


def check_day(task: CheckinTask, user: User, day: date | None, now: datetime) -> tuple[date, bool]:
    """The day a check-in made now would count for, and whether it is a make-up; raises CheckinError with
    the reason when it cannot be made (a day not scheduled, outside today's window, a make-up beyond the
    allowance or too far back, a day not come yet, a day already checked in)."""
    today = task.today(now)
    day = day or today
    if day > today:
        raise CheckinError(_l("%(day)s has not come yet.", day=_day(day)), "day")
    if not task.is_scheduled(day):
        raise CheckinError(_l("%(day)s is not a check-in day of “%(title)s”.", day=_day(day), title=task.title), "day")
    is_makeup = day < today
    if is_makeup:
        if task.makeup_allowance <= 0:
            raise CheckinError(_l("“%(title)s” allows no make-up check-ins for missed days.", title=task.title), "day")
        back = (today - day).days
        if back > task.makeup_days_back:
            raise CheckinError(lazy_ngettext(
                "Make-up check-ins reach back at most %(num)d day; %(day)s is further back.",
                "Make-up check-ins reach back at most %(num)d days; %(day)s is further back.",
                task.makeup_days_back, day=_day(day)), "day")
        if q.makeups_used(task, user.id) >= task.makeup_allowance:
            raise CheckinError(lazy_ngettext("You have used your %(num)d make-up check-in of “%(title)s”.",
                                             "You have used all %(num)d make-up check-ins of “%(title)s”.",
                                             task.makeup_allowance, title=task.title), "day")
    elif not task.in_window(now):
        raise _window_refusal(task, now)
    if q.checkin_of(task, user.id, day) is not None:
        raise CheckinError(_l("You already checked in for %(day)s.", day=_day(day)), "day")
    return day, is_makeup


def _check_content(task: CheckinTask, user: User, text: str, number: float | None, photos: Sequence,
                   media: Media | None) -> None:
    if len(text) > MAX_TEXT:
        raise CheckinError(lazy_ngettext("At most %(num)d character.", "At most %(num)d characters.", MAX_TEXT), "text")
    if len(photos) > MAX_PHOTOS:
        raise CheckinError(lazy_ngettext("At most %(num)d photo.", "At most %(num)d photos.", MAX_PHOTOS), "photos")
    kind = task.requirement
    if kind == RequirementKind.text:
        words = word_count(text)
        if not text or words < task.min_words:
            raise CheckinError(lazy_ngettext("Write at least %(num)d word (you wrote %(wrote)d).",
                                             "Write at least %(num)d words (you wrote %(wrote)d).",
                                             max(1, task.min_words), wrote=words), "text")
    elif kind == RequirementKind.photo:
        if len(photos) < task.min_photos:
            raise CheckinError(lazy_ngettext("Add at least %(num)d photo.", "Add at least %(num)d photos.",
                                             task.min_photos), "photos")
    elif kind == RequirementKind.video:
        if media is None:
            raise CheckinError(_l("Add your video."), "media_id")
    elif kind == RequirementKind.number:
        if number is None:
            raise CheckinError(_l("Give the number (%(unit)s).", unit=task.unit_label), "number")
        if number < task.min_value or number > 1e9:
            raise CheckinError(_l("A check-in needs at least %(min)s (%(unit)s).", min=f"{task.min_value:g}",
                                  unit=task.unit_label), "number")
    if media is not None:
        if media.owner_id != user.id or media.kind != MediaKind.video or media.is_failed:
            raise CheckinError(_l("That video cannot be used. Upload it again, or choose another."), "media_id")
        if media.duration is not None and media.duration > MAX_VIDEO_SECONDS + 1:
            raise CheckinError(lazy_ngettext("The video may be at most %(num)d second long.",
                                             "The video may be at most %(num)d seconds long.", MAX_VIDEO_SECONDS),
                               "media_id")


def submit_checkin(task: CheckinTask, user: User, *, day: date | None = None, text: str = "",
                   number: float | None = None, photos: Sequence[BinaryIO] = (), media: Media | None = None,
                   kept_photos: Sequence[Media] = (), now: datetime | None = None) -> Checkin:
    """Check `user` in for `day` (default: today in the circle's time zone; an earlier day is a make-up) at the
    server's time `now`. Raises CheckinError with the reason (check_day's refusals, or content the task does
    not accept: too few words, photos, no video, a number below the minimum) and ImageRejected for a photo
    that is not an image. `kept_photos`: the member's images kept from a refused try (lms.uploads
    keep_images; they come first). Updates the member's streak summary and tells the staff's open boards."""
    now = now or utcnow()
    text = (text or "").strip()
    day, is_makeup = check_day(task, user, day, now)
    kept_photos = [m for m in kept_photos if m.owner_id == user.id] if task.requirement == RequirementKind.photo \
        else []
    _check_content(task, user, text, number, [*kept_photos, *photos], media)
    checkin = Checkin(task_id=task.id, user_id=user.id, day=day, submitted_at=now, text=text,
                      number=number if task.requirement == RequirementKind.number else None,
                      media_id=media.id if media is not None else None, is_makeup=is_makeup)
    for position, kept in enumerate(kept_photos):
        checkin.photos.append(CheckinPhoto(storage_key=adopt_kept_image(kept), position=position))
    stored = []
    for position, stream in enumerate(photos, start=len(kept_photos)):
        stored.append(store_image(stream, IMAGE_PREFIX))
        discard_stored_on_rollback(stored[-1])
        checkin.photos.append(CheckinPhoto(storage_key=stored[-1], position=position))
    try:
        with db.session.begin_nested():
            db.session.add(checkin)
    except IntegrityError:  # a second request of the same member won the race
        for key in stored:  # the kept ones stay with their uploads (the request rolls back)
            delete_stored_after_commit(key)
        raise CheckinError(_l("You already checked in for %(day)s.", day=_day(day)), "day") from None
    refresh_streak(task, user.id)
    _refresh_grade(task, user.id, now)
    tell.checked_in(q.staff_ids(task.circle), task.id, user.id, day.isoformat(), is_makeup)
    return checkin


def _refresh_grade(task: CheckinTask, user_id: int, now: datetime | None = None) -> None:
    """The member's grade in the task's gradebook column follows their check-ins."""
    if task.gradebook_assignment_id:
        from lms.checkins.gradebook import refresh_column

        refresh_column(task, [user_id], now)


def refresh_streak(task: CheckinTask, user_id: int) -> CheckinStreak:
    """Recompute the member's summary of `task` from their check-ins (one read, one write)."""
    days = q.days_of(task, user_id)
    summary = summarise(task, (d for d, _m in days), (d for d, m in days if m))
    row = q.streak_of(task, user_id)
    if row is None:
        row = CheckinStreak(task_id=task.id, user_id=user_id)
        db.session.add(row)
    row.total, row.makeups, row.longest = summary.total, summary.makeups, summary.longest
    row.run, row.last_day = summary.run, summary.last_day
    db.session.flush()
    return row


#: Rows per statement of the bulk writes of `recompute_streaks`.
RECOMPUTE_BATCH = 5000


def recompute_streaks(task: CheckinTask) -> int:
    """Recompute every member's summary of `task` from their check-ins (after its schedule changed) in a
    number of statements that does not grow with the circle: one read of the stored summaries, one
    streamed read of every (member, day, is_makeup) in member order, each member's days summed up by
    the same pure function as `refresh_streak` (streaks.summarise), then bulk writes of the rows that
    changed (one statement per RECOMPUTE_BATCH rows). A summary left without check-ins is zeroed.
    Returns how many summaries changed."""
    stored = {row.user_id: row for row in db.session.execute(
        sa.select(CheckinStreak.id, CheckinStreak.user_id, CheckinStreak.total, CheckinStreak.makeups,
                  CheckinStreak.longest, CheckinStreak.run, CheckinStreak.last_day)
        .where(CheckinStreak.task_id == task.id))}
    # Core rows, not ORM ones: millions of them for a big circle over a year
    rows = db.session.connection().execute(
        sa.select(Checkin.user_id, Checkin.day, Checkin.is_makeup).where(Checkin.task_id == task.id)
        .order_by(Checkin.user_id, Checkin.day).execution_options(yield_per=RECOMPUTE_BATCH))
    schedule = Schedule(task)
    summaries = {}
    for user_id, group in groupby(rows, key=itemgetter(0)):
        days = list(group)
        summaries[user_id] = summarise(schedule, [r[1] for r in days], [r[1] for r in days if r[2]])
    updates, inserts = [], []
    for user_id in stored.keys() | summaries.keys():
        summary = summaries.get(user_id) or summarise(task, ())
        values = {"total": summary.total, "makeups": summary.makeups, "longest": summary.longest,
                  "run": summary.run, "last_day": summary.last_day}
        old = stored.get(user_id)
        if old is None:
            inserts.append({"task_id": task.id, "user_id": user_id, **values})
        elif any(getattr(old, name) != value for name, value in values.items()):
            updates.append({"id": old.id, **values})
    for start in range(0, len(updates), RECOMPUTE_BATCH):
        db.session.execute(sa.update(CheckinStreak), updates[start:start + RECOMPUTE_BATCH])
    for start in range(0, len(inserts), RECOMPUTE_BATCH):
        db.session.execute(sa.insert(CheckinStreak), inserts[start:start + RECOMPUTE_BATCH])
    for obj in [o for o in db.session.identity_map.values() if isinstance(o, CheckinStreak)]:
        db.session.expire(obj)  # written around the ORM: loaded copies read again
    db.session.flush()
    return len(updates) + len(inserts)


def delete_checkin(checkin: Checkin) -> None:
    """Take back one's own check-in (its photos go after the commit); the summary follows."""
    task = checkin.task
    for photo in checkin.photos:
        delete_stored_after_commit(photo.storage_key)
    user_id = checkin.user_id
    db.session.delete(checkin)
    db.session.flush()
    refresh_streak(task, user_id)
    _refresh_grade(task, user_id)


# -- likes and comments ----------------------------------------------------------------------------

def set_like(checkin: Checkin, user: User, liked: bool) -> None:
    """Like a check-in once (twice changes nothing), or take the like back; keeps like_count."""
    exists = db.session.get(CheckinLike, (checkin.id, user.id)) is not None
    if liked and not exists:
        try:
            with db.session.begin_nested():
                db.session.add(CheckinLike(checkin_id=checkin.id, user_id=user.id))
        except IntegrityError:
            return
        checkin.like_count = Checkin.like_count + 1
    elif not liked and exists:
        db.session.execute(sa.delete(CheckinLike).where(CheckinLike.checkin_id == checkin.id,
                                                        CheckinLike.user_id == user.id))
        checkin.like_count = Checkin.like_count - 1
    db.session.flush()


def add_comment(checkin: Checkin, author: User, body: str, author_name: str = "", *,
                held: bool = False) -> CheckinComment:
    """A plain-text comment on a check-in; its member is told (unless they wrote it). With `held` (the circle's
    moderation held it: lms.moderation.policy.screen) only its author and the staff see it, and nobody is told
    until the staff approve it (approve_comment). Raises CheckinError for an empty or too long comment."""
    body = (body or "").strip()
    if not body:
        raise CheckinError(_l("Write a comment first."), "body")
    if len(body) > MAX_COMMENT:
        raise CheckinError(lazy_ngettext("At most %(num)d character.", "At most %(num)d characters.", MAX_COMMENT),
                           "body")
    comment = CheckinComment(checkin_id=checkin.id, author_id=author.id, body=body,
                             hidden_at=utcnow() if held else None)
    db.session.add(comment)
    checkin.comment_count = Checkin.comment_count + 1
    db.session.flush()
    if not held:
        _tell_comment(checkin, comment, author_name or author.name)
    return comment


def approve_comment(comment: CheckinComment, actor: User) -> None:
    """The staff let a comment held for review be seen by everyone; only now is the check-in's member told."""
    if comment.hidden_at is None:
        return
    comment.hidden_at = None
    db.session.flush()
    checkin = db.session.get(Checkin, comment.checkin_id)
    author = db.session.get(User, comment.author_id) if comment.author_id else None
    membership = checkin.task.circle.membership_of(author)
    _tell_comment(checkin, comment, membership.display_name if membership is not None else "")


def _tell_comment(checkin: Checkin, comment: CheckinComment, author_name: str) -> None:
    """The check-in's member hears of a comment on it (not their own), once per comment."""
    if checkin.user_id == comment.author_id:
        return
    task = checkin.task
    notify(tell.CHECKIN_COMMENT, [checkin.user_id],
           url=path_for("checkins.checkin", circle_id=task.circle_id, task_id=task.id, checkin_id=checkin.id),
           params={"actor": author_name, "title": task.title, "circle": task.circle.name},
           circle_id=task.circle_id, subject=(tell.SUBJECT, task.id), actor_id=comment.author_id,
           dedupe_key=f"checkin-comment-{comment.id}")


# -- reminders -------------------------------------------------------------------------------------

def next_time(minute: int, zone: ZoneInfo, after: datetime) -> datetime:
    """The next moment after `after` when the wall clock of `zone` shows `minute` (after midnight), in UTC.
    On the night a clock jumps forward past it, the moment is read with the offset before the jump."""
    local = after.astimezone(zone)
    wall = time(minute // 60, minute % 60)
    for add in range(3):
        candidate = datetime.combine(local.date() + timedelta(days=add), wall, tzinfo=zone).astimezone(timezone.utc)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable")


def set_reminder(task: CheckinTask, user: User, minute: int | None, zone: str | None = None,
                 now: datetime | None = None) -> CheckinReminder | None:
    """Remind `user` of `task` every scheduled day at `minute` after midnight in `zone` (None: no reminder):
    the zone the page named beside the time, lms.core.i18n.select_timezone (None or unknown: the profile's,
    else the circle's). Raises CheckinError when the task has reminders off or the minute is out of the day."""
    now = now or utcnow()
    row = q.reminder_of(task, user.id)
    if minute is None:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    if not task.reminders_enabled:
        raise CheckinError(_l("This task sends no reminders."), "minute")
    if not 0 <= int(minute) < DAY_MINUTES:
        raise CheckinError(_l("Choose a time of day."), "minute")
    if row is None:
        row = CheckinReminder(task_id=task.id, user_id=user.id)
        db.session.add(row)
    row.minute = int(minute)
    row.timezone = zone if zone and is_timezone(zone) else None
    row.next_at = next_time(row.minute, row.zone(user, task.circle), now)
    db.session.flush()
    return row


def _reminder_params(task: CheckinTask, actor: User | None = None) -> dict[str, str]:
    params = {"title": task.title, "circle": task.circle.name, "until": minute_label(task.window_end_minute)}
    if actor is not None:
        membership = task.circle.membership_of(actor)
        params["actor"] = membership.display_name if membership is not None else actor.name
        params["variant"] = tell.FROM_TEACHER
    return params


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every member's reminder whose time has come, when today (in the circle's time zone) is a check-in
    day, its window has not closed and they have not checked in; then set each row's next time. Rows of
    people no longer learners of the circle, or of tasks that ended, are dropped. Returns how many were sent."""
    now = now or utcnow()
    sent = 0
    for reminder_id in q.due_reminders(now):
        row = db.session.get(CheckinReminder, reminder_id)
        if row is None or row.next_at > now:
            continue
        task = db.session.get(CheckinTask, row.task_id)
        user = db.session.get(User, row.user_id)
        today = task.today(now)
        if (task.ends_on is not None and today > task.ends_on) or task.circle.active_role(user) not in LEARNER_ROLES:
            db.session.delete(row)
            continue
        row.next_at = next_time(row.minute, row.zone(user, task.circle), now)
        local = task.local_now(now)
        open_still = local.hour * 60 + local.minute < task.window_end_minute
        if (task.reminders_enabled and task.is_scheduled(today) and open_still
                and q.checkin_of(task, user.id, today) is None):
            notify(tell.CHECKIN_REMINDER, [user.id], url=task_url(task), params=_reminder_params(task),
                   circle_id=task.circle_id, subject=(tell.SUBJECT, task.id), mail=MailRule.preference,
                   dedupe_key=f"checkin-{task.id}-{today.isoformat()}")
            row.last_sent_at = now
            sent += 1
    db.session.flush()
    return sent


class Reminded(NamedTuple):
    """What the board's "remind" did: how many were asked now, and how many of those who have not checked in
    had been asked by it earlier today (not asked again)."""

    asked: int
    earlier: int


def remind_missing(task: CheckinTask, actor: User, now: datetime | None = None) -> Reminded:
    """The board's one click: remind every learner who has not checked in today, in the app and by mail
    (whatever their mail setting for reminders). A second click the same day reaches only those not reminded
    yet by it. Audited. Raises CheckinError when today is not a check-in day or its window has closed.
    Returns how many were asked now and how many had been earlier today (the fan-out of a big circle runs
    as a job)."""
    now = now or utcnow()
    today = task.today(now)
    if not task.is_scheduled(today):
        raise CheckinError(_l("Today is not a check-in day of this task."))
    local = task.local_now(now)
    if local.hour * 60 + local.minute >= task.window_end_minute:
        raise CheckinError(_l("Today's window has closed; a reminder would come too late."))
    key = f"checkin-{task.id}-{today.isoformat()}-teacher"
    missing = q.missing_ids(task, today)
    earlier = already_told(missing, key)
    ids = [i for i in missing if i not in earlier]
    if ids:
        notify(tell.CHECKIN_REMINDER, ids, url=task_url(task), params=_reminder_params(task, actor),
               circle_id=task.circle_id, subject=(tell.SUBJECT, task.id), actor_id=actor.id, mail=MailRule.always,
               dedupe_key=key)
    record_event(AuditAction.checkin_reminded, actor, target=task,
                 details={"title": task.title, "day": today.isoformat(), "recipients": len(ids)})
    return Reminded(len(ids), len(earlier))
