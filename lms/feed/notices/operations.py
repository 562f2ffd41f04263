"""Every state change of notices: writing, editing (a revision each), publishing and announcing, reading and
confirming, reminders and the deadline's reminder and escalation. Flush, never commit."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle
from lms.core.inputs import prepare_line
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.feed.notices import notifications as tell
from lms.feed.notices import queries as q
from lms.feed.notices.models import Notice, NoticeAttachment, NoticeRead, NoticeRevision, ReceiptLevel
from lms.notifications import MailRule, forget_about, mark_read_about, notify
from lms.uploads.models import Media, MediaKind
from lms.uploads.operations import attach_check

MAX_ATTACHMENTS = 20
MAX_HOURS = 24 * 60


class NoticeError(ValueError):
    """A refused notice change; the message is for the user, `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


#: What create_notice/update_notice accept, with defaults for creation.
NOTICE_FIELDS = {
    "title": "", "body_md": "", "publish_at": None, "is_pinned": False, "is_must_read": False,
    "receipt_level": ReceiptLevel.opened, "confirm_by": None, "remind_hours": None, "escalate_hours": None,
}


def _check(values: dict, now: datetime, kept_deadline: datetime | None = None) -> dict:
    """The values cleaned and checked together; `kept_deadline` is the notice's deadline before an edit
    (left as it was, it may have passed). Raises NoticeError with the field at fault."""
    values = dict(values)
    values["title"] = prepare_line(values["title"] or "")
    if not values["title"]:
        raise NoticeError(_l("Give the notice a title."), "title")
    values["receipt_level"] = ReceiptLevel(values["receipt_level"])
    if values["is_must_read"]:
        values["receipt_level"] = ReceiptLevel.confirmed  # a must-read notice is read once confirmed
    else:
        values.update(confirm_by=None, remind_hours=None, escalate_hours=None)
    publish_at = values["publish_at"]
    if values["confirm_by"] is not None:
        if values["confirm_by"] != kept_deadline and values["confirm_by"] <= max(publish_at or now, now):
            raise NoticeError(_l("The deadline to confirm must come after the notice is published."), "confirm_by")
    else:
        values.update(remind_hours=None, escalate_hours=None)
    for name in ("remind_hours", "escalate_hours"):
        if values[name] is not None and not 0 <= values[name] <= MAX_HOURS:
            raise NoticeError(_l("Give a number of hours between 0 and %(max)d.", max=MAX_HOURS), name)
    if values["escalate_hours"] is not None and values["remind_hours"] is None:
        raise NoticeError(_l("An escalation follows the reminder: set the reminder's hours too."), "remind_hours")
    return values


def _attach(notice: Notice, author: User, files: list[Media]) -> None:
    kept = {a.media_id: a for a in notice.attachments}
    if len(files) > MAX_ATTACHMENTS:
        raise NoticeError(_l("Attach at most %(num)d files.", num=MAX_ATTACHMENTS))
    attachments = []
    for position, media in enumerate(files):
        attachment = kept.get(media.id)
        if attachment is None:
            # a new file: the writer's own finished upload (attachments kept from before may be a co-teacher's)
            problem = attach_check(media, author, MediaKind.file)
            if problem:
                raise NoticeError(problem)
            attachment = NoticeAttachment(media=media, media_id=media.id)
        attachment.position = position
        attachments.append(attachment)
    notice.attachments = attachments


def create_notice(circle: Circle, author: User, *, files: list[Media] | tuple = (), now: datetime | None = None,
                  **fields) -> Notice:
    """Write a notice in `circle` (the caller checked can_post_notices). `publish_at` None keeps it a draft;
    a time now or past publishes it and tells the members at once, a future time leaves that to the
    periodic task (announce_due). Keeps revision 1. Raises NoticeError with the field at fault."""
    now = now or utcnow()
    values = _check(NOTICE_FIELDS | fields, now)
    notice = Notice(circle=circle, circle_id=circle.id, author_id=author.id, created_at=now, **values)
    db.session.add(notice)
    _attach(notice, author, list(files))
    db.session.flush()
    _keep_revision(notice, author, now)
    if notice.is_published(now):
        announce(notice, now)
    return notice


def update_notice(notice: Notice, editor: User, *, files: list[Media] | tuple | None = None,
                  now: datetime | None = None, **fields) -> Notice:
    """Change a notice (the caller checked can_edit): a new revision when the title or text changed; a
    notice whose members were not told yet and that is now published is announced. A published notice
    cannot go back to a draft or the future (members have read it). Audited. Raises NoticeError."""
    now = now or utcnow()
    was_published = notice.is_published(now)
    values = _check({name: getattr(notice, name) for name in NOTICE_FIELDS} | fields, now, notice.confirm_by)
    if was_published and (values["publish_at"] is None or values["publish_at"] > now):
        raise NoticeError(_l("This notice is already published; it cannot be scheduled again."), "publish_at")
    if was_published:
        values["publish_at"] = notice.publish_at  # keeps its place in the list
    text_changed = (values["title"], values["body_md"]) != (notice.title, notice.body_md)
    title_before = notice.title
    deadline_moved = (values["confirm_by"], values["remind_hours"], values["escalate_hours"]) != (
        notice.confirm_by, notice.remind_hours, notice.escalate_hours)
    for name, value in values.items():
        setattr(notice, name, value)
    if deadline_moved:
        # a new deadline gets its own reminder and escalation (their dedupe keys name the deadline)
        notice.deadline_reminded_at = notice.escalated_at = None
    if files is not None:
        _attach(notice, editor, list(files))
    if text_changed:
        notice.edited_at = now
        _keep_revision(notice, editor, now)
    db.session.flush()
    record_event(AuditAction.notice_edited, editor, target=notice, target_label=notice.title,
                 details={"title_before": title_before, "text_changed": text_changed,
                          "pinned": notice.is_pinned, "must_read": notice.is_must_read})
    if notice.announced_at is None and notice.is_published(now):
        announce(notice, now)
    return notice


def _keep_revision(notice: Notice, editor: User, now: datetime) -> NoticeRevision:
    number = (db.session.scalar(sa.select(sa.func.max(NoticeRevision.number)).where(
        NoticeRevision.notice_id == notice.id)) or 0) + 1
    revision = NoticeRevision(notice_id=notice.id, number=number, title=notice.title, body_md=notice.body_md,
                              edited_by_id=editor.id, edited_at=now)
    db.session.add(revision)
    return revision


def set_pinned(notice: Notice, actor: User, pinned: bool) -> None:
    """Pin or unpin a notice (the caller checked can_edit)."""
    notice.is_pinned = bool(pinned)
    db.session.flush()


def delete_notice(notice: Notice, actor: User) -> None:
    """Delete a notice with its revisions, receipts and attachments' links (the uploads stay the
    writer's) and every notification about it. Audited."""
    record_event(AuditAction.notice_deleted, actor, target=notice, target_label=notice.title,
                 details={"title": notice.title})
    forget_about((tell.SUBJECT, notice.id))  # no bell or mail leads to a notice that is gone
    db.session.delete(notice)
    db.session.flush()


# -- telling the members -------------------------------------------------------------------------

def _notice_url(notice: Notice) -> str:
    return path_for("notices.show", circle_id=notice.circle_id, notice_id=notice.id)


def _params(notice: Notice) -> dict[str, str]:
    author = notice.circle.membership_of(notice.author) if notice.author is not None else None
    actor = author.display_name if author is not None else (notice.author.name if notice.author else "")
    params = {"actor": actor, "title": notice.title, "circle": notice.circle.name}
    if notice.is_must_read:
        # the deadline travels as a UTC time: each reader sees it in their own zone and language
        params["variant"] = tell.MUST_READ_BY if notice.confirm_by is not None else tell.MUST_READ
        if notice.confirm_by is not None:
            params["confirm_by_at"] = notice.confirm_by.isoformat()
    return params


def announce(notice: Notice, now: datetime | None = None):
    """Tell the members that `notice` is published, once: the notice is claimed by setting announced_at
    where it is still empty, so two workers never both tell. A big circle's notifications are written by
    a background fan-out job. Returns the FanOut or None."""
    claimed = db.session.execute(
        sa.update(Notice).where(Notice.id == notice.id, Notice.announced_at.is_(None))
        .values(announced_at=now or utcnow()).execution_options(synchronize_session="fetch")).rowcount
    if not claimed:
        return None
    now = now or utcnow()
    if notice.deadline_reminded_at is None and notice.remind_at is not None and notice.remind_at <= now:
        # published inside its reminder window: this announcement is the reminder (not a second one in
        # the same second); the escalation counts its hours from now
        notice.deadline_reminded_at = now
    return notify(tell.NOTICE_PUBLISHED, q.audience_user_ids(notice), url=_notice_url(notice),
                  params=_params(notice), circle_id=notice.circle_id, subject=(tell.SUBJECT, notice.id),
                  actor_id=notice.author_id, dedupe_key=f"notice-{notice.id}-published")


def announce_due(now: datetime | None = None) -> int:
    """Announce every notice whose publish time has passed and that was not announced yet (the
    periodic task). Returns how many were found due."""
    now = now or utcnow()
    ids = q.due_announcements(now)
    for notice_id in ids:
        notice = db.session.get(Notice, notice_id)
        if notice is not None:
            announce(notice, now)
    return len(ids)


def remind_unread(notice: Notice, actor: User, now: datetime | None = None):
    """Remind those of the audience who have not reached the notice's level (in-app and by their
    mail preference); the caller checked can_see_receipts. Returns (how many, the FanOut or None):
    more than the inline limit are written by a background job whose progress goes to `actor`.
    Audited (the audit record is what the cooldown and the receipts page's "last reminded" read).
    Raises NoticeError within REMIND_COOLDOWN of the last reminder (by anyone)."""
    now = now or utcnow()
    # two staff pressing at once: the second waits for the first's record (PostgreSQL; SQLite writes one at a time)
    db.session.execute(sa.select(Notice.id).where(Notice.id == notice.id).with_for_update())
    last = tell.last_reminder(notice)
    if last is not None and last.at > now - tell.REMIND_COOLDOWN:
        minutes = int(tell.REMIND_COOLDOWN.total_seconds() // 60)
        raise NoticeError(_l("The members were reminded less than %(num)d minutes ago. Wait a little before "
                             "reminding them again.", num=minutes))
    ids = q.unread_user_ids(notice)
    record_event(AuditAction.notice_reminded, actor, target=notice, target_label=notice.title,
                 details={"title": notice.title, "recipients": len(ids)})
    fan_out = notify(tell.MUST_READ_REMINDER, ids, url=_notice_url(notice), params=_params(notice),
                     circle_id=notice.circle_id, subject=(tell.SUBJECT, notice.id), actor_id=actor.id,
                     progress_to=actor.id)
    return len(ids), fan_out


def send_deadline_reminders(now: datetime | None = None) -> tuple[int, int]:
    """For must-read notices with a deadline: the in-app reminder (MailRule.never) once its time has come,
    then the mail (MailRule.always, held past each member's quiet hours) once the escalation's has, each
    to those who have not confirmed and each once (marked on the notice, and a dedupe key per member).
    Nothing after the deadline has passed. Returns (reminders sent, escalations sent) as notice counts."""
    now = now or utcnow()
    reminded = escalated = 0
    for notice in q.deadline_candidates(now):
        if notice.confirm_by <= now:
            continue
        if notice.deadline_reminded_at is None and notice.remind_at <= now:
            notice.deadline_reminded_at = now
            notify(tell.MUST_READ_REMINDER, q.unread_user_ids(notice), url=_notice_url(notice),
                   params=_params(notice), circle_id=notice.circle_id, subject=(tell.SUBJECT, notice.id),
                   mail=MailRule.never, dedupe_key=f"notice-{notice.id}-deadline-{notice.confirm_by:%Y%m%d%H%M}-remind")
            reminded += 1
        elif (notice.deadline_reminded_at is not None and notice.escalated_at is None
              and notice.escalate_at is not None and notice.escalate_at <= now):
            notice.escalated_at = now
            notify(tell.MUST_READ_REMINDER, q.unread_user_ids(notice), url=_notice_url(notice),
                   params=_params(notice), circle_id=notice.circle_id, subject=(tell.SUBJECT, notice.id),
                   mail=MailRule.always,
                   dedupe_key=f"notice-{notice.id}-deadline-{notice.confirm_by:%Y%m%d%H%M}-escalate")
            escalated += 1
    db.session.flush()
    return reminded, escalated


# -- reading -------------------------------------------------------------------------------------

def _receipt(notice: Notice, user: User, now: datetime, confirm: bool) -> tuple[NoticeRead, bool]:
    """The user's receipt of the notice, created or confirmed; whether it changed."""
    read = q.read_of(notice, user)
    changed = False
    if read is None:
        read = NoticeRead(notice_id=notice.id, user_id=user.id, opened_at=now)
        try:
            with db.session.begin_nested():  # the same member opening it in two tabs at once
                db.session.add(read)
        except IntegrityError:
            read = q.read_of(notice, user)
        else:
            changed = True
    if confirm and read.confirmed_at is None:
        read.confirmed_at = now
        changed = True
    db.session.flush()
    return read, changed


def _push_receipt(notice: Notice, user: User, read: NoticeRead) -> None:
    membership = notice.circle.membership_of(user)
    if membership is None:
        return
    staff = set(q.staff_user_ids(notice.circle))
    if notice.author_id is not None:
        staff.add(notice.author_id)
    staff.discard(user.id)
    tell.receipt_changed(sorted(staff), notice, membership.id, read.opened_at, read.confirmed_at)


def open_notice(notice: Notice, user: User, now: datetime | None = None) -> NoticeRead | None:
    """Record that `user` opened a published notice of their circle (its first opening counts), and mark
    their notifications about it read. Only the audience keeps receipts (Notice.is_audience: active
    learners but the author; staff and overseers keep none). Returns the receipt, or None when none is kept."""
    if not notice.is_published(now) or not notice.is_audience(user):
        return None
    read, changed = _receipt(notice, user, now or utcnow(), confirm=False)
    mark_read_about(user.id, (tell.SUBJECT, notice.id))
    if changed:
        _push_receipt(notice, user, read)
    return read


def confirm_notice(notice: Notice, user: User, now: datetime | None = None) -> NoticeRead:
    """"I have read this": the member confirms the notice (the caller checked can_confirm); idempotent."""
    read, changed = _receipt(notice, user, now or utcnow(), confirm=True)
    mark_read_about(user.id, (tell.SUBJECT, notice.id))
    if changed:
        _push_receipt(notice, user, read)
    return read
