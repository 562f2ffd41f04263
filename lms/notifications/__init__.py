"""Notifications: one service every domain calls (stored, pushed live to the bell, mailed now or in a
daily digest per each person's preferences). See /work/notes/notifications-api.md for the contract:
domains import only the names below."""
from flask import Blueprint

from lms.notifications.kinds import Channel, Kind, MailRule, register_kind, register_staff_check
from lms.notifications.operations import FAN_OUT_INLINE, forget_about, mark_read_about, notify
from lms.notifications.queries import already_told, fan_out_state

bp = Blueprint("notifications", __name__)

__all__ = ["FAN_OUT_INLINE", "Channel", "Kind", "MailRule", "already_told", "bp", "fan_out_state", "forget_about", "mark_read_about",
           "notify", "register_kind", "register_staff_check"]


@bp.record_once
def _register_with_accounts(state) -> None:
    """The signed-in person's unread count is read with their session: the bell costs no query."""
    from lms.accounts.hooks import register_session_fact
    from lms.notifications.queries import UNREAD_NOTIFICATIONS, unread_count_of

    register_session_fact(state.app, UNREAD_NOTIFICATIONS, unread_count_of)
