"""Telling people about things: `notify` stores one notification per recipient (inline, or in batches in a
job for many), pushes each live after the commit and decides how it is mailed; marking read; preferences."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import User
from lms.core.i18n import is_timezone, recipient_locale
from lms.core.realtime import emit_to_user
from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import Queue, Task, enqueue_after_commit
from lms.notifications.kinds import Channel, Kind, MailRule, find_kind, get_kind
from lms.notifications.messages import render_message
from lms.notifications.models import (
    DEFAULT_DIGEST_HOUR,
    FanOut,
    MailState,
    Notification,
    NotificationPreference,
    NotificationSettings,
)

#: up to this many recipients, `notify` writes the rows in the caller's transaction; more go to a job
FAN_OUT_INLINE = 200
#: rows one INSERT of a fan-out job writes (and one commit, one progress push)
BATCH_SIZE = 1000
#: the Socket.IO events (namespace "/", room user:<id>)
NOTIFICATION_EVENT = "notification"
READ_EVENT = "notifications_read"
FAN_OUT_EVENT = "fan_out_progress"


@dataclass(frozen=True)
class _Spec:
    """Everything one `notify` says, but the recipients (JSON-able: a fan-out job stores it)."""

    kind: str
    url: str
    params: dict
    circle_id: int | None
    subject_type: str | None
    subject_id: int | None
    actor_id: int | None
    mail: str
    dedupe_key: str | None


@dataclass(frozen=True)
class Recipient:
    """What delivering to one person needs, read for a whole batch in one query."""

    id: int
    locale: str | None
    browser_locale: str | None
    timezone: str | None
    channel: Channel | None  #: their preference for the kind, None: the kind's default
    quiet_start: int | None
    quiet_end: int | None
    is_disabled: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return person_zone(self.timezone)


def notify(kind: Kind | str, recipients: Iterable[int], *, url: str, params: Mapping[str, str] | None = None,
           circle_id: int | None = None, subject: tuple[str, int] | None = None, actor_id: int | None = None,
           mail: MailRule = MailRule.preference, dedupe_key: str | None = None,
           progress_to: int | None = None) -> FanOut | None:
    """Tell `recipients` (user ids) about something, inside the caller's transaction; nothing leaves before
    it commits. Up to FAN_OUT_INLINE recipients the rows are written now and None is returned; more are
    written by a job in batches of BATCH_SIZE and the FanOut row is returned (its progress is pushed to
    `progress_to`). See /work/notes/notifications-api.md. Raises ValueError for an unregistered kind name."""
    kind = get_kind(kind)
    ids = list(dict.fromkeys(int(r) for r in recipients))
    if not ids:
        return None
    subject_type, subject_id = subject if subject else (None, None)
    spec = _Spec(kind=kind.name, url=url, params={str(k): str(v) for k, v in (params or {}).items()},
                 circle_id=circle_id, subject_type=subject_type, subject_id=subject_id, actor_id=actor_id,
                 mail=str(MailRule(mail)), dedupe_key=dedupe_key)
    if len(ids) <= FAN_OUT_INLINE:
        if deliver(spec, ids, utcnow()):
            enqueue_after_commit(Task.send_notification_mail, queue=Queue.mail)
        return None
    fan_out = FanOut(kind=kind.name, payload=asdict(spec), recipients=ids, total=len(ids), progress_to=progress_to)
    db.session.add(fan_out)
    db.session.flush()
    enqueue_after_commit(Task.fan_out_notifications, fan_out.id)
    return fan_out


def run_fan_out(fan_out: FanOut) -> None:
    """Write a fan-out's notifications in batches of BATCH_SIZE, committing and pushing each batch (the
    recipients' bells, and `done` of `total` to `progress_to`). Resumes after `done` when run again."""
    spec = _Spec(**fan_out.payload)
    ids = fan_out.recipients
    start = fan_out.done
    fan_out_id, progress_to, total = fan_out.id, fan_out.progress_to, fan_out.total
    while start < total and not _stopped(fan_out_id):
        batch = ids[start:start + BATCH_SIZE]
        mail_due = deliver(spec, batch, utcnow())
        start += len(batch)
        values = {"done": start}
        if start >= total:
            values["finished_at"] = utcnow()
        # not over a fan-out that forget_about stopped meanwhile (its subject was deleted)
        db.session.execute(sa.update(FanOut).where(FanOut.id == fan_out_id, FanOut.finished_at.is_(None))
                           .values(**values))
        if progress_to is not None:
            emit_to_user(progress_to, FAN_OUT_EVENT, {"id": fan_out_id, "done": start, "total": total})
        if mail_due:
            enqueue_after_commit(Task.send_notification_mail, queue=Queue.mail)
        db.session.commit()
    if _stopped(fan_out_id) and spec.subject_type is not None:
        # its subject was deleted while a batch was being written: that batch's notifications go too
        forget_about((spec.subject_type, spec.subject_id))
        db.session.commit()


def _stopped(fan_out_id: int) -> bool:
    """Was the fan-out stopped by forget_about (marked finished before everyone was told)?"""
    row = db.session.execute(sa.select(FanOut.finished_at, FanOut.done, FanOut.total)
                             .where(FanOut.id == fan_out_id)).first()
    return row is not None and row.finished_at is not None and row.done < row.total


def deliver(spec: _Spec, user_ids: list[int], now: datetime) -> bool:
    """Store one notification per existing user of `user_ids` (none for one who already has `dedupe_key`),
    in one INSERT, and push each to that user once the transaction commits. Returns whether any is to be
    mailed now (the caller then queues the mail task after the commit)."""
    kind = find_kind(spec.kind)
    recipients = _recipients(spec, user_ids)
    if not recipients:
        return False
    rule = MailRule(spec.mail)
    rows, mail_now = [], False
    for person in recipients:
        state, due_at = _mail_plan(person, kind, rule, now)
        mail_now = mail_now or (state == MailState.due and due_at <= now)
        rows.append({"user_id": person.id, "kind": spec.kind, "circle_id": spec.circle_id,
                     "subject_type": spec.subject_type, "subject_id": spec.subject_id, "actor_id": spec.actor_id,
                     "params": spec.params, "url": spec.url, "dedupe_key": spec.dedupe_key, "created_at": now,
                     "mail_state": state, "mail_due_at": due_at})
    created = _insert(rows, spec.dedupe_key is not None)
    if not created:
        return False
    _push_new(spec, recipients, created)
    return mail_now


def _recipients(spec: _Spec, user_ids: list[int]) -> list[Recipient]:
    """The users of `user_ids` with their preference for the kind and their settings, leaving out anyone
    who already has a notification with the spec's dedupe key: one query."""
    query = (sa.select(User.id, User.locale, User.browser_locale, User.timezone, User.is_disabled,
                       NotificationPreference.channel, NotificationSettings.quiet_start,
                       NotificationSettings.quiet_end, NotificationSettings.timezone.label("settings_timezone"))
             .outerjoin(NotificationPreference, sa.and_(NotificationPreference.user_id == User.id,
                                                        NotificationPreference.kind == spec.kind))
             .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
             .where(User.id.in_(user_ids)))
    if spec.dedupe_key is not None:
        query = query.where(~sa.exists().where(Notification.user_id == User.id,
                                               Notification.dedupe_key == spec.dedupe_key))
    found = []
    for row in db.session.execute(query):
        found.append(Recipient(row.id, row.locale, row.browser_locale, row.timezone or row.settings_timezone,
                               row.channel,
                               row.quiet_start, row.quiet_end, row.is_disabled))
    return found


def _insert(rows: list[dict], deduplicated: bool) -> dict[int, int]:
    """INSERT the rows in one statement (batched by the driver), skipping any that would repeat a
    (user, dedupe key) pair written meanwhile; returns {user id: notification id} of those written."""
    table = Notification.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return _insert_postgresql(rows, deduplicated)
    if deduplicated and dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert

        statement = insert(table).on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    else:
        statement = sa.insert(table)
    result = db.session.execute(statement.returning(table.c.id, table.c.user_id), rows)
    return {user_id: notification_id for notification_id, user_id in result}


#: the columns that differ between the rows of one `deliver` (the rest are the same for every recipient)
_PER_ROW = ("user_id", "mail_state", "mail_due_at")


def _insert_postgresql(rows: list[dict], deduplicated: bool) -> dict[int, int]:
    """PostgreSQL: INSERT ... SELECT FROM unnest(arrays): three array parameters for the columns that differ
    per recipient and one parameter per shared column, instead of a VALUES list of 13 parameters a row
    (psycopg parses such a statement in Python: most of a 10,000-member fan-out's time)."""
    from sqlalchemy.dialects import postgresql as pg

    table = Notification.__table__
    # the mail state travels as its string value: an array of the Enum type would not bind
    types = {name: sa.String(20) if name == "mail_state" else table.c[name].type for name in _PER_ROW}
    values = {name: [str(r[name]) if name == "mail_state" else r[name] for r in rows] for name in _PER_ROW}
    arrays = [sa.cast(sa.bindparam(f"rows_{name}", values[name], type_=pg.ARRAY(types[name])), pg.ARRAY(types[name]))
              for name in _PER_ROW]
    varying = sa.func.unnest(*arrays).table_valued(*_PER_ROW).render_derived()
    shared = [name for name in rows[0] if name not in _PER_ROW]
    select = sa.select(*(varying.c[name] for name in _PER_ROW),
                       *(sa.cast(sa.literal(rows[0][name], type_=table.c[name].type), table.c[name].type)
                         for name in shared))
    statement = pg.insert(table).from_select([*_PER_ROW, *shared], select)
    if deduplicated:
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    result = db.session.execute(statement.returning(table.c.id, table.c.user_id))
    return {user_id: notification_id for notification_id, user_id in result}


def _push_new(spec: _Spec, recipients: list[Recipient], created: dict[int, int]) -> None:
    """Push each new notification to its recipient's open pages once the transaction commits, the message
    in their language, with their unread count (read for the batch in one query)."""
    unread = unread_counts(list(created))
    messages: dict[tuple, str] = {}
    for person in recipients:
        notification_id = created.get(person.id)
        if notification_id is None:
            continue
        # the words differ by language, and by zone when the message names a time
        key = (recipient_locale(person), person.timezone)
        if key not in messages:
            messages[key] = render_message(spec.kind, spec.params, key[0], person.zone)
        emit_to_user(person.id, NOTIFICATION_EVENT, {"id": notification_id, "kind": spec.kind,
                                                     "message": messages[key], "url": spec.url,
                                                     "unread": unread.get(person.id, 0)})


def _mail_plan(person: Recipient, kind: Kind | None, rule: MailRule, now: datetime) -> tuple[MailState, datetime | None]:
    """How this notification is mailed to `person`: not, in the digest, or on its own at a time (now, or
    when their quiet hours end)."""
    if rule == MailRule.never or person.is_disabled:
        return MailState.none, None
    if rule == MailRule.preference:
        channel = person.channel or (kind.default if kind else Channel.now)
        if channel == Channel.off:
            return MailState.none, None
        if channel == Channel.digest:
            return MailState.digest, None
    return MailState.due, quiet_until(now, person.zone, person.quiet_start, person.quiet_end) or now


def person_zone(name: str | None) -> ZoneInfo:
    """A person's time zone: their profile's, else the site's default."""
    if name and is_timezone(name):
        return ZoneInfo(name)
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def quiet_until(now: datetime, zone: ZoneInfo, start: int | None, end: int | None) -> datetime | None:
    """When the quiet hours (start:00 to end:00 in `zone`, maybe across midnight) that hold at `now` end,
    in UTC; None when `now` is not in them (or there are none)."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    hour = local.hour
    quiet = start <= hour < end if start < end else (hour >= start or hour < end)
    if not quiet:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends = (ends.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=zone)
    return ends.astimezone(now.tzinfo)


def last_digest_time(now: datetime, zone: ZoneInfo, hour: int | None) -> datetime:
    """The latest digest moment at or before `now`: today's `hour`:00 in `zone` if it has passed, else
    yesterday's (UTC)."""
    hour = DEFAULT_DIGEST_HOUR if hour is None else hour
    local = now.astimezone(zone)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at > local:
        at = (at.replace(tzinfo=None) - timedelta(days=1)).replace(tzinfo=zone)
    return at.astimezone(now.tzinfo)


# -- reading ------------------------------------------------------------------------------------------

def unread_counts(user_ids: list[int]) -> dict[int, int]:
    """{user id: unread notifications} for these users, in one query."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(Notification.user_id, sa.func.count())
        .where(Notification.user_id.in_(user_ids), Notification.read_at.is_(None))
        .group_by(Notification.user_id))
    return dict(rows.all())


def mark_read(notification: Notification, now: datetime | None = None) -> None:
    """Mark one notification read (its reader opened it) and tell their other pages the new count."""
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        db.session.flush()
        _push_unread(notification.user_id)


def mark_all_read(user: User) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    result = db.session.execute(sa.update(Notification)
                                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                .values(read_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount:
        _push_unread(user.id)
    return result.rowcount


def mark_read_about(user_id: int, subject: tuple[str, int]) -> None:
    """Mark the user's unread notifications about `subject` read (a member opened the notice)."""
    subject_type, subject_id = subject
    result = db.session.execute(sa.update(Notification).where(
        Notification.user_id == user_id, Notification.subject_type == subject_type,
        Notification.subject_id == subject_id, Notification.read_at.is_(None),
    ).values(read_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount:
        _push_unread(user_id)
        _lower_loaded_count(user_id, result.rowcount)


def forget_about(subject: tuple[str, int]) -> None:
    """Delete every notification about `subject`, read or not, with any mail still waiting (its subject is
    deleted: the bell and a mail must not lead to a page that answers 404). Tells each person whose unread
    count fell their new count after the commit."""
    subject_type, subject_id = subject
    # first: a batch being written waits for this (the FanOut row's lock), so the DELETE below sees its rows
    _stop_fan_outs(subject_type, subject_id)
    about = (Notification.subject_type == subject_type, Notification.subject_id == subject_id)
    unread = list(db.session.scalars(sa.select(Notification.user_id).where(*about, Notification.read_at.is_(None))
                                     .distinct()))
    db.session.execute(sa.delete(Notification).where(*about).execution_options(synchronize_session=False))
    _push_unread_many(unread)


def _stop_fan_outs(subject_type: str, subject_id: int) -> None:
    """Stop the unfinished fan-outs about a subject that is being deleted: marked finished before all were
    told (done < total), so run_fan_out writes no further batch and forgets what it wrote meanwhile."""
    running = db.session.execute(sa.select(FanOut.id, FanOut.payload).where(FanOut.finished_at.is_(None))).all()
    about = (subject_type, subject_id)
    stopped = [fan_out_id for fan_out_id, payload in running
               if ((payload or {}).get("subject_type"), (payload or {}).get("subject_id")) == about]
    if stopped:
        db.session.execute(sa.update(FanOut).where(FanOut.id.in_(stopped), FanOut.finished_at.is_(None))
                           .values(finished_at=utcnow()).execution_options(synchronize_session=False))


def _push_unread_many(user_ids: list[int]) -> None:
    """Tell each of these people their unread count after the commit: one query per BATCH_SIZE people (a
    notice deleted in a 10,000-member circle costs 10 queries, not 10,000)."""
    for start in range(0, len(user_ids), BATCH_SIZE):
        batch = user_ids[start:start + BATCH_SIZE]
        counts = unread_counts(batch)
        for user_id in batch:
            emit_to_user(user_id, READ_EVENT, {"unread": counts.get(user_id, 0)})


def _lower_loaded_count(user_id: int, read: int) -> None:
    """The signed-in reader's unread count was read with their session, before this request read some:
    lower it, so the page being rendered shows the count as it is now."""
    from flask import has_request_context
    from flask_login import current_user

    from lms.notifications.queries import UNREAD_NOTIFICATIONS

    if not has_request_context() or getattr(current_user, "id", None) != user_id:
        return
    facts = getattr(current_user, "session_facts", None)
    if facts and UNREAD_NOTIFICATIONS in facts:
        facts[UNREAD_NOTIFICATIONS] = max(0, int(facts[UNREAD_NOTIFICATIONS] or 0) - read)


def _push_unread(user_id: int) -> None:
    emit_to_user(user_id, READ_EVENT, {"unread": unread_counts([user_id]).get(user_id, 0)})


# -- preferences ------------------------------------------------------------------------------------------

def set_preference(user: User, kind: Kind, channel: Channel) -> None:
    """Mail `kind` to `user` by `channel` from now on (a row only where it differs from the default is not
    needed: the row is kept either way, so a later change of the default does not change their choice)."""
    row = db.session.scalar(sa.select(NotificationPreference).where(
        NotificationPreference.user_id == user.id, NotificationPreference.kind == kind.name))
    if row is None:
        db.session.add(NotificationPreference(user_id=user.id, kind=kind.name, channel=channel))
    else:
        row.channel = channel
    db.session.flush()


def settings_of(user: User) -> NotificationSettings:
    """The person's settings row (a new one with the defaults, not yet added, when they have none)."""
    found = db.session.get(NotificationSettings, user.id)
    return found or NotificationSettings(user_id=user.id, digest_hour=DEFAULT_DIGEST_HOUR)


def save_settings(user: User, digest_hour: int, quiet_start: int | None, quiet_end: int | None,
                  timezone: str | None = None) -> None:
    """Set the digest hour and the quiet hours (both or neither; equal ones mean none), counted in
    `timezone` while the profile names no zone. Raises ValueError for an hour outside 0-23."""
    for hour in (digest_hour, quiet_start, quiet_end):
        if hour is not None and not 0 <= hour <= 23:
            raise ValueError("an hour is 0-23")
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        quiet_start = quiet_end = None
    row = settings_of(user)
    row.digest_hour, row.quiet_start, row.quiet_end = digest_hour, quiet_start, quiet_end
    if timezone and is_timezone(timezone):
        row.timezone = timezone
    db.session.add(row)
    db.session.flush()


def channels_of(user: User, kinds: list[Kind]) -> dict[str, Channel]:
    """{kind name: how it is mailed to `user`} for these kinds (their choice, else the kind's default)."""
    chosen = dict(db.session.execute(sa.select(NotificationPreference.kind, NotificationPreference.channel)
                                      .where(NotificationPreference.user_id == user.id)).all())
    return {kind.name: Channel(chosen.get(kind.name) or kind.default) for kind in kinds}


def stop_digest(user: User) -> None:
    """Turn off the mail of every kind `user` gets in the daily digest (a digest's unsubscribe link);
    what is already waiting for it is not mailed either."""
    from lms.notifications.kinds import registered_kinds

    kinds = registered_kinds()
    current = channels_of(user, kinds)
    for kind in kinds:
        if current[kind.name] == Channel.digest:
            set_preference(user, kind, Channel.off)
    db.session.execute(sa.update(Notification).where(Notification.user_id == user.id,
                                                     Notification.mail_state == MailState.digest)
                       .values(mail_state=MailState.none).execution_options(synchronize_session=False))
