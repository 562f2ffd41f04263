"""What chat tells people through the notification service: an @mention."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.chat.models import ChannelKind, ChatChannel, ChatMessage
from lms.chat.text import excerpt
from lms.core.urls import path_for
from lms.notifications import Kind, notify, register_kind

#: what a notification is about (mark_read_about / forget_about)
SUBJECT = "chat_message"

CHAT_MENTION = register_kind(Kind(
    "chat_mention", label=_l("Someone mentions me in a circle's chat"),
    message=_l("%(actor)s mentioned you in the chat of %(circle)s: “%(excerpt)s”")))


def mentioned(channel: ChatChannel, message: ChatMessage) -> None:
    """Tell the members the message @mentions (checked when it was sent), once per message (a message held
    after an edit and approved does not tell them again); leaves after the commit."""
    ids = [i for i in (message.mention_ids or []) if i != message.author_id]
    if not ids:
        return
    from lms.chat import queries as q

    author = q.people(channel.circle_id, [message.author_id]).get(message.author_id) or {}
    notify(CHAT_MENTION, ids,
           url=path_for("chat.channel", circle_id=channel.circle_id, channel_id=channel.id, m=message.id),
           params={"actor": author.get("name", ""), "circle": channel.circle.name, "excerpt": excerpt(message.body),
                   "channel": channel.name if channel.kind == ChannelKind.channel else ""},
           circle_id=channel.circle_id, subject=(SUBJECT, message.id), actor_id=message.author_id,
           dedupe_key=f"chat-mention-{message.id}")
