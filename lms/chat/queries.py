"""Reading chat: scoped look-ups (a channel through its circle, checked for the reader), the reader's
channels with unread counts, history by keyset, the first unread message, search, and messages as the
pages and pushes show them (everyone by their circle identity)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.chat.models import (PAGE_SIZE, ChannelKind, ChannelVisibility, ChatChannel, ChatChannelMember, ChatMessage,
                             ChatRead, ChatSettings, chat_enabled, is_staff)
from lms.chat.text import excerpt, plain_text, render_chat
from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus
from lms.core.collation import sort_key
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db

#: how many results one search page shows
SEARCH_PAGE = 30


@dataclass
class Reader:
    """Who reads: the user, their membership (None for an overseer), and whether they are the staff."""

    user: User
    membership: Membership | None
    staff: bool

    @property
    def id(self) -> int:
        return self.user.id


def reader_of(circle: Circle, user: User) -> Reader:
    membership = circle.membership_of(user)
    if membership is not None and not membership.is_active:
        membership = None
    return Reader(user, membership, is_staff(circle, user, membership))


# -- settings ---------------------------------------------------------------------------------

def settings_of(circle: Circle) -> ChatSettings | None:
    cache = circle.__dict__.setdefault("_chat_settings", [])
    if not cache:
        cache.append(db.session.get(ChatSettings, circle.id))
    return cache[0]


def is_enabled(circle: Circle) -> bool:
    return chat_enabled(circle, settings_of(circle))


def members_may_message_members(circle: Circle) -> bool:
    settings = settings_of(circle)
    return settings is not None and settings.members_may_message_members


# -- channels ---------------------------------------------------------------------------------

def main_channel(circle: Circle) -> ChatChannel | None:
    return db.session.scalar(sa.select(ChatChannel).where(ChatChannel.circle_id == circle.id,
                                                          ChatChannel.kind == ChannelKind.main).limit(1))


def _listed(channel_id: int, user_id: int) -> bool:
    return db.session.get(ChatChannelMember, (channel_id, user_id)) is not None


def may_read(channel: ChatChannel, reader: Reader) -> bool:
    if not is_enabled(channel.circle):
        return False
    chosen = (channel.kind == ChannelKind.channel and channel.visibility == ChannelVisibility.chosen
              and not reader.staff and _listed(channel.id, reader.id))
    return channel.can_read(reader.user, reader.membership, chosen=chosen)


def get_channel_or_404(circle: Circle, channel_id: int, user: User) -> tuple[ChatChannel, Reader]:
    """The channel of `circle` if `user` may read it (chat on, channel visible to them); 404 otherwise, so
    a channel someone may not see does not show that it exists. The circle comes from get_circle_or_404."""
    channel = db.session.scalar(sa.select(ChatChannel).where(ChatChannel.id == channel_id,
                                                             ChatChannel.circle_id == circle.id))
    if channel is None:
        abort(404)
    channel.circle = circle
    reader = reader_of(circle, user)
    if not may_read(channel, reader):
        abort(404)
    return channel, reader


def get_extra_channel_for_staff_or_404(circle: Circle, channel_id: int, user: User) -> ChatChannel:
    """An extra channel of `circle`, open or closed, for its staff (renaming, closing, reopening): 404 for an id
    of another circle, the main channel, a direct conversation or chat off, and for a member who is not staff
    and may not see the channel (closed, or for chosen members they are not among: as a stranger, so its
    existence does not show); 403 for a member who sees it but is not staff."""
    channel = db.session.scalar(sa.select(ChatChannel).where(ChatChannel.id == channel_id,
                                                             ChatChannel.circle_id == circle.id,
                                                             ChatChannel.kind == ChannelKind.channel))
    if channel is None or not is_enabled(circle):
        abort(404)
    channel.circle = circle
    reader = reader_of(circle, user)
    if not reader.staff:
        abort(403 if may_read(channel, reader) else 404)
    return channel


def closed_channels(circle: Circle) -> list[ChatChannel]:
    """The circle's closed extra channels, most recently closed first (the staff's list to reopen from)."""
    rows = list(db.session.scalars(sa.select(ChatChannel).where(
        ChatChannel.circle_id == circle.id, ChatChannel.kind == ChannelKind.channel,
        ChatChannel.archived_at.is_not(None)).order_by(ChatChannel.archived_at.desc(), ChatChannel.id.desc())))
    for channel in rows:
        channel.circle = circle
    return rows


def get_message_in_circle(circle: Circle, message_id: int) -> ChatMessage | None:
    """A message of one of `circle`'s channels (no reader check: the moderation queue checks its staff)."""
    return db.session.scalar(sa.select(ChatMessage).where(ChatMessage.id == message_id,
                                                          ChatMessage.circle_id == circle.id))


def get_message_in_channel(channel: ChatChannel, message_id) -> ChatMessage | None:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(sa.select(ChatMessage).where(ChatMessage.id == message_id,
                                                          ChatMessage.channel_id == channel.id))


def channels_for(circle: Circle, reader: Reader) -> list[ChatChannel]:
    """The channels `reader` sees in `circle`: the main channel first, then extra channels by name, then
    direct conversations (newest first). One query."""
    if not is_enabled(circle):
        return []
    listed = sa.select(ChatChannelMember.channel_id).where(ChatChannelMember.user_id == reader.id)
    visible = sa.or_(
        ChatChannel.kind == ChannelKind.main,
        sa.and_(ChatChannel.kind == ChannelKind.channel,
                sa.or_(ChatChannel.visibility == ChannelVisibility.all, sa.true() if reader.staff else sa.false(),
                       ChatChannel.id.in_(listed))),
        sa.and_(ChatChannel.kind == ChannelKind.direct, ChatChannel.id.in_(listed)),
    )
    rows = list(db.session.scalars(sa.select(ChatChannel).where(
        ChatChannel.circle_id == circle.id, ChatChannel.archived_at.is_(None), visible)))
    order = {ChannelKind.main: 0, ChannelKind.channel: 1, ChannelKind.direct: 2}
    rows.sort(key=lambda c: (order[c.kind], sort_key(c.name) if c.kind == ChannelKind.channel else "", -c.id))
    for channel in rows:
        channel.circle = circle
    return rows


def _shown_to(reader_id: int, staff: bool):
    """The SQL of ChatMessage.is_shown_to."""
    if staff:
        return sa.true()
    return sa.and_(ChatMessage.hidden_at.is_(None),
                   sa.or_(ChatMessage.held_at.is_(None), ChatMessage.author_id == reader_id))


#: unread messages are counted up to this many per channel (shown "99+"): a count never scans a long history
UNREAD_CAP = 100


def unread_counts(channel_ids: list[int], reader_id: int) -> dict[int, int]:
    """Messages by others after the reader's place in each channel, not deleted, hidden or held, counted up to
    UNREAD_CAP each. One query (a capped index range per channel)."""
    if not channel_ids:
        return {}
    parts = []
    for channel_id in channel_ids:
        read = sa.select(ChatRead.last_read_id).where(ChatRead.channel_id == channel_id,
                                                      ChatRead.user_id == reader_id).scalar_subquery()
        capped = (sa.select(ChatMessage.id)
                  .where(ChatMessage.channel_id == channel_id, ChatMessage.id > sa.func.coalesce(read, 0),
                         sa.or_(ChatMessage.author_id.is_(None), ChatMessage.author_id != reader_id),
                         ChatMessage.deleted_at.is_(None), ChatMessage.hidden_at.is_(None),
                         ChatMessage.held_at.is_(None))
                  .limit(UNREAD_CAP).subquery())
        parts.append(sa.select(sa.literal(channel_id).label("channel_id"), sa.func.count().label("n"))
                     .select_from(capped))
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return {channel_id: count for channel_id, count in db.session.execute(query) if count}


def circles_with_chat(user: User) -> list[tuple[Circle, int]]:
    """Every circle where `user` is an active member and chat is on, with its unread count (each channel's
    capped at UNREAD_CAP), by name. Two queries a circle (its channels, their counts)."""
    memberships = db.session.scalars(sa.select(Membership).where(
        Membership.user_id == user.id, Membership.status == MembershipStatus.active))
    found = []
    for membership in memberships:
        circle = membership.circle
        if circle.is_archived or not is_enabled(circle):
            continue
        ids = [c.id for c in channels_for(circle, reader_of(circle, user))]
        found.append((circle, sum(unread_counts(ids, user.id).values())))
    return sorted(found, key=lambda row: (row[0].sort_key, row[0].name))


def unread_total(user: User) -> int:
    """Unread chat messages in every circle where `user` is an active member and chat is on (the top bar's
    figure)."""
    return sum(count for _circle, count in circles_with_chat(user))


def unread_by_circle(user: User) -> dict[int, int]:
    """The same figure circle by circle (the circle header's Chat tab), circles with none left out."""
    return {circle.id: count for circle, count in circles_with_chat(user) if count}


def last_read_id(channel: ChatChannel, user_id: int) -> int:
    row = db.session.get(ChatRead, (channel.id, user_id))
    return row.last_read_id if row is not None else 0


def first_unread_id(channel: ChatChannel, reader: Reader) -> int | None:
    """The oldest message by someone else after the reader's place ("jump to first unread")."""
    return db.session.scalar(sa.select(sa.func.min(ChatMessage.id)).where(
        ChatMessage.channel_id == channel.id, ChatMessage.id > last_read_id(channel, reader.id),
        sa.or_(ChatMessage.author_id.is_(None), ChatMessage.author_id != reader.id),
        ChatMessage.deleted_at.is_(None), _shown_to(reader.id, reader.staff)))


def history(channel: ChatChannel, reader: Reader, *, before_id: int | None = None, after_id: int | None = None,
            limit: int = PAGE_SIZE) -> list[ChatMessage]:
    """One page of the channel as `reader` sees it, oldest first: the `limit` messages before `before_id`
    (scrolling back), or after `after_id` (catching up, or reading on from the first unread), or the newest.
    Keyset on the message id (one index range scan whatever the history's length)."""
    query = (sa.select(ChatMessage).where(ChatMessage.channel_id == channel.id, _shown_to(reader.id, reader.staff))
             .options(selectinload(ChatMessage.media)))
    if after_id is not None:
        query = query.where(ChatMessage.id > after_id).order_by(ChatMessage.id).limit(limit)
        return list(db.session.scalars(query))
    if before_id is not None:
        query = query.where(ChatMessage.id < before_id)
    rows = list(db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(limit)))
    rows.reverse()
    return rows


def search(channel: ChatChannel, reader: Reader, text: str, *, before_id: int | None = None) -> list[ChatMessage]:
    """Messages of the channel containing `text` (case-insensitive), newest first, SEARCH_PAGE at a time."""
    text = " ".join((text or "").split())[:100]
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = sa.select(ChatMessage).where(
        ChatMessage.channel_id == channel.id, ChatMessage.deleted_at.is_(None), _shown_to(reader.id, reader.staff),
        ChatMessage.body.ilike(pattern, escape="\\")).options(selectinload(ChatMessage.media))
    if before_id is not None:
        query = query.where(ChatMessage.id < before_id)
    return list(db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(SEARCH_PAGE)))


def around(messages: list[ChatMessage], before: int = 3, after: int = 3) -> dict[int, list[ChatMessage]]:
    """The messages around each of `messages` in its channel, oldest first, the message itself among them:
    up to `before` earlier and `after` later ones, whatever their state (the moderation queue's context, read by
    the staff, who mark hidden, held and deleted ones). One query (an index range on each side of each message),
    however many messages."""
    if not messages:
        return {}
    parts = []
    for message in messages:
        for earlier, limit in ((True, before), (False, after)):
            if limit <= 0:
                continue
            side = sa.select(ChatMessage.id).where(
                ChatMessage.channel_id == message.channel_id,
                ChatMessage.id < message.id if earlier else ChatMessage.id > message.id)
            side = side.order_by(ChatMessage.id.desc() if earlier else ChatMessage.id).limit(limit).subquery()
            parts.append(sa.select(side.c.id))
    ids = sa.union_all(*parts) if len(parts) > 1 else parts[0] if parts else None
    found = list(db.session.scalars(sa.select(ChatMessage).where(ChatMessage.id.in_(ids)))) if ids is not None else []
    by_channel: dict[int, list[ChatMessage]] = {}
    for row in [*found, *messages]:
        by_channel.setdefault(row.channel_id, []).append(row)
    result = {}
    for message in messages:
        rows = sorted({row.id: row for row in by_channel[message.channel_id]}.values(), key=lambda row: row.id)
        earlier = [row for row in rows if row.id < message.id][-before:] if before > 0 else []
        later = [row for row in rows if row.id > message.id][:after]
        result[message.id] = [*earlier, message, *later]
    return result


def pinned_message(channel: ChatChannel, reader: Reader) -> ChatMessage | None:
    if channel.pinned_message_id is None:
        return None
    message = db.session.get(ChatMessage, channel.pinned_message_id)
    if message is None or message.channel_id != channel.id or message.is_deleted \
            or not message.is_shown_to(reader.id, reader.staff):
        return None
    return message


def members_matching(circle: Circle, channel: ChatChannel, text: str, limit: int = 8,
                     reader: Reader | None = None) -> list[Membership]:
    """Active members whose circle name holds `text` anywhere (any script: "浩" finds 李浩然), for @mention
    autocomplete; for a staff reader also their real name or account name (which only the staff see: a student
    learns nothing of a classmate's real name by typing it). Limited to who can read the channel when it is not
    open to all."""
    text = " ".join((text or "").split())[:50]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    named = Membership.display_name.ilike(pattern, escape="\\")
    if reader is not None and reader.staff and text:
        named = sa.or_(named, Membership.real_name.ilike(pattern, escape="\\"), Membership.user_id.in_(
            sa.select(User.id).where(User.name.ilike(pattern, escape="\\"))))
    query = sa.select(Membership).where(Membership.circle_id == circle.id,
                                        Membership.status == MembershipStatus.active, named)
    if channel.kind == ChannelKind.direct:
        query = query.where(Membership.user_id.in_(channel.direct_user_ids()))
    elif channel.kind == ChannelKind.channel and channel.visibility == ChannelVisibility.chosen:
        listed = sa.select(ChatChannelMember.user_id).where(ChatChannelMember.channel_id == channel.id)
        query = query.where(sa.or_(Membership.user_id.in_(listed), Membership.role.in_(STAFF_ROLES)))
    return list(db.session.scalars(query.order_by(Membership.sort_key, Membership.display_name).limit(limit)))


def direct_is_open(channel: ChatChannel) -> bool:
    """A direct conversation takes new messages while one of its two people is active staff of the circle, or
    the owner lets members message each other (turning that off closes the members' conversations for writing;
    their history stays readable). Any other channel: True."""
    if channel.kind != ChannelKind.direct or members_may_message_members(channel.circle):
        return True
    return db.session.scalar(sa.select(sa.func.count()).where(
        Membership.circle_id == channel.circle_id, Membership.user_id.in_(channel.direct_user_ids()),
        Membership.status == MembershipStatus.active, Membership.role.in_(STAFF_ROLES))) > 0


def may_message_directly(circle: Circle, reader: Reader, other: Membership) -> bool:
    """A member and the staff may always message each other directly; two members only where the owner allows."""
    if reader.membership is None or not other.is_active or other.user_id == reader.id or not is_enabled(circle):
        return False
    return reader.staff or other.is_staff or members_may_message_members(circle)


def direct_partners(circle: Circle, reader: Reader) -> list[Membership]:
    """The circle's active staff but the reader, offered for a direct message (anyone else is reached from
    their messages). One query."""
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.role.in_(STAFF_ROLES), Membership.user_id != reader.id)
        .order_by(Membership.sort_key, Membership.display_name)))


def channel_member_ids(channel: ChatChannel) -> set[int]:
    return set(db.session.scalars(sa.select(ChatChannelMember.user_id).where(
        ChatChannelMember.channel_id == channel.id)))


def active_member_ids(circle: Circle) -> set[int]:
    """The user ids of the circle's active members (staff included)."""
    return set(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active)))


def staff_user_ids(circle: Circle) -> set[int]:
    """The user ids of the circle's active staff (they see every chosen-members channel)."""
    return set(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.role.in_(STAFF_ROLES))))


def learners(circle: Circle) -> list[Membership]:
    """The circle's active members who are not staff (for choosing a channel's members)."""
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.role.not_in(STAFF_ROLES)).order_by(Membership.sort_key, Membership.display_name)))


# -- how messages are shown --------------------------------------------------------------------

def people(circle_id: int, user_ids) -> dict[int, dict]:
    """Each user as everyone in the circle sees them (display name from their membership, avatar, staff or
    not); one query. Someone with no membership (an overseer) shows their account name."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.name, User.avatar_key, Membership.display_name, Membership.role, Membership.status)
        .outerjoin(Membership, sa.and_(Membership.user_id == User.id, Membership.circle_id == circle_id))
        .where(User.id.in_(ids)))
    return {row[0]: shown_person(*row) for row in rows}


def shown_person(uid, name, avatar_key, display, role, status) -> dict:
    member = display is not None
    shown = display if member else name
    return {"id": uid, "name": shown, "letter": (shown or "?")[:1].upper(),
            "avatar": path_for("accounts.avatar", user_id=uid) if avatar_key else None,
            "staff": bool(member and role in STAFF_ROLES and status == MembershipStatus.active)}


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def message_dicts(channel: ChatChannel, messages: list[ChatMessage], reader: Reader,
                  now=None) -> list[dict]:
    """The messages as the page shows them to `reader` (two queries: authors, replied-to messages)."""
    reply_ids = {m.reply_to_id for m in messages if m.reply_to_id}
    replied = {m.id: m for m in db.session.scalars(sa.select(ChatMessage).where(ChatMessage.id.in_(reply_ids)))} \
        if reply_ids else {}
    shown = people(channel.circle_id, [m.author_id for m in messages] + [m.author_id for m in replied.values()])
    now = now or utcnow()
    return [message_dict(m, shown, reader, replied.get(m.reply_to_id), channel.pinned_message_id, now)
            for m in messages]


def message_dict(message: ChatMessage, shown: dict[int, dict], reader: Reader | None, reply: ChatMessage | None,
                 pinned_id: int | None, now=None) -> dict:
    """One message as pages and pushes carry it. `reader` None: the room's copy (no per-reader flags)."""
    deleted = message.deleted_at is not None
    data = {
        "id": message.id, "channel_id": message.channel_id, "author": shown.get(message.author_id),
        "html": "" if deleted else render_chat(message.body), "text": "" if deleted else message.body,
        "plain": "" if deleted else plain_text(message.body),
        "at": iso(message.created_at), "edited": message.edited_at is not None, "deleted": deleted,
        #: a held message the staff deleted waits for nothing any more: its author reads "deleted" only
        "held": message.held_at is not None and not deleted, "hidden": message.hidden_at is not None,
        "pinned": pinned_id == message.id,
        #: why it waits ("word_list" or "first_post"): each page says it in its reader's language
        "held_reason": message.held_reason if message.held_at is not None and not deleted else None,
        "mentions": list(message.mention_ids or []) if not deleted else [],
        "reply_to": None, "media": None,
    }
    if reply is not None:
        visible = reply.hidden_at is None and reply.deleted_at is None and (
            reply.held_at is None or (reader is not None and (reader.staff or reply.author_id == reader.id)))
        data["reply_to"] = {"id": reply.id, "author": (shown.get(reply.author_id) or {}).get("name"),
                            "excerpt": excerpt(reply.body) if visible else None}
    if message.media_id is not None and not deleted:
        data["media"] = media_dict(message)
    if reader is not None:
        data["mine"] = message.author_id == reader.id
        data["editable"] = message.author_id == reader.id and message.can_edit(reader.user, now)
        data["deletable"] = not deleted and (reader.staff or data["editable"])
    return data


def media_dict(message: ChatMessage) -> dict | None:
    """The attachment's name, size, kind and state, and the chat's link to it (which checks the reader and
    hands out a URL signed for them, so the same dict can be pushed to the whole room)."""
    media = message.media
    if media is None:
        return None
    link = path_for("chat.attachment", circle_id=message.circle_id, channel_id=message.channel_id,
                   message_id=message.id)
    audio = is_sound_clip(media)
    return {"id": media.id, "name": media.filename, "bytes": media.bytes, "kind": media.kind.value,
            "state": media.state.value, "image": is_image_name(media.filename), "url": link, "audio": audio,
            "poster": link + "?rendition=poster" if media.kind.value == "video" and not audio else None}


def is_sound_clip(media) -> bool:
    """A voice clip: a clip (accepts_audio, see lms.chat.hooks.clip_created) the media pipeline found to be sound
    only and made into AAC in MP4 without a picture (no poster), played in an <audio> element."""
    return (media.kind.value == "video" and media.accepts_audio and media.state.value == "ready"
            and media.mp4_key is not None and media.poster_key is None)


#: attachments shown inline as pictures (the name decides only how it is shown; the file is served as a download
#: with its sniffed type by lms.uploads, never trusted)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


def is_image_name(name: str | None) -> bool:
    return (name or "").lower().endswith(IMAGE_SUFFIXES)
