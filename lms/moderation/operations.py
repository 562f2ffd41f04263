"""Every state change of moderation: reports, the queue's actions, site-wide takedowns, circle settings, the
escalation of reports that wait. Flush, never commit; the caller checked the acting user's permission.

Remove and ban (both through the circle's own removal, which refuses every way back in until the staff
readmit): "remove" takes the person out and leaves what they wrote; "ban" also hides everything they wrote
in the circle (posts, comments, video comments, check-ins and their comments, chat messages) for everyone
but the staff, as a spammer's clean-up.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.accounts import operations as account_ops
from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.chat.operations import ChatError
from lms.circles import operations as circle_ops
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.moderation import notifications
from lms.moderation.kinds import Target, adapter_of, load_target
from lms.moderation.models import (MEMBER_REASONS, ActionKind, ApprovedWriter, CircleModeration, ModerationAction,
                                   Report, ReportKind, ReportReason, ReportState)
from lms.moderation.policy import forget_settings, settings_of

MAX_DETAILS = 1000
MAX_REASON = 1000
MAX_WORDS = 20000
#: the longest mute the queue offers, in minutes (30 days)
MAX_MUTE_MINUTES = 30 * 24 * 60
#: minutes an unanswered report waits before the admins are reminded (LMS_MODERATION_ESCALATE_MINUTES)
ESCALATE_MINUTES = 60
#: actions that need a reason the author is told
NEEDS_REASON = frozenset({ActionKind.hide, ActionKind.delete, ActionKind.warn, ActionKind.mute, ActionKind.remove,
                          ActionKind.ban, ActionKind.site_hide, ActionKind.suspend})
_AUDIT = {action: AuditAction(f"moderation_{action.value}") for action in ActionKind}


class ModerationError(ValueError):
    """A refused moderation request; the message is for the user, `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def _reason(reason: str | None, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ModerationError(_l("Give a reason: the author is told it."), "reason")
    if len(reason) > MAX_REASON:
        raise ModerationError(_l("A reason has at most %(num)d characters.", num=MAX_REASON), "reason")
    return reason


# -- reports ------------------------------------------------------------------------------------------

def file_report(circle: Circle, reporter: User, kind: ReportKind, object_id: int, reason: ReportReason,
                details: str = "") -> tuple[Report, bool]:
    """`reporter` (a member of `circle`, checked by the caller) reports a thing of the circle. A second report
    of the same thing by the same person while the first waits changes nothing (they are told they reported it
    already); after an answer it reopens the report with the new reason: returns (report, created). Tells the circle's admins of a new one. Raises
    ModerationError for a reason a member may not give, an "other" without text, one's own content, or a
    thing that is not in the circle."""
    if reason not in MEMBER_REASONS:
        raise ModerationError(_l("Choose a reason."), "reason")
    details = (details or "").strip()
    if len(details) > MAX_DETAILS:
        raise ModerationError(_l("Say it in at most %(num)d characters.", num=MAX_DETAILS), "details")
    if reason == ReportReason.other and not details:
        raise ModerationError(_l("Say what is wrong."), "details")
    target = load_target(circle, kind, object_id)
    if target is None or not adapter_of(kind).can_see(target.obj, reporter):
        raise ModerationError(_l("This is no longer there."))
    if target.author_id == reporter.id:
        raise ModerationError(_l("You cannot report what you wrote yourself."))
    report = db.session.scalar(sa.select(Report).where(Report.kind == kind, Report.object_id == object_id,
                                                       Report.reporter_id == reporter.id))
    if report is not None and report.state == ReportState.open:
        return report, False
    created = report is None
    if created:
        report = Report(circle_id=circle.id, kind=kind, object_id=object_id, reporter_id=reporter.id)
        db.session.add(report)
    elif report.state != ReportState.open:
        report.state, report.created_at = ReportState.open, utcnow()
        report.resolved_at = report.resolved_by_id = report.response_seconds = report.escalated_at = None
        report.action_id = None
        created = True
    report.reason, report.details, report.author_id = reason, details, target.author_id
    db.session.flush()
    if created:
        notifications.report_filed(circle, reason=reason.value, text=target.text, actor_id=reporter.id,
                                   subject_id=target.author_id, dedupe_key=f"moderation-report-{report.id}-{int(report.created_at.timestamp())}")
    return report, created


def open_reports(circle: Circle, kind: ReportKind, object_id: int) -> list[Report]:
    return list(db.session.scalars(sa.select(Report).where(
        Report.circle_id == circle.id, Report.kind == kind, Report.object_id == object_id,
        Report.state == ReportState.open)))


def _resolve(reports: list[Report], action: ModerationAction, state: ReportState, now: datetime) -> None:
    for report in reports:
        report.state = state
        report.resolved_at = now
        report.resolved_by_id = action.actor_id
        report.response_seconds = max(0, int((now - report.created_at).total_seconds()))
        report.action_id = action.id


def _membership_of(circle: Circle, user_id: int | None) -> Membership | None:
    if user_id is None:
        return None
    return db.session.scalar(sa.select(Membership).where(Membership.circle_id == circle.id,
                                                         Membership.user_id == user_id))


# -- the queue's actions ----------------------------------------------------------------------------

def act(circle: Circle, kind: ReportKind, object_id: int, action: ActionKind, actor: User, reason: str = "", *,
        mute_minutes: int | None = None) -> ModerationAction:
    """Do `action` about a reported (or held) thing of `circle` as `actor` (staff or overseer, checked by the
    caller): hide, unhide, delete, approve the thing; warn, mute, remove or ban its author; dismiss the
    reports. Every open report of the thing is answered (its response time kept), its reporters told;
    the author is told the reason; an audit event is written. Raises ModerationError for a missing reason,
    an action the thing does not allow, a thing no longer there (except to dismiss), or a refusal of the
    circle's operations (the owner cannot be removed; staff cannot be muted)."""
    action = ActionKind(action)
    reason = _reason(reason, action in NEEDS_REASON)
    target = load_target(circle, kind, object_id)
    reports = open_reports(circle, kind, object_id)
    if target is None and action != ActionKind.dismiss:
        raise ModerationError(_l("This is no longer there; dismiss the report."))
    adapter = adapter_of(kind)
    author = _membership_of(circle, target.author_id if target else None)
    if kind == ReportKind.member and target is not None:
        author = target.obj
    # audited first, while the thing is still there (a delete may remove its row); a refusal below rolls it back
    record_event(_AUDIT[action], actor, target=target.obj if target else None, circle_id=circle.id,
                 target_label=notifications.excerpt(target.text) if target else f"{kind.value} {object_id}",
                 details={"kind": kind.value, "object_id": object_id, "reason": reason,
                          "author_id": target.author_id if target else None, "reports": len(reports),
                          **({"mute_minutes": mute_minutes} if action == ActionKind.mute else {})})
    try:
        _apply(circle, adapter, target, author, action, actor, reason, mute_minutes)
    except ChatError as error:
        raise ModerationError(str(error)) from error
    now = utcnow()
    record = ModerationAction(circle_id=circle.id, kind=kind, object_id=object_id,
                              target_user_id=target.author_id if target else None, actor_id=actor.id,
                              action=action, reason=reason, created_at=now)
    db.session.add(record)
    db.session.flush()
    _resolve(reports, record, ReportState.dismissed if action == ActionKind.dismiss else ReportState.actioned, now)
    _tell(circle, target, reports, action, actor, reason)
    if action == ActionKind.ban and target is not None and target.author_id is not None:
        _resolve_the_rest_of(circle, target.author_id, record, actor, now)
    return record


def _resolve_the_rest_of(circle: Circle, author_id: int, record: ModerationAction, actor: User,
                         now: datetime) -> None:
    """A ban hid everything its author wrote in the circle: their other waiting reports and holds are answered
    by it too (none stays in the queue offering to ban them again), each thing's reporters told."""
    rest = list(db.session.scalars(sa.select(Report).where(
        Report.circle_id == circle.id, Report.author_id == author_id, Report.state == ReportState.open)))
    groups: dict[tuple[str, int], list[Report]] = {}
    for report in rest:
        groups.setdefault((report.kind, report.object_id), []).append(report)
    for (kind, object_id), group in groups.items():
        _resolve(group, record, ReportState.actioned, now)
        reporters = list(dict.fromkeys(r.reporter_id for r in group if r.reporter_id not in (None, actor.id)))
        if reporters:
            other = load_target(circle, ReportKind(kind), object_id)
            notifications.report_answered(circle, reporters, text=other.text if other else "",
                                          action=record.action.value, reason=record.reason, actor_id=actor.id,
                                          url=_reporter_url(circle, other, record.action))


def _apply(circle: Circle, adapter, target: Target | None, author: Membership | None, action: ActionKind,
           actor: User, reason: str, mute_minutes: int | None) -> None:
    """What the action does to the thing or its author (through each domain's own operations)."""
    if action in (ActionKind.hide, ActionKind.site_hide):
        _need(adapter.hide)(target.obj, actor, reason)
    elif action == ActionKind.unhide:
        _need(adapter.unhide)(target.obj, actor)
    elif action == ActionKind.delete:
        _need(adapter.delete)(target.obj, actor, reason)
    elif action == ActionKind.approve:
        _need(adapter.approve)(target.obj, actor)
        if target.author_id is not None and db.session.get(ApprovedWriter, (circle.id, target.author_id)) is None:
            db.session.add(ApprovedWriter(circle_id=circle.id, user_id=target.author_id))
    elif action in (ActionKind.warn, ActionKind.mute, ActionKind.remove, ActionKind.ban):
        if author is None:
            raise ModerationError(_l("Its author is not a member of this circle."))
        _act_on_member(circle, author, action, actor, reason, mute_minutes)

def _need(operation):
    if operation is None:
        raise ModerationError(_l("This cannot be done to this kind of content."))
    return operation


def _act_on_member(circle: Circle, membership: Membership, action: ActionKind, actor: User, reason: str,
                   mute_minutes: int | None) -> None:
    if membership.user_id == actor.id:
        raise ModerationError(_l("You cannot do this to yourself."))
    try:
        if action == ActionKind.mute:
            minutes = mute_minutes or 0
            if not 1 <= minutes <= MAX_MUTE_MINUTES:
                raise ModerationError(_l("Choose how long to mute them."), "mute_minutes")
            circle_ops.mute_member(membership, until=utcnow() + timedelta(minutes=minutes), actor=actor,
                                   reason=reason)
        elif action in (ActionKind.remove, ActionKind.ban):
            if membership.is_staff and action == ActionKind.ban:
                raise ModerationError(_l("Change their role first: staff cannot be banned."))
            if membership.status == MembershipStatus.active:
                # a removal's own notice tells them with the reason; a ban's is told by _tell in its own words
                circle_ops.remove_member(membership, actor, reason, notice=action == ActionKind.remove)
            if action == ActionKind.ban:
                hide_everything_of(circle, membership.user_id, actor)
    except circle_ops.CircleError as error:
        raise ModerationError(str(error)) from error


def hide_everything_of(circle: Circle, user_id: int, actor: User) -> int:
    """Hide whatever `user_id` wrote in `circle` (a ban's clean-up), kind by kind; bounded per kind."""
    hidden = 0
    for kind in ReportKind:
        adapter = adapter_of(kind)
        if adapter is not None and adapter.hide_all_of is not None:
            hidden += adapter.hide_all_of(circle, user_id, actor)
    db.session.flush()
    return hidden


def _reporter_url(circle: Circle, target: Target | None, action: ActionKind) -> str:
    """Where a reporter's answer links: the thing where it is while they can still see it, else the circle (the
    queue is the staff's, a hidden thing answers them 404)."""
    if target is None or action in (ActionKind.hide, ActionKind.delete, ActionKind.site_hide, ActionKind.ban):
        return path_for("circles.home", circle_id=circle.id)
    return target.url


def _tell(circle: Circle, target: Target | None, reports: list[Report], action: ActionKind, actor: User,
          reason: str) -> None:
    """Reporters hear what was done about their report, and the staff's reason; the author hears what was done
    and why (unless the domain's operation told them already, or the mute's or the removal's own notification
    did)."""
    text = target.text if target else ""
    url = target.url if target else notifications.queue_url(circle.id)
    reporters = [r.reporter_id for r in reports if r.reporter_id is not None and r.reporter_id != actor.id]
    if reporters:
        notifications.report_answered(circle, list(dict.fromkeys(reporters)), text=text, action=action.value,
                                      reason=reason, actor_id=actor.id, url=_reporter_url(circle, target, action))
    if target is None or target.author_id is None or action in (ActionKind.dismiss, ActionKind.mute,
                                                                ActionKind.remove):
        return  # the mute's and the removal's own notices told them, with the reason
    if target.domain_tells_author and action in (ActionKind.hide, ActionKind.delete, ActionKind.site_hide):
        return
    if action == ActionKind.approve and target.domain_tells_author:
        return
    notifications.author_told(circle, target.author_id, action=action.value, text=text, reason=reason,
                              actor_id=actor.id, url=url)


# -- site-wide ---------------------------------------------------------------------------------------

def suspend_account(user: User, actor: User, reason: str, *, circle: Circle | None = None,
                    kind: ReportKind | None = None, object_id: int | None = None) -> ModerationAction:
    """A site admin suspends `user` everywhere (the accounts' disable path: signed out, sign-in refused), from
    a queue item (whose open reports are answered) or not. Audited. Raises ModerationError."""
    reason = _reason(reason, True)
    try:
        account_ops.set_disabled(user, True, actor)
    except account_ops.AccountError as error:
        raise ModerationError(str(error)) from error
    now = utcnow()
    record = ModerationAction(circle_id=circle.id if circle else None, kind=kind, object_id=object_id,
                              target_user_id=user.id, actor_id=actor.id, action=ActionKind.suspend, reason=reason,
                              created_at=now)
    db.session.add(record)
    db.session.flush()
    reports = open_reports(circle, kind, object_id) if circle is not None and kind is not None else []
    _resolve(reports, record, ReportState.actioned, now)
    record_event(AuditAction.moderation_suspend, actor, target=user,
                 details={"reason": reason, "reports": len(reports)})
    if circle is not None and reports:  # the reporters hear of it even when the thing itself is gone
        _tell(circle, load_target(circle, kind, object_id), reports, ActionKind.suspend, actor, reason)
    return record


# -- settings ----------------------------------------------------------------------------------------

def update_settings(circle: Circle, actor: User, *, first_posts_need_approval: bool, word_list: str,
                    links_allowed: bool, posts_per_hour: int | None, comments_per_hour: int | None,
                    chat_per_minute: int | None) -> CircleModeration:
    """Change the circle's moderation settings (the owner's and teachers'); stored on first change. Turning
    first-post approval on counts from now: members who join from now on are held until approved once.
    Audited. Raises ModerationError for a word list too long or a limit out of range."""
    settings = settings_of(circle)
    if settings is None:
        settings = CircleModeration(circle_id=circle.id, word_list="", links_allowed=True)
        db.session.add(settings)
    words = "\n".join(w.strip() for w in (word_list or "").splitlines() if w.strip())
    if len(words) > MAX_WORDS:
        raise ModerationError(_l("The word list has at most %(num)d characters.", num=MAX_WORDS), "word_list")
    for name, value in (("posts_per_hour", posts_per_hour), ("comments_per_hour", comments_per_hour),
                        ("chat_per_minute", chat_per_minute)):
        if value is not None and not 1 <= value <= 10000:
            raise ModerationError(_l("Choose a number from 1 to 10,000, or leave it empty."), name)
    before = _settings_dict(settings)
    if first_posts_need_approval and settings.first_posts_since is None:
        settings.first_posts_since = utcnow()
    elif not first_posts_need_approval:
        settings.first_posts_since = None
    settings.word_list, settings.links_allowed = words, links_allowed
    settings.posts_per_hour, settings.comments_per_hour = posts_per_hour, comments_per_hour
    settings.chat_per_minute = chat_per_minute
    db.session.flush()
    forget_settings(circle)
    after = _settings_dict(settings)
    if after != before:
        record_event(AuditAction.moderation_settings_changed, actor, target=circle,
                     details={"from": before, "to": after})
    return settings


def _settings_dict(settings: CircleModeration) -> dict:
    return {"first_posts_need_approval": settings.first_posts_since is not None,
            "words": len(settings.words), "links_allowed": bool(settings.links_allowed),
            "posts_per_hour": settings.posts_per_hour, "comments_per_hour": settings.comments_per_hour,
            "chat_per_minute": settings.chat_per_minute}


# -- escalation ---------------------------------------------------------------------------------------

def escalate_waiting(now: datetime | None = None, limit: int = 500) -> int:
    """Remind the admins of every circle where a report has waited longer than MODERATION_ESCALATE_MINUTES
    without an answer: once per reported thing (its reports marked escalated). Returns the number of things
    escalated. Bounded by `limit` reports a run (the rest next run)."""
    now = now or utcnow()
    minutes = int(current_app.config.get("MODERATION_ESCALATE_MINUTES") or ESCALATE_MINUTES)
    cutoff = now - timedelta(minutes=minutes)
    reports = list(db.session.scalars(
        sa.select(Report).where(Report.state == ReportState.open, Report.escalated_at.is_(None),
                                Report.created_at <= cutoff).order_by(Report.created_at).limit(limit)))
    groups: dict[tuple[int, str, int], list[Report]] = {}
    for report in reports:
        groups.setdefault((report.circle_id, report.kind, report.object_id), []).append(report)
    for (circle_id, kind, object_id), group in groups.items():
        circle = db.session.get(Circle, circle_id)
        target = load_target(circle, ReportKind(kind), object_id)
        for report in group:
            report.escalated_at = now
        notifications.report_waiting(circle, minutes=minutes, text=target.text if target else "",
                                     subject_id=group[0].author_id,
                                     dedupe_key=f"moderation-waiting-{circle_id}-{kind}-{object_id}-{group[0].id}")
    db.session.flush()
    return len(groups)
