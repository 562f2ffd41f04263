"""Every state change of a live lesson: scheduling, editing, cancelling, the RTMP stream key, and the
stream's states (go_live, mark_reconnecting, resume, end_lesson: live-video calls them), the reminders and
the sweep that ends a lesson whose host did not come back within the grace period. Flush, never commit;
pushes and notifications leave after the caller's commit.

States: scheduled → live ⇄ reconnecting → ended; scheduled → cancelled.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.archived import CircleArchived
from lms.circles.models import Circle
from lms.core.inputs import line_problem, prepare_line
from lms.core.realtime import emit_to_room
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.live import notifications as tell
from lms.live import queries as q
from lms.live.models import ON_AIR_STATES, IngestKind, LessonState, LiveLesson
from lms.notifications import MailRule, notify

#: "starts at" a little in the past (the minutes spent filling the form) is accepted; earlier is refused
START_SLACK = timedelta(minutes=5)
MAX_DESCRIPTION = 20000
LIMITS = {
    "expected_minutes": (5, 600),
    "reminder_minutes": (0, 24 * 60),
    "late_after_minutes": (0, 600),
    "present_min_percent": (0, 100),
    "grace_seconds": (30, 1800),
}
#: what create_lesson / update_lesson accept, with defaults for creation
LESSON_FIELDS = {
    "title": "", "description": "", "starts_at": None, "expected_minutes": 60, "reminder_minutes": 15,
    "late_after_minutes": 10, "present_min_percent": 50, "grace_seconds": 180,
}


class LiveError(ValueError):
    """A refused change; the message is for the user, `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def lesson_url(lesson: LiveLesson) -> str:
    return path_for("live.show", circle_id=lesson.circle_id, lesson_id=lesson.id)


def _params(lesson: LiveLesson, actor: User | None = None, **more) -> dict[str, str]:
    params = {"title": lesson.title, "circle": lesson.circle.name, "starts_at": lesson.starts_at.isoformat()}
    if actor is not None:
        membership = lesson.circle.membership_of(actor)
        params["actor"] = membership.display_name if membership is not None else actor.name
    params.update({k: str(v) for k, v in more.items()})
    return params


def _check(values: dict, now: datetime, kept_start: datetime | None = None) -> dict:
    values = dict(values)
    title = prepare_line(values["title"] or "")
    if not title:
        raise LiveError(_l("Give the lesson a title."), "title")
    problem = line_problem(title)
    if problem:
        raise LiveError(problem, "title")
    if len(title) > 200:
        raise LiveError(_l("The title is too long (200 characters at most)."), "title")
    values["title"] = title
    values["description"] = (values["description"] or "").strip()
    if len(values["description"]) > MAX_DESCRIPTION:
        raise LiveError(_l("The description is too long."), "description")
    starts_at = values["starts_at"]
    if starts_at is None:
        raise LiveError(_l("Give the time the lesson starts."), "starts_at")
    if starts_at != kept_start and starts_at < now - START_SLACK:
        raise LiveError(_l("That time has passed. Choose a time from now on."), "starts_at")
    for name, (low, high) in LIMITS.items():
        value = values[name]
        if value is None or not low <= int(value) <= high:
            raise LiveError(_l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), name)
        values[name] = int(value)
    return values


# -- scheduling -----------------------------------------------------------------------------------

def create_lesson(circle: Circle, author: User, **fields) -> LiveLesson:
    """Schedule a lesson (the caller checked can_schedule) and tell the members (their digest by default)."""
    unknown = set(fields) - set(LESSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown lesson fields: {sorted(unknown)}")
    now = utcnow()
    values = _check({**LESSON_FIELDS, **fields}, now)
    lesson = LiveLesson(circle=circle, circle_id=circle.id, created_by_id=author.id, state=LessonState.scheduled,
                        **values)
    db.session.add(lesson)
    db.session.flush()
    notify(tell.LIVE_SCHEDULED, q.member_ids(circle, exclude=author.id), url=lesson_url(lesson),
           params=_params(lesson, author), circle_id=circle.id, subject=(tell.SUBJECT, lesson.id), actor_id=author.id)
    return lesson


def update_lesson(lesson: LiveLesson, editor: User, **fields) -> bool:
    """Change a lesson's settings (the caller checked can_edit). The time and length change only while it is
    scheduled; a new start time clears the reminder (it goes out again) and tells the members.
    Returns whether the start time moved."""
    unknown = set(fields) - set(LESSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown lesson fields: {sorted(unknown)}")
    if lesson.state == LessonState.cancelled:
        raise LiveError(_l("The lesson is cancelled; schedule a new one instead."))
    values = {name: getattr(lesson, name) for name in LESSON_FIELDS}
    values.update(fields)
    if lesson.state != LessonState.scheduled:
        values["starts_at"] = lesson.starts_at  # it has started: its time is history
    values = _check(values, utcnow(), kept_start=lesson.starts_at)
    moved = values["starts_at"] != lesson.starts_at
    for name, value in values.items():
        setattr(lesson, name, value)
    if moved:
        lesson.reminded_at = None
        notify(tell.LIVE_SCHEDULED, q.member_ids(lesson.circle, exclude=editor.id), url=lesson_url(lesson),
               params=_params(lesson, editor, variant="moved"), circle_id=lesson.circle_id,
               subject=(tell.SUBJECT, lesson.id), actor_id=editor.id)
    db.session.flush()
    return moved


def cancel_lesson(lesson: LiveLesson, by: User) -> None:
    """Cancel a lesson that has not gone live, and tell the members (mailed by their preference)."""
    if lesson.state != LessonState.scheduled:
        raise LiveError(_l("Only a lesson that has not started can be cancelled; end it instead."))
    lesson.state = LessonState.cancelled
    lesson.stream_key_hash = None
    record_event(AuditAction.live_lesson_cancelled, by, target=lesson, target_label=lesson.title,
                 details={"title": lesson.title, "starts_at": lesson.starts_at.isoformat()})
    notify(tell.LIVE_SCHEDULED, q.member_ids(lesson.circle, exclude=by.id), url=lesson_url(lesson),
           params=_params(lesson, by, variant="cancelled"), circle_id=lesson.circle_id,
           subject=(tell.SUBJECT, lesson.id), actor_id=by.id)
    db.session.flush()
    _end_stage(lesson)
    _push_state(lesson)  # open pages show it at once (after the commit)


# -- the RTMP stream key ----------------------------------------------------------------------------

def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_stream_key(lesson: LiveLesson, by: User) -> str:
    """A new secret for OBS (the caller checked can_edit). Only its SHA-256 is kept, so it is shown once, now;
    the previous one stops working at once. What the host types into OBS's "Stream key" is
    `obs_stream_key(lesson, secret)`: the lesson's stream name, then `?key=` and the secret."""
    if lesson.state in (LessonState.ended, LessonState.cancelled):
        raise LiveError(_l("The lesson is over; it needs no stream key."))
    secret = secrets.token_urlsafe(24)
    replaced = lesson.stream_key_hash is not None
    lesson.stream_key_hash = _digest(secret)
    lesson.stream_key_set_at = utcnow()
    db.session.flush()
    # who made a key (never the key) is kept: a stream from an unexpected encoder can be traced to it
    record_event(AuditAction.live_stream_key_made, by, target=lesson, target_label=lesson.title,
                 details={"title": lesson.title, "replaced": replaced})
    return secret


def obs_stream_key(lesson: LiveLesson, secret: str) -> str:
    """OBS's "Stream key" field: nginx-rtmp sees the stream name `stream_path` and the argument `key`."""
    return f"{lesson.stream_path}?key={secret}"


def check_stream_key(stream_path: str | None, secret: str | None) -> LiveLesson | None:
    """The lesson publishing under the stream name `stream_path` when `secret` is its current key (nginx's
    on_publish callback asks, live-video), else None: a wrong, old (regenerated) or missing key, or a
    lesson that is over. Compared in constant time."""
    if not stream_path or not secret:
        return None
    lesson = db.session.scalar(sa.select(LiveLesson).where(LiveLesson.stream_path == stream_path))
    if lesson is None or lesson.stream_key_hash is None:
        return None
    if lesson.state in (LessonState.ended, LessonState.cancelled):
        return None
    return lesson if hmac.compare_digest(lesson.stream_key_hash, _digest(secret)) else None


# -- the stream's states -----------------------------------------------------------------------------

def _push_state(lesson: LiveLesson, reason: str = "") -> None:
    """The new state and its data only, to everyone in the room: each page words it in its own language
    (static/js/live/room.js, player.js) from its translated script messages. `reason` says why a lesson ended
    ("host_gone": the grace period ran out) where the words differ."""
    data = {"state": lesson.state.value, "reason": reason, "lesson_id": lesson.id,
            "went_live_at": lesson.went_live_at.isoformat() if lesson.went_live_at else None,
            "grace_ends_at": lesson.grace_ends_at.isoformat() if lesson.grace_ends_at else None}
    emit_to_room(tell.room_name(lesson.id), tell.STREAM_STATE_EVENT, data, namespace=tell.NAMESPACE)


def go_live(lesson: LiveLesson, ingest: IngestKind | str, by: User | None = None,
            now: datetime | None = None) -> bool:
    """The stream started (browser or RTMP). A scheduled lesson goes live and its members are told once; a
    reconnecting one resumes. Returns True when the state changed. Raises LiveError for an ended or
    cancelled lesson (a new stream cannot reopen it), and for a lesson of an archived circle (read-only)."""
    now = now or utcnow()
    if lesson.state in (LessonState.ended, LessonState.cancelled):
        raise LiveError(_l("This lesson has ended; schedule a new one to go live again."))
    if lesson.circle.is_archived:
        raise LiveError(CircleArchived.description)
    if lesson.state == LessonState.reconnecting:
        lesson.ingest = IngestKind(ingest)
        return resume(lesson, now=now)
    if lesson.state == LessonState.live:
        return False
    lesson.state = LessonState.live
    lesson.ingest = IngestKind(ingest)
    lesson.went_live_at = lesson.went_live_at or now
    lesson.reconnecting_since = None
    db.session.flush()
    _push_state(lesson)
    if lesson.announced_live_at is None:
        lesson.announced_live_at = now
        notify(tell.LIVE_NOW, q.member_ids(lesson.circle, exclude=by.id if by is not None else None),
               url=lesson_url(lesson), params=_params(lesson, by), circle_id=lesson.circle_id,
               subject=(tell.SUBJECT, lesson.id), actor_id=by.id if by is not None else None,
               dedupe_key=f"live-{lesson.id}-started")
    db.session.flush()
    return True


def mark_reconnecting(lesson: LiveLesson, now: datetime | None = None) -> bool:
    """The host's stream dropped: the room shows "reconnecting" until they resume or the grace period ends."""
    if lesson.state != LessonState.live:
        return False
    lesson.state = LessonState.reconnecting
    lesson.reconnecting_since = now or utcnow()
    db.session.flush()
    _push_state(lesson)
    return True


def resume(lesson: LiveLesson, now: datetime | None = None) -> bool:
    """The host is back within the grace period: live again (the recording continues as one)."""
    if lesson.state != LessonState.reconnecting:
        return False
    lesson.state = LessonState.live
    lesson.reconnecting_since = None
    db.session.flush()
    _push_state(lesson, "resumed")
    return True


def end_lesson(lesson: LiveLesson, by: User | None = None, now: datetime | None = None,
               reason: str = "") -> bool:
    """Stop the lesson for everyone (the host's "Stop", the RTMP stream's end, or the grace period running
    out: `by` None). Returns True when it ended now. A lesson that never went live is cancelled instead."""
    now = now or utcnow()
    if lesson.state == LessonState.scheduled:
        if by is None:
            return False
        cancel_lesson(lesson, by)
        return True
    if lesson.state not in ON_AIR_STATES:
        return False
    lesson.state = LessonState.ended
    lesson.ended_at = now
    lesson.reconnecting_since = None
    lesson.stream_key_hash = None  # the key cannot publish into an ended lesson
    db.session.flush()
    from lms.live import replay  # live-video's: the recording becomes a replay (after the commit)

    replay.queue_replay(lesson)
    _end_stage(lesson)
    _push_state(lesson, reason)
    return True


def _end_stage(lesson: LiveLesson) -> None:
    """A real-time lesson's stage closes with it: everyone off, its Janus room destroyed (lms.live.stage)."""
    if lesson.janus_room is not None or lesson.delivery != "hls":
        from lms.live.stage import operations as stage

        stage.end_stage(lesson, "ended")


# -- periodic ---------------------------------------------------------------------------------------

def send_reminders(now: datetime | None = None) -> int:
    """Remind the members of each lesson whose reminder time has come ("starts in N minutes"), once each."""
    now = now or utcnow()
    ids = q.due_reminders(now)
    for lesson_id in ids:
        lesson = db.session.get(LiveLesson, lesson_id)
        if lesson is None or lesson.reminded_at is not None:
            continue
        lesson.reminded_at = now
        minutes = max(0, int(round((lesson.starts_at - now).total_seconds() / 60)))
        params = _params(lesson, minutes=minutes)
        if minutes <= 0:
            params["variant"] = tell.NOW
        elif minutes == 1:
            params["variant"] = tell.ONE_MINUTE
        notify(tell.LIVE_REMINDER, q.member_ids(lesson.circle), url=lesson_url(lesson), params=params,
               circle_id=lesson.circle_id, subject=(tell.SUBJECT, lesson.id), mail=MailRule.preference,
               dedupe_key=f"live-{lesson.id}-remind-{lesson.starts_at:%Y%m%d%H%M}")
    db.session.flush()
    return len(ids)


def end_expired_reconnects(now: datetime | None = None) -> int:
    """End every lesson whose host did not come back within its grace period."""
    now = now or utcnow()
    ended = 0
    for lesson_id in q.grace_expired(now):
        lesson = db.session.get(LiveLesson, lesson_id)
        if lesson is not None and end_lesson(
                lesson, None, now=now, reason="host_gone"):
            ended += 1
    return ended
