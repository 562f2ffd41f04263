"""What chat pushes over Socket.IO namespace /chat, after the commit: a channel's room (`chat-<id>`) hears its
messages and changes, its staff room (`chat-<id>-staff`) also what is held for review, and each person's room in
a circle (`chat-c<circle>-u<user>`) what concerns them alone (their own held message, being cut off).

Cutting someone off (removed from the circle, or taken off a channel) acts on the server: their connections are
disconnected (or leave the channel's room) at once, on whichever Socket.IO process holds them. This process finds
its own in the person's room; the others' are known by id from a set in Redis (the message queue's server), and
python-socketio's message queue carries the disconnect to the process that holds each."""
from __future__ import annotations

import logging
import time

from flask import current_app

from lms.chat.models import ChannelKind, ChannelVisibility, ChatChannel, ChatMessage
from lms.extensions import socketio
from lms.jobs import after_commit

logger = logging.getLogger(__name__)

NAMESPACE = "/chat"


class Push:
    """The events the pages hear (static/js/chat.js); one constant each."""

    message = "message"
    message_changed = "message_changed"
    message_removed = "message_removed"
    pinned = "pinned"
    settings = "settings"
    channel_closed = "channel_closed"
    channel_renamed = "channel_renamed"
    removed = "removed"
    rejoin = "rejoin"
    #: on the default namespace "/", to every page of the people who see a channel: there is new chat in a
    #: circle (no content, no channel); static/js/chat_badge.js asks for the counts a moment later
    activity = "chat_activity"


#: at most one activity signal a channel in this many seconds; chat_badge.js asks for the counts later than
#: this after a signal (ACTIVITY_FETCH_DELAY_MS there), so what the window swallowed is counted by that ask
ACTIVITY_SECONDS = 5


def channel_room(channel_id: int) -> str:
    return f"chat-{channel_id}"


def staff_room(channel_id: int) -> str:
    return f"chat-{channel_id}-staff"


def person_room(circle_id: int, user_id: int) -> str:
    return f"chat-c{circle_id}-u{user_id}"


def activity_room(circle_id: int) -> str:
    """Every page (default namespace) of the circle's active members: lms.chat.hooks.activity_rooms_of."""
    return f"chat-activity-c{circle_id}"


def emit(event: str, data: dict, *rooms: str) -> None:
    """Send to the rooms once the transaction commits (one emit: a page in several of them hears it once)."""
    rooms = list(rooms)
    after_commit(lambda: socketio.emit(event, data, to=rooms if len(rooms) > 1 else rooms[0], namespace=NAMESPACE))


def _room_copy(channel: ChatChannel, message: ChatMessage, reply: ChatMessage | None) -> dict:
    from lms.chat import queries as q

    if reply is None and message.reply_to_id is not None:
        reply = q.get_message_in_channel(channel, message.reply_to_id)
    shown = q.people(channel.circle_id, [message.author_id, reply.author_id if reply else None])
    return q.message_dict(message, shown, None, reply, channel.pinned_message_id)


def _rooms_for(channel: ChatChannel, message: ChatMessage) -> tuple[str, ...]:
    if message.hidden_at is not None:  # the staff only
        return (staff_room(channel.id),)
    if message.held_at is not None:  # its author and the staff only
        return staff_room(channel.id), person_room(channel.circle_id, message.author_id)
    return (channel_room(channel.id),)


def message_added(channel: ChatChannel, message: ChatMessage, reply: ChatMessage | None) -> None:
    emit(Push.message, {"message": _room_copy(channel, message, reply)}, *_rooms_for(channel, message))


def message_changed(channel: ChatChannel, message: ChatMessage) -> None:
    emit(Push.message_changed, {"message": _room_copy(channel, message, None)}, *_rooms_for(channel, message))


def message_removed(channel: ChatChannel, message: ChatMessage, keep_for_staff: bool = False) -> None:
    """Gone from every page (hidden); `keep_for_staff`: now held, the staff and author still see it (a change
    follows to them)."""
    emit(Push.message_removed, {"id": message.id, "channel_id": channel.id}, channel_room(channel.id))


def message_hidden(channel: ChatChannel, message: ChatMessage) -> None:
    """Hidden by moderation: gone from the members' pages (its author's too); the staff keep it, marked hidden
    (the removal reaches them too, the marked copy follows)."""
    message_removed(channel, message)
    message_changed(channel, message)


def pinned(channel: ChatChannel, message: ChatMessage | None) -> None:
    data = {"channel_id": channel.id, "message": _room_copy(channel, message, None) if message is not None else None}
    emit(Push.pinned, data, channel_room(channel.id))


def settings(channel: ChatChannel) -> None:
    emit(Push.settings, settings_dict(channel), channel_room(channel.id))


def settings_dict(channel: ChatChannel) -> dict:
    return {"channel_id": channel.id, "all_muted": channel.is_all_muted,
            "slow_mode_seconds": channel.slow_mode_seconds}


def activity(channel: ChatChannel) -> None:
    """Once the transaction commits, tell the pages of everyone who sees `channel` that there is new chat in its
    circle (the top bar's and the circle tab's unread counts), at most once per channel every ACTIVITY_SECONDS
    (across processes through the message queue's Redis): one emit to the circle's room for a channel of every
    member, whatever their number; the few people's own rooms for a chosen-members channel or a direct one."""
    from lms.core.realtime import user_room

    if channel.kind == ChannelKind.direct:
        rooms = [user_room(uid) for uid in channel.direct_user_ids()]
    elif channel.kind == ChannelKind.channel and channel.visibility == ChannelVisibility.chosen:
        from lms.chat import queries as q

        rooms = [user_room(uid) for uid in sorted(q.channel_member_ids(channel) | q.staff_user_ids(channel.circle))]
    else:
        rooms = [activity_room(channel.circle_id)]
    client, key = _redis(), f"{current_app.config['REDIS_PREFIX']}-chat-activity:{channel.id}"
    data = {"circle_id": channel.circle_id}

    def _signal():
        if not _first_in_window(client, key, channel.id):
            return
        socketio.emit(Push.activity, data, to=rooms if len(rooms) > 1 else rooms[0], namespace="/")

    after_commit(_signal)


_last_activity: dict[int, float] = {}


def _first_in_window(client, key: str, channel_id: int) -> bool:
    """Whether no activity signal of the channel went out in the last ACTIVITY_SECONDS (and mark one now)."""
    if client is not None:
        try:
            return bool(client.set(key, b"1", nx=True, ex=ACTIVITY_SECONDS))
        except Exception:  # Redis away: fall back on this process's own clock
            logger.warning("chat activity: Redis did not answer; coalescing on this process only", exc_info=True)
    now = time.monotonic()
    if now - _last_activity.get(channel_id, -ACTIVITY_SECONDS) < ACTIVITY_SECONDS:
        return False
    _last_activity[channel_id] = now
    return True


def channel_closed(channel: ChatChannel) -> None:
    emit(Push.channel_closed, {"channel_id": channel.id}, channel_room(channel.id))


def channel_renamed(channel: ChatChannel) -> None:
    emit(Push.channel_renamed, {"channel_id": channel.id, "name": channel.name}, channel_room(channel.id))


# -- connections and cutting off -------------------------------------------------------------------

_clients: dict[str, object] = {}


def _redis():
    """The message queue's Redis (None when there is no queue: one process, which knows its own sockets)."""
    url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url or not str(url).startswith(("redis://", "rediss://", "unix://")):
        return None
    client = _clients.get(url)
    if client is None:
        from redis import Redis

        client = _clients[url] = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def _key(circle_id: int, user_id: int) -> str:
    return f"{current_app.config['REDIS_PREFIX']}-chat-sids:{circle_id}:{user_id}"


#: a person's set of connection ids outlives a crashed process by at most this long
_KEY_SECONDS = 24 * 3600


def remember(circle_id: int, user_id: int, sid: str) -> None:
    """A connection of `user_id` joined chat rooms of `circle_id` (on this process)."""
    client = _redis()
    if client is None:
        return
    try:
        pipe = client.pipeline()
        pipe.sadd(_key(circle_id, user_id), sid)
        pipe.expire(_key(circle_id, user_id), _KEY_SECONDS)
        pipe.execute()
    except Exception:  # the person room still reaches this process's sockets; events are checked anyway
        logger.exception("chat: could not record connection %s", sid)


def forget(circle_id: int, user_id: int, sid: str) -> None:
    client = _redis()
    if client is None:
        return
    try:
        client.srem(_key(circle_id, user_id), sid)
    except Exception:
        logger.exception("chat: could not forget connection %s", sid)


def _sids(circle_id: int, user_id: int) -> set[str]:
    server = socketio.server
    sids = set()
    if server is not None:
        sids = {sid for sid, _eio in server.manager.get_participants(NAMESPACE, person_room(circle_id, user_id))}
    client = _redis()
    if client is not None:
        try:
            sids |= {s.decode() if isinstance(s, bytes) else s for s in client.smembers(_key(circle_id, user_id))}
        except Exception:
            logger.exception("chat: could not read connections of user %s", user_id)
    return sids


def regroup(circle_id: int, user_id: int, channel_ids: list[int]) -> None:
    """Once the transaction commits, `user_id`'s connections leave the rooms of the circle's channels (and their
    staff rooms) on whichever process holds them, and their pages are asked to join again (`rejoin`), which
    checks afresh what they may hear."""

    def act():
        server = socketio.server
        if server is None:
            return
        for sid in _sids(circle_id, user_id):
            try:
                for channel_id in channel_ids:
                    server.leave_room(sid, channel_room(channel_id), namespace=NAMESPACE)
                    server.leave_room(sid, staff_room(channel_id), namespace=NAMESPACE)
            except Exception:
                logger.exception("chat: could not regroup connection %s", sid)
        socketio.emit(Push.rejoin, {"circle_id": circle_id}, to=person_room(circle_id, user_id), namespace=NAMESPACE)

    after_commit(act)


def cut_off(circle_id: int, user_id: int, channel_id: int | None = None) -> None:
    """Once the transaction commits, `user_id` stops receiving the circle's chat (or, with `channel_id`, that
    channel) at once: their pages are told (`removed`), then their connections leave the channel's room, or
    are disconnected, on whichever process holds them."""

    def act():
        server = socketio.server
        if server is None:
            return
        socketio.emit(Push.removed, {"circle_id": circle_id, "channel_id": channel_id},
                      to=person_room(circle_id, user_id), namespace=NAMESPACE)
        for sid in _sids(circle_id, user_id):
            try:
                if channel_id is not None:
                    server.leave_room(sid, channel_room(channel_id), namespace=NAMESPACE)
                    server.leave_room(sid, staff_room(channel_id), namespace=NAMESPACE)
                else:
                    server.disconnect(sid, namespace=NAMESPACE)
            except Exception:
                logger.exception("chat: could not cut off connection %s", sid)

    after_commit(act)
