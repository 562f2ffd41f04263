"""What chat registers with lower packages: the circles' departure hook (a member who leaves or is removed stops
receiving the chat at once), the upload purpose "chat" (an attachment for a channel) and the media subject
"chat_message" (who may fetch an attachment), and the notification kinds (imported, so they are registered)."""
from __future__ import annotations

from flask import Flask
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from lms.accounts.models import User
from lms.chat import notifications  # noqa: F401  (registers the kinds)
from lms.chat import pushes
from lms.chat import queries as q
from lms.chat.models import ChatChannel, ChatMessage
from lms.circles.models import Circle, Membership
from lms.extensions import db


def register(app: Flask) -> None:
    from lms.circles.departures import register_departure, register_role_change
    from lms.core.realtime import register_user_rooms
    from lms.uploads.access import register_subject, register_upload_purpose

    register_departure(app, "chat", member_left)
    register_role_change(app, "chat", member_regrouped)
    register_upload_purpose(app, "chat", may_upload_for_channel, on_created=clip_created)
    register_user_rooms(app, "chat", activity_rooms_of)
    register_subject(app, "chat_message", can_fetch_attachment)
    app.add_template_global(chat_html, "chat_html")
    app.add_template_global(chat_time, "chat_time")
    app.add_template_global(chat_day, "chat_day")


def member_left(membership: Membership) -> None:
    """A member was removed or left: once this commits, their chat connections in the circle close, and every
    page of theirs leaves the circle's chat activity room (no more "there is new chat" signals), on every
    process."""
    from lms.core.realtime import leave_rooms

    pushes.cut_off(membership.circle_id, membership.user_id)
    leave_rooms(membership.user_id, [pushes.activity_room(membership.circle_id)])


def member_regrouped(membership: Membership) -> None:
    """A member became staff or stopped being staff: once this commits, their chat connections leave every room
    of the circle and their pages join again (checked afresh: staff rooms, chosen channels)."""
    import sqlalchemy as sa

    ids = list(db.session.scalars(sa.select(ChatChannel.id).where(ChatChannel.circle_id == membership.circle_id)))
    pushes.regroup(membership.circle_id, membership.user_id, ids)


def may_upload_for_channel(user: User, channel_id: int) -> int | None:
    """An attachment for channel `channel_id`: the circle, if `user` may write there."""
    from lms.circles.queries import get_circle_or_404

    channel = db.session.get(ChatChannel, channel_id)
    if channel is None:
        return None
    try:
        circle = get_circle_or_404(channel.circle_id, user)
        channel, reader = q.get_channel_or_404(circle, channel.id, user)
    except HTTPException:
        return None
    return circle.id if reader.membership is not None else None


def activity_rooms_of(user: User) -> list[str]:
    """Every page of `user` hears of new chat in the circles they are an active member of (one query)."""
    import sqlalchemy as sa

    from lms.circles.models import MembershipStatus

    ids = db.session.scalars(sa.select(Membership.circle_id).where(Membership.user_id == user.id,
                                                                   Membership.status == MembershipStatus.active))
    return [pushes.activity_room(circle_id) for circle_id in ids]


def clip_created(user: User, channel_id: int, media) -> None:
    """A clip for a message may be a voice clip: the media pipeline takes a sound-only file too (m4a, mp3, ogg,
    a browser's WebM/Opus recording) and makes it AAC in MP4 for an <audio> element."""
    from lms.uploads.models import MediaKind

    if media.kind == MediaKind.video:
        media.accepts_audio = True


def can_fetch_attachment(viewer: User, message_id: int | None, media, rendition) -> bool:
    """The media checker of subject "chat_message": the media must be the message's attachment and the viewer
    must see the message now (in a channel they read, not deleted or hidden, held ones its author and staff)."""
    message = db.session.get(ChatMessage, message_id) if message_id is not None else None
    if message is None or message.media_id != media.id or message.deleted_at is not None:
        return False
    circle = db.session.get(Circle, message.circle_id)
    if circle is None or not circle.can_view(viewer):
        return False
    channel = message.channel
    channel.circle = circle
    reader = q.reader_of(circle, viewer)
    return q.may_read(channel, reader) and message.is_shown_to(reader.id, reader.staff)



def chat_html(text: str) -> Markup:
    """A message's text as HTML: chat's Markdown-lite rendered and sanitized by nh3 (lms.chat.text.render_chat);
    only that sanitized result is marked safe, never what people typed."""
    from lms.chat.text import render_chat

    return Markup(render_chat(text or ""))


#: how the chat writes a time, by what it is for; static/js/chat.js's `when` writes the same with Intl
#: (timeStyle / dateStyle of the same names), so a message that arrives live reads like those on the page:
#: "time" a message in the channel (its day is said by the day line above the day's first message), "day"
#: that day line, "datetime" a time with its date (search results, until when a member is muted)
CHAT_TIME_FORMATS = ("time", "day", "datetime")


def chat_time(at: str | None, kind: str = "time") -> str:
    """A chat time (ISO 8601, UTC) in the viewer's zone and language (the page's one zone, <meta name="time-zone">),
    written as CHAT_TIME_FORMATS say."""
    from datetime import datetime

    from flask_babel import format_date, format_time

    from lms.core.i18n import local_datetime

    if not at:
        return ""
    moment = datetime.fromisoformat(at)
    if kind == "day":
        return format_date(moment, "full")
    if kind == "datetime":
        return local_datetime(moment, "short")
    return format_time(moment, "short")


def chat_day(at: str | None) -> str:
    """The day of a chat time in the viewer's zone ("2026-12-01"): where the day lines go."""
    from datetime import datetime

    from flask_babel import to_user_timezone

    return to_user_timezone(datetime.fromisoformat(at)).date().isoformat() if at else ""
