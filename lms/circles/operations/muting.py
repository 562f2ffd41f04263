"""Muting a member: for a time they read the circle but do not write in it (chat, posts, comments, video
comments); each writing domain checks Membership.is_muted."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles import notifications
from lms.circles.models import Membership
from lms.circles.operations.errors import CircleError
from lms.core.realtime import emit_to_user
from lms.core.types import utcnow
from lms.extensions import db

#: the longest reason kept with a mute (audit log, the member's notification)
REASON_MAX = 500
#: what every open page of the member hears (default namespace) when they are muted or unmuted:
#: {"circle_id", "muted_until" (ISO 8601 UTC, or None), "reason"} (static/js/circles/muted.js, static/js/chat.js)
MUTED_PUSH = "member_muted"


def _tell_pages(membership: Membership) -> None:
    """After the commit, the member's open pages show or hide their mute where they would write, at once."""
    until = membership.muted_until
    emit_to_user(membership.user_id, MUTED_PUSH, {"circle_id": membership.circle_id,
                                                  "muted_until": until.isoformat() if until is not None else None,
                                                  "reason": membership.mute_reason or ""})


def mute_member(membership: Membership, *, until: datetime | None, actor: User, reason: str) -> None:
    """Mute `membership` until `until` (UTC), or lift their mute (`until` None); audited as member_muted /
    member_unmuted with the reason, and the member is told through the notification service, and their open pages
    at once (MUTED_PUSH; after the commit).

    A mute needs a reason (the member reads it, with the time it ends, on every page where they would write);
    lifting one does not. Only the circle's staff (who manage members) may; staff themselves are never muted,
    nor is one's own membership. Raises CircleError when `actor` may not, for a staff member, for an inactive
    membership, for a mute without a reason, or for an `until` already past. Lifting a mute that is not on does
    nothing."""
    circle = membership.circle
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if not circle.can_manage_members(actor):
        raise CircleError(_l("Only the circle's staff can mute members."))
    if until is None:
        if membership.muted_until is None:
            return
        membership.muted_until = None
        membership.mute_reason = None
        record_event(AuditAction.member_unmuted, actor, target=membership,
                     details={"mute_reason": reason})
        db.session.flush()
        notifications.member_muted(membership, actor.id, reason)
        _tell_pages(membership)
        return
    if not membership.is_active:
        raise CircleError(_l("%(name)s is not an active member.", name=membership.display_name))
    if membership.is_staff:
        raise CircleError(_l("Teachers and assistants cannot be muted."))
    if membership.user_id == actor.id:
        raise CircleError(_l("You cannot mute yourself."))
    if until.tzinfo is None:
        raise ValueError("until must be an aware UTC datetime")
    if until <= utcnow():
        raise CircleError(_l("Choose a time in the future."))
    if not reason:
        raise CircleError(_l("Say why: the member reads the reason."))
    membership.muted_until = until
    membership.mute_reason = reason
    record_event(AuditAction.member_muted, actor, target=membership,
                 details={"muted_until": until.isoformat(), "mute_reason": reason})
    db.session.flush()
    notifications.member_muted(membership, actor.id, reason)
    _tell_pages(membership)
