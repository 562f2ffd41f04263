"""Every state change of chat: settings, channels and direct conversations, messages (send, edit, delete,
pin; hide, unhide, delete and approve for moderation), mute all, slow mode, read places. Operations flush,
never commit; each pushes its change to the channel's Socket.IO room once the transaction commits."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.exceptions import HTTPException

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.chat import notifications, pushes
from lms.chat import queries as q
from lms.chat.models import (EDIT_WINDOW, MESSAGE_MAX, SLOW_MODE_MAX, ChannelKind, ChannelVisibility, ChatChannel,
                             ChatChannelMember, ChatMessage, ChatRead, ChatSettings, direct_key)
from lms.chat.queries import Reader
from lms.chat.text import clean_body
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.i18n import local_datetime
from lms.core.inputs import TextRejected, clean_line
from lms.core.types import utcnow
from lms.extensions import db
from lms.moderation import policy

#: the longest channel name
NAME_MAX = 80


class ChatError(Exception):
    """A refusal the person sees (translated)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


# -- settings and channels -----------------------------------------------------------------------

def update_settings(circle: Circle, actor: User, *, is_enabled: bool,
                    members_may_message_members: bool) -> ChatSettings:
    """The owner (whoever may edit the circle) turns the circle's chat on or off and lets members message each
    other directly or not. Raises ChatError for anyone else."""
    if not circle.can_edit(actor):
        raise ChatError(_l("Only the circle's owner can change the chat's settings."))
    settings = q.settings_of(circle)
    if settings is None:
        settings = ChatSettings(circle_id=circle.id)
        db.session.add(settings)
    settings.is_enabled = bool(is_enabled)
    settings.members_may_message_members = bool(members_may_message_members)
    circle.__dict__.pop("_chat_settings", None)
    db.session.flush()
    if settings.is_enabled:
        ensure_main_channel(circle)
    return settings


def ensure_main_channel(circle: Circle) -> ChatChannel:
    """The circle's main channel, made on first use."""
    channel = q.main_channel(circle)
    if channel is None:
        channel = ChatChannel(circle_id=circle.id, kind=ChannelKind.main, name="")
        db.session.add(channel)
        db.session.flush()
    channel.circle = circle
    return channel


def _clean_name(name) -> str:
    try:
        return clean_line(name if isinstance(name, str) else "", max_length=NAME_MAX)
    except TextRejected as error:
        raise ChatError(str(error)) from None


def _active_user_ids(circle: Circle, user_ids) -> set[int]:
    ids = {int(i) for i in user_ids or () if str(i).isdigit()}
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.user_id.in_(ids))))


def create_channel(circle: Circle, actor: User, *, name, visibility: ChannelVisibility = ChannelVisibility.all,
                   member_ids=()) -> ChatChannel:
    """Staff open an extra channel ("Q&A", "Group 2") for every member, or for the members they choose (the
    staff always see it). Raises ChatError for a non-staff actor or a bad name."""
    reader = q.reader_of(circle, actor)
    if not reader.staff:
        raise ChatError(_l("Only the circle's staff can open channels."))
    channel = ChatChannel(circle_id=circle.id, kind=ChannelKind.channel, name=_clean_name(name),
                          visibility=ChannelVisibility(visibility), created_by_id=actor.id)
    db.session.add(channel)
    db.session.flush()
    channel.circle = circle
    if channel.visibility == ChannelVisibility.chosen:
        set_channel_members(channel, actor, member_ids)
    else:
        _announce(channel, q.active_member_ids(circle) - {actor.id})
    return channel


def _announce(channel: ChatChannel, user_ids) -> None:
    """After the commit, the open chat pages of `user_ids` join again: the new channel appears in their list and
    they hear it at once (no reload)."""
    for user_id in user_ids:
        pushes.regroup(channel.circle_id, user_id, [])


def set_channel_members(channel: ChatChannel, actor: User, member_ids) -> None:
    """Staff choose who (besides the staff) sees a chosen-members channel. People taken off stop receiving it
    at their next event; their pages are told at once."""
    if channel.kind != ChannelKind.channel or not q.reader_of(channel.circle, actor).staff:
        raise ChatError(_l("Only the circle's staff can choose a channel's members."))
    wanted = _active_user_ids(channel.circle, member_ids)
    current = set(db.session.scalars(sa.select(ChatChannelMember.user_id).where(
        ChatChannelMember.channel_id == channel.id)))
    for user_id in wanted - current:
        db.session.add(ChatChannelMember(channel_id=channel.id, user_id=user_id))
    _announce(channel, wanted - current)
    gone = current - wanted
    if gone:
        db.session.execute(sa.delete(ChatChannelMember).where(ChatChannelMember.channel_id == channel.id,
                                                              ChatChannelMember.user_id.in_(gone)))
        for user_id in gone:
            pushes.cut_off(channel.circle_id, user_id, channel_id=channel.id)
    db.session.flush()


def _require_channel_staff(channel: ChatChannel, actor: User, refusal) -> None:
    if channel.kind != ChannelKind.channel or not q.reader_of(channel.circle, actor).staff:
        raise ChatError(refusal)


def rename_channel(channel: ChatChannel, actor: User, name) -> None:
    """Staff rename an extra channel; its open pages show the new name at once. Audited. Raises ChatError for
    anyone else, the main channel or a direct conversation, or a bad name."""
    _require_channel_staff(channel, actor, _l("Only the circle's staff can rename channels."))
    before, after = channel.name, _clean_name(name)
    if after == before:
        return
    channel.name = after
    db.session.flush()
    record_event(AuditAction.chat_channel_renamed, actor, target=channel, circle_id=channel.circle_id,
                 details={"from": before, "to": after}, target_label=after)
    pushes.channel_renamed(channel)


def archive_channel(channel: ChatChannel, actor: User) -> None:
    """Staff close an extra channel: it leaves every list and its open pages are told; its history is kept and
    the staff can reopen it (reopen_channel). Audited. Raises ChatError for anyone else."""
    _require_channel_staff(channel, actor, _l("Only the circle's staff can close channels."))
    if channel.archived_at is not None:
        return
    channel.archived_at = utcnow()
    db.session.flush()
    record_event(AuditAction.chat_channel_closed, actor, target=channel, circle_id=channel.circle_id,
                 target_label=channel.name)
    pushes.channel_closed(channel)


def reopen_channel(channel: ChatChannel, actor: User) -> None:
    """Staff reopen a closed extra channel: it is back in the lists of those who may see it (as it was: for
    all, or for the members chosen), with its history. Audited. Raises ChatError for anyone else."""
    _require_channel_staff(channel, actor, _l("Only the circle's staff can reopen channels."))
    if channel.archived_at is None:
        return
    channel.archived_at = None
    db.session.flush()
    record_event(AuditAction.chat_channel_reopened, actor, target=channel, circle_id=channel.circle_id,
                 target_label=channel.name)


def open_direct(circle: Circle, actor: User, other: Membership) -> ChatChannel:
    """The direct conversation of `actor` and `other` in `circle` (made on first use). Between a member and the
    staff always; between two members only when the owner allows it. Raises ChatError otherwise."""
    me = q.reader_of(circle, actor)
    if me.membership is None:
        raise ChatError(_l("Only members can send direct messages."))
    if other.circle_id != circle.id or not other.is_active or other.user_id == actor.id:
        raise ChatError(_l("This person was not found."))
    if not (me.staff or other.is_staff or q.members_may_message_members(circle)):
        raise ChatError(_l("In this circle, direct messages go to the staff only."))
    key = direct_key(actor.id, other.user_id)
    channel = db.session.scalar(sa.select(ChatChannel).where(ChatChannel.circle_id == circle.id,
                                                             ChatChannel.direct_key == key))
    if channel is None:
        channel = ChatChannel(circle_id=circle.id, kind=ChannelKind.direct, direct_key=key, created_by_id=actor.id)
        db.session.add(channel)
        db.session.flush()
        db.session.add_all([ChatChannelMember(channel_id=channel.id, user_id=actor.id),
                            ChatChannelMember(channel_id=channel.id, user_id=other.user_id)])
        db.session.flush()
    channel.circle = circle
    return channel


# -- writing -------------------------------------------------------------------------------------

def _check_may_send(channel: ChatChannel, reader: Reader, now: datetime) -> None:
    if reader.membership is None:
        raise ChatError(_l("Only members can write here."))
    if not q.direct_is_open(channel):
        raise ChatError(_l("In this circle, direct messages go to the staff only."))
    if reader.staff:
        return
    if reader.membership.is_muted(now):
        raise ChatError(_("You are muted in this circle until %(at)s.",
                          at=local_datetime(reader.membership.muted_until, "short")))
    if channel.is_all_muted:
        raise ChatError(_l("Only the staff can write here for now."))
    if channel.slow_mode_seconds:
        last = db.session.scalar(sa.select(sa.func.max(ChatMessage.created_at)).where(
            ChatMessage.channel_id == channel.id, ChatMessage.author_id == reader.id))
        if last is not None and last > now - timedelta(seconds=channel.slow_mode_seconds):
            wait = int((last + timedelta(seconds=channel.slow_mode_seconds) - now).total_seconds() + 0.999)
            raise ChatError(ngettext("Slow mode is on: wait %(num)d more second.",
                                     "Slow mode is on: wait %(num)d more seconds.", wait))


def _check_rate(channel: ChatChannel, reader: Reader) -> None:
    try:
        policy.count_write(channel.circle, reader.user, policy.WriteAction.chat)
    except HTTPException as error:
        raise ChatError(error.description) from None


def _clean_text(body) -> str:
    text = clean_body(body if isinstance(body, str) else "")
    if len(text) > MESSAGE_MAX:
        raise ChatError(ngettext("A message has at most %(num)d character.",
                                 "A message has at most %(num)d characters.", MESSAGE_MAX))
    return text


#: the most members one message mentions (and notifies)
MENTIONS_MAX = 20


def _mentions(channel: ChatChannel, author_id: int, text: str, mention_ids) -> list[int]:
    """The ids of mentioned members who can read the channel and whose "@name" (their circle name) is in the
    text: picked from the list (`mention_ids`), or typed out in full without picking. Two queries."""
    if "@" not in text:
        return []
    ids = sorted({int(i) for i in mention_ids or () if str(i).isdigit()})[:MENTIONS_MAX * 2]
    picked = Membership.user_id.in_(ids) if ids else sa.false()
    # a name typed out: the text holds "@" + the member's circle name (SQL LIKE, then checked exactly below)
    typed = sa.literal(text).contains(sa.literal("@") + Membership.display_name, autoescape=False)
    found = []
    for membership in db.session.scalars(sa.select(Membership).where(
            Membership.circle_id == channel.circle_id, Membership.status == MembershipStatus.active,
            Membership.user_id != author_id, sa.or_(picked, typed)).limit(MENTIONS_MAX * 2)):
        if f"@{membership.display_name}" in text and q.may_read(channel, q.reader_of(channel.circle, membership.user)):
            found.append(membership.user_id)
    return sorted(found)[:MENTIONS_MAX]


def _attachment(reader: Reader, media_id):
    if media_id in (None, ""):
        return None
    from lms.uploads.models import Media, MediaState

    try:
        media = db.session.get(Media, int(media_id))
    except (TypeError, ValueError):
        media = None
    if media is None or media.owner_id != reader.id or media.state == MediaState.failed:
        raise ChatError(_l("That attachment cannot be used. Upload it again, or choose another."))
    if media.state != MediaState.ready:  # readers would get a clip without its poster, or nothing to open
        raise ChatError(_l("The attachment is still being processed. Send it once it is ready."))
    return media


def send_message(channel: ChatChannel, reader: Reader, *, body, reply_to_id=None, media_id=None, mention_ids=(),
                 now: datetime | None = None) -> ChatMessage:
    """`reader` writes in `channel`: Markdown-lite text up to MESSAGE_MAX characters and/or an attachment
    (their own upload), maybe a reply to a message of the channel, maybe @mentioning members (notified).

    Refused (ChatError) for a non-member, a muted member, a channel where only staff write, within slow mode,
    over the chat's rate (lms.moderation.policy.count_write), for text the circle refuses (policy.screen:
    links where none are allowed). Text the circle holds (its word list) is stored held: seen by its author and
    the staff until approved, and put in the review queue. Staff are held back by none of these but length."""
    now = now or utcnow()
    _check_may_send(channel, reader, now)
    text = _clean_text(body)
    media = _attachment(reader, media_id)
    if not text and media is None:
        raise ChatError(_l("Write a message first."))
    screening = policy.screen(channel.circle, reader.membership, text) if text else policy.PASS
    if screening.refused:
        raise ChatError(screening.refused)
    reply = q.get_message_in_channel(channel, reply_to_id) if reply_to_id not in (None, "") else None
    if reply_to_id not in (None, "") and (reply is None or not reply.is_shown_to(reader.id, reader.staff)):
        raise ChatError(_l("The message you reply to was not found."))
    if not reader.staff:  # counted once every check passed: a refused message uses none of the member's rate
        _check_rate(channel, reader)
    message = ChatMessage(channel_id=channel.id, circle_id=channel.circle_id, author_id=reader.id, body=text,
                          reply_to_id=reply.id if reply else None, media_id=media.id if media else None,
                          mention_ids=_mentions(channel, reader.id, text, mention_ids) or None, created_at=now)
    if screening.held:
        message.held_at, message.held_reason = now, screening.reason
    db.session.add(message)
    db.session.flush()
    if media is not None:
        message.media = media
    _mark_read(channel, reader.id, message.id, now)
    if screening.held:
        policy.record_hold(channel.circle, "chat_message", message.id, reader.id, screening, text)
    else:
        notifications.mentioned(channel, message)
        pushes.activity(channel)
    pushes.message_added(channel, message, reply)
    return message


def edit_message(message: ChatMessage, reader: Reader, *, body, now: datetime | None = None) -> ChatMessage:
    """The author changes their message's text within EDIT_WINDOW of sending it (shown "edited"). Screened again
    like a new message. Raises ChatError after the window, for someone else's message, or for refused text."""
    now = now or utcnow()
    channel = message.channel
    if not message.can_edit(reader.user, now):
        raise ChatError(_window_message(edit=True) if message.author_id == reader.id
                        else _l("You can edit only your own messages."))
    if reader.membership is not None and reader.membership.is_muted(now) and not reader.staff:
        raise ChatError(_l("You are muted in this circle and cannot write here for now."))
    if not q.direct_is_open(channel):
        raise ChatError(_l("In this circle, direct messages go to the staff only."))
    text = _clean_text(body)
    if not text and message.media_id is None:
        raise ChatError(_l("Write a message first."))
    screening = policy.screen(channel.circle, reader.membership, text) if text else policy.PASS
    if screening.refused:
        raise ChatError(screening.refused)
    message.body = text
    message.edited_at = now
    was_held = message.held_at is not None
    if screening.held and not was_held:
        message.held_at, message.held_reason = now, screening.reason
    db.session.flush()
    if screening.held and not was_held:
        policy.record_hold(channel.circle, "chat_message", message.id, reader.id, screening, text)
        pushes.message_removed(channel, message, keep_for_staff=True)
    pushes.message_changed(channel, message)
    return message


def _window_message(edit: bool) -> str:
    minutes = int(EDIT_WINDOW.total_seconds() // 60)
    if edit:
        return ngettext("You can edit your messages only for %(num)d minute after sending them.",
                        "You can edit your messages only for %(num)d minutes after sending them.", minutes)
    return ngettext("You can delete your messages only for %(num)d minute after sending them.",
                    "You can delete your messages only for %(num)d minutes after sending them.", minutes)


def _unpin(channel: ChatChannel, message: ChatMessage) -> None:
    if channel.pinned_message_id == message.id:
        channel.pinned_message_id = None
        pushes.pinned(channel, None)


def delete_own_or_any(message: ChatMessage, reader: Reader, now: datetime | None = None) -> ChatMessage:
    """The author deletes their message within EDIT_WINDOW, or the staff delete any message at any time; it
    shows as "deleted" (its text and attachment gone) on every open page at once."""
    now = now or utcnow()
    if not message.can_delete(reader.user, reader.staff, now):
        raise ChatError(_window_message(edit=False) if message.author_id == reader.id
                        else _l("You can delete only your own messages."))
    _delete(message, reader.user, now)
    return message


def _delete(message: ChatMessage, actor: User, now: datetime) -> None:
    message.deleted_at, message.deleted_by_id = now, actor.id
    db.session.flush()
    _unpin(message.channel, message)
    pushes.message_changed(message.channel, message)


def _require_staff(message: ChatMessage, actor: User) -> None:
    if not q.reader_of(message.channel.circle, actor).staff:
        raise ChatError(_l("Only the circle's staff can do that."))


def delete_message(message: ChatMessage, *, actor: User, reason: str = "") -> None:
    """Moderation: the staff delete a message (any age); it shows as "deleted" on every open page at once.
    The reason is the caller's to record (lms.moderation). Raises ChatError for a non-staff actor."""
    _require_staff(message, actor)
    if message.deleted_at is None:
        _delete(message, actor, utcnow())


def hide_message(message: ChatMessage, *, actor: User, reason: str = "") -> None:
    """Moderation: hide a message; it disappears from the members' open pages at once (the staff still see it,
    marked hidden, and can show it again; the queue shows it)."""
    _require_staff(message, actor)
    if message.hidden_at is not None:
        return
    message.hidden_at, message.hidden_by_id = utcnow(), actor.id
    db.session.flush()
    _unpin(message.channel, message)
    pushes.message_hidden(message.channel, message)


def unhide_message(message: ChatMessage, *, actor: User, reason: str = "") -> None:
    """Moderation: show a hidden message again; it reappears on open pages (held ones to author and staff)."""
    _require_staff(message, actor)
    if message.hidden_at is None:
        return
    message.hidden_at = message.hidden_by_id = None
    db.session.flush()
    pushes.message_added(message.channel, message, None)  # the staff's marked copy is replaced


def approve_message(message: ChatMessage, *, actor: User) -> None:
    """Moderation: a held message is approved; it appears on every open page and its mentions are told."""
    _require_staff(message, actor)
    if message.held_at is None:
        return
    message.held_at = None
    message.held_reason = None
    db.session.flush()
    notifications.mentioned(message.channel, message)
    pushes.message_added(message.channel, message, None)
    pushes.activity(message.channel)


def pin_message(channel: ChatChannel, reader: Reader, message: ChatMessage | None) -> None:
    """Staff pin one message above the channel (the one pinned before is unpinned), or unpin (None)."""
    if not reader.staff:
        raise ChatError(_l("Only the circle's staff can pin messages."))
    if message is not None and (message.channel_id != channel.id or message.is_deleted or message.is_hidden
                                or message.is_held):
        raise ChatError(_l("This message was not found."))
    channel.pinned_message_id = message.id if message is not None else None
    db.session.flush()
    pushes.pinned(channel, message)


def set_all_muted(channel: ChatChannel, reader: Reader, on: bool) -> None:
    """Staff let only the staff write in the channel (e.g. during a lesson), or open it again."""
    if not reader.staff:
        raise ChatError(_l("Only the circle's staff can do that."))
    channel.is_all_muted = bool(on)
    db.session.flush()
    pushes.settings(channel)


def set_slow_mode(channel: ChatChannel, reader: Reader, seconds) -> None:
    """Staff let each member send one message every `seconds` in the channel (0 turns it off)."""
    if not reader.staff:
        raise ChatError(_l("Only the circle's staff can do that."))
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= SLOW_MODE_MAX:
        raise ChatError(_l("Slow mode takes 0 to %(max)d seconds.", max=SLOW_MODE_MAX))
    channel.slow_mode_seconds = seconds
    db.session.flush()
    pushes.settings(channel)


# -- reading -------------------------------------------------------------------------------------

def _mark_read(channel: ChatChannel, user_id: int, message_id: int, now: datetime) -> None:
    row = db.session.get(ChatRead, (channel.id, user_id))
    if row is None:
        db.session.add(ChatRead(channel_id=channel.id, user_id=user_id, last_read_id=message_id, read_at=now))
    elif message_id > row.last_read_id:
        row.last_read_id, row.read_at = message_id, now
    db.session.flush()


def mark_read(channel: ChatChannel, reader: Reader, last_id, now: datetime | None = None) -> int:
    """The reader has seen the channel up to message `last_id` (never moves back; capped at the newest
    message). Returns their place."""
    try:
        last_id = int(last_id)
    except (TypeError, ValueError):
        raise ChatError(_l("This request was not understood.")) from None
    newest = db.session.scalar(sa.select(sa.func.max(ChatMessage.id)).where(ChatMessage.channel_id == channel.id)) or 0
    _mark_read(channel, reader.id, max(0, min(last_id, newest)), now or utcnow())
    return q.last_read_id(channel, reader.id)
