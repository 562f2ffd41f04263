"""Socket.IO namespace /chat: a circle's chat page. Thin, like the pages: every event reloads the circle and the
channel for the signed-in user (lms.circles.queries.get_circle_or_404, lms.chat.queries.get_channel_or_404: the
same membership and role checks as the pages), calls one operation or query and commits; pushes leave after the
commit. Acks are {"ok": true, ...} or {"ok": false, "error": "<translated message>"}.

A page `join`s a circle: its connection enters the room of every channel the person sees (unread counts stay
live), the staff rooms of those channels for the staff, and the person's own room. A person who can no longer see
the circle is refused at their next event and their connection leaves every room; their removal from the
circle disconnects them at once (lms.chat.pushes.cut_off, through lms.circles.departures)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from flask import request
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user
from flask_socketio import Namespace, join_room, leave_room, rooms
from werkzeug.exceptions import HTTPException

from lms.chat import operations as ops
from lms.chat import pushes
from lms.chat import queries as q
from lms.chat.models import PAGE_SIZE, ChatChannel
from lms.chat.pushes import NAMESPACE, channel_room, person_room, staff_room
from lms.circles import operations as circle_ops
from lms.circles.models import Circle
from lms.circles.archived import CircleArchived
from lms.circles.queries import get_circle_or_404
from lms.core.types import utcnow
from lms.extensions import db

logger = logging.getLogger(__name__)

#: the mutes staff can give from the chat, in minutes (one hour, one day, one week)
MUTE_MINUTES = (10, 60, 24 * 60, 7 * 24 * 60)


@dataclass
class Joined:
    circle_id: int
    user_id: int
    channel_ids: set[int] = field(default_factory=set)


def _refused(message) -> dict:
    return {"ok": False, "error": str(message)}


def channel_summary(channel: ChatChannel, unread: int, names: dict[int, dict], viewer_id: int) -> dict:
    """A channel as the page lists it: its name for this reader (a direct conversation: the other person)."""
    data = {"id": channel.id, "kind": channel.kind.value, "name": channel.name, "unread": unread,
            "all_muted": channel.is_all_muted, "slow_mode_seconds": channel.slow_mode_seconds,
            "visibility": channel.visibility.value}
    if channel.is_direct:
        other = next((uid for uid in channel.direct_user_ids() if uid != viewer_id), viewer_id)
        data["name"] = (names.get(other) or {}).get("name", "")
        data["with_id"] = other
    elif channel.kind.value == "main":
        data["name"] = pgettext("chat channel", "Everyone")
    return data


def channel_list(circle: Circle, reader: q.Reader) -> list[dict]:
    channels = q.channels_for(circle, reader)
    unread = q.unread_counts([c.id for c in channels], reader.id)
    direct_people = [uid for c in channels if c.is_direct for uid in c.direct_user_ids()]
    names = q.people(circle.id, direct_people)
    return [channel_summary(c, unread.get(c.id, 0), names, reader.id) for c in channels]


class ChatNamespace(Namespace):
    """Signed-in users only; every event checked again."""

    def __init__(self, namespace: str):
        super().__init__(namespace)
        self._joined: dict[str, Joined] = {}
        self._lock = threading.Lock()

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            return False
        return None

    def on_disconnect(self, reason=None):
        with self._lock:
            joined = self._joined.pop(request.sid, None)
        if joined is not None:
            pushes.forget(joined.circle_id, joined.user_id, request.sid)

    def _drop(self, sid: str) -> None:
        """This connection leaves every chat room (no longer allowed in)."""
        with self._lock:
            joined = self._joined.pop(sid, None)
        for name in rooms(sid=sid, namespace=NAMESPACE):
            if name != sid:
                leave_room(name, sid=sid)
        if joined is not None:
            pushes.forget(joined.circle_id, joined.user_id, sid)

    # -- joining ------------------------------------------------------------------------------
    def on_join(self, data):
        """{"circle_id"} → {"ok": true, "channels": [...], "me": {...}}: the connection enters the rooms of the
        circle's channels the person sees."""
        sid = request.sid
        try:
            circle = get_circle_or_404(int((data or {})["circle_id"]), current_user)
        except (HTTPException, KeyError, TypeError, ValueError):
            db.session.rollback()
            return _refused(_("This chat was not found."))
        reader = q.reader_of(circle, current_user)
        channels = q.channels_for(circle, reader)
        if not channels:
            db.session.rollback()
            return _refused(_("This chat was not found."))
        listed = channel_list(circle, reader)
        me = {"id": reader.id, "staff": reader.staff,
              "muted_until": q.iso(reader.membership.muted_until) if reader.membership is not None
              and reader.membership.is_muted() else None, "member": reader.membership is not None}
        if me["muted_until"]:
            me["mute_reason"] = reader.membership.mute_reason or ""
        db.session.rollback()
        with self._lock:
            before = self._joined.get(sid)
        if before is not None:
            self._drop(sid)
        try:
            for channel in channels:
                join_room(channel_room(channel.id))
                if reader.staff:
                    join_room(staff_room(channel.id))
            join_room(person_room(circle.id, reader.id))
        except (KeyError, ValueError):  # the page went away while joining
            return _refused(_("Something went wrong. Try again."))
        with self._lock:
            self._joined[sid] = Joined(circle.id, reader.id, {c.id for c in channels})
        pushes.remember(circle.id, reader.id, sid)
        return {"ok": True, "channels": listed, "me": me}

    def on_leave(self, data=None):
        self._drop(request.sid)
        return {"ok": True}

    # -- every other event --------------------------------------------------------------------
    def _act(self, data, action, write: bool = True) -> dict:
        """Reload the circle and the channel for the sender, run `action(channel, reader, data)`, commit. A
        `write` in an archived circle is refused (read-only, as lms.circles.archived makes its pages); reading,
        searching and one's place in the channel are not writes."""
        sid = request.sid
        with self._lock:
            joined = self._joined.get(sid)
        if not current_user.is_authenticated:
            self._drop(sid)
            return _refused(_("Sign in again to take part."))
        if joined is None or joined.user_id != current_user.id:
            return _refused(_("Open the chat first."))
        data = data if isinstance(data, dict) else {}
        try:
            circle = get_circle_or_404(joined.circle_id, current_user)
        except HTTPException:
            db.session.rollback()
            self._drop(sid)  # no longer in the circle: nothing more reaches this connection
            return _refused(_("This chat was not found."))
        try:
            channel, reader = q.get_channel_or_404(circle, int(data.get("channel_id")), current_user)
        except (HTTPException, TypeError, ValueError):
            db.session.rollback()
            try:
                channel_id = int(data.get("channel_id"))
            except (TypeError, ValueError):
                channel_id = None
            if channel_id in joined.channel_ids:  # was visible when the page joined, is not now
                leave_room(channel_room(channel_id), sid=sid)
                leave_room(staff_room(channel_id), sid=sid)
            return _refused(_("This channel was not found."))
        if write and circle.is_archived:
            db.session.rollback()
            return _refused(str(CircleArchived.description))
        try:
            result = action(channel, reader, data)
            db.session.commit()
        except ops.ChatError as error:
            db.session.rollback()
            return _refused(error.message)
        except (KeyError, TypeError, ValueError):
            db.session.rollback()
            return _refused(_("This request was not understood."))
        except Exception:
            db.session.rollback()
            logger.exception("chat event failed")
            return _refused(_("Something went wrong. Try again."))
        return {"ok": True, **(result if isinstance(result, dict) else {})}

    def on_open(self, data):
        """{"channel_id"} → the newest page of messages, the first unread id, the pinned message, the settings."""
        def act(channel, reader, d):
            first_unread = q.first_unread_id(channel, reader)
            messages = q.history(channel, reader)
            pinned = q.pinned_message(channel, reader)
            return {"messages": q.message_dicts(channel, messages, reader), "first_unread_id": first_unread,
                    "last_read_id": q.last_read_id(channel, reader.id), "has_older": len(messages) == PAGE_SIZE,
                    "pinned": q.message_dicts(channel, [pinned], reader)[0] if pinned else None,
                    "settings": pushes.settings_dict(channel)}
        return self._act(data, act, write=False)

    def on_history(self, data):
        """{"channel_id", "before_id"? | "after_id"?} → one page by keyset (oldest first)."""
        def act(channel, reader, d):
            before = int(d["before_id"]) if d.get("before_id") not in (None, "") else None
            after = int(d["after_id"]) if d.get("after_id") not in (None, "") else None
            messages = q.history(channel, reader, before_id=before, after_id=after)
            return {"messages": q.message_dicts(channel, messages, reader), "full": len(messages) == PAGE_SIZE}
        return self._act(data, act, write=False)

    def on_send(self, data):
        """{"channel_id", "body", "reply_to"?, "media_id"?, "mentions"?: [user ids]} → {"message": ...}."""
        def act(channel, reader, d):
            mentions = d.get("mentions") if isinstance(d.get("mentions"), list) else []
            message = ops.send_message(channel, reader, body=d.get("body"), reply_to_id=d.get("reply_to"),
                                       media_id=d.get("media_id"), mention_ids=mentions[:20])
            return {"message": q.message_dicts(channel, [message], reader)[0]}
        return self._act(data, act)

    def on_edit(self, data):
        def act(channel, reader, d):
            message = _message(channel, reader, d)
            ops.edit_message(message, reader, body=d.get("body"))
            return {"message": q.message_dicts(channel, [message], reader)[0]}
        return self._act(data, act)

    def on_delete(self, data):
        return self._act(data, lambda channel, reader, d: ops.delete_own_or_any(_message(channel, reader, d), reader)
                         and None)

    def on_pin(self, data):
        def act(channel, reader, d):
            message = _message(channel, reader, d) if d.get("message_id") not in (None, "") else None
            ops.pin_message(channel, reader, message)
        return self._act(data, act)

    def on_mute_all(self, data):
        return self._act(data, lambda channel, reader, d: ops.set_all_muted(channel, reader, bool(d.get("on"))))

    def on_slow_mode(self, data):
        return self._act(data, lambda channel, reader, d: ops.set_slow_mode(channel, reader, d.get("seconds")))

    def on_mute_member(self, data):
        """{"channel_id", "user_id", "minutes" (one of MUTE_MINUTES, or 0 to lift), "reason" (needed to mute)} →
        {"member": {"id", "name", "muted_until", "reason"}}: staff mute a member of the circle, or lift their mute
        (lms.circles.operations.mute_member, which tells the member's open pages at once, with the reason)."""
        def act(channel, reader, d):
            if not reader.staff:
                raise ops.ChatError(_("Only the circle's staff can do that."))
            minutes = int(d.get("minutes"))
            if minutes and minutes not in MUTE_MINUTES:
                raise ops.ChatError(_("This request was not understood."))
            user = _user(d.get("user_id"))
            target = channel.circle.membership_of(user) if user is not None else None
            if target is None or not target.is_active:
                raise ops.ChatError(_("This person was not found."))
            reason = str(d.get("reason") or "")[:500]
            try:
                circle_ops.mute_member(target, until=utcnow() + timedelta(minutes=minutes) if minutes else None,
                                       actor=reader.user, reason=reason)
            except circle_ops.CircleError as error:
                raise ops.ChatError(str(error)) from None
            # their open pages (chat, feed, comments) say so at once: mute_member pushes it to every page of theirs
            return {"member": {"id": target.user_id, "name": target.display_name,
                               "muted_until": q.iso(target.muted_until), "reason": target.mute_reason or ""}}
        return self._act(data, act)

    def on_read(self, data):
        """{"channel_id", "last_id"} → {"last_read_id", "unread"}: the reader has seen the channel up to there."""
        def act(channel, reader, d):
            place = ops.mark_read(channel, reader, d.get("last_id"))
            return {"last_read_id": place, "unread": q.unread_counts([channel.id], reader.id).get(channel.id, 0)}
        return self._act(data, act, write=False)

    def on_search(self, data):
        """{"channel_id", "text", "before_id"?} → matching messages, newest first."""
        def act(channel, reader, d):
            before = int(d["before_id"]) if d.get("before_id") not in (None, "") else None
            found = q.search(channel, reader, str(d.get("text") or ""), before_id=before)
            return {"messages": q.message_dicts(channel, found, reader)}
        return self._act(data, act, write=False)

    def on_members(self, data):
        """{"channel_id", "text"} → members for @mention autocomplete (their circle names)."""
        def act(channel, reader, d):
            found = q.members_matching(channel.circle, channel, str(d.get("text") or ""), reader=reader)
            shown = q.people(channel.circle_id, [m.user_id for m in found])
            return {"members": [shown[m.user_id] for m in found if m.user_id in shown]}
        return self._act(data, act, write=False)


def _message(channel: ChatChannel, reader: q.Reader, d: dict):
    message = q.get_message_in_channel(channel, d.get("message_id"))
    if message is None or not message.is_shown_to(reader.id, reader.staff):
        raise ops.ChatError(_("This message was not found."))
    return message


def _user(user_id):
    from lms.accounts.models import User

    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def register(socketio_) -> None:
    socketio_.on_namespace(ChatNamespace(NAMESPACE))
