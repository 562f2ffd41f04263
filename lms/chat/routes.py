"""Chat pages: the circle's Chat tab (its channels with unread counts), a channel (history, composer; live through
static/js/chat.js and Socket.IO /chat), history by keyset as JSON, search, attachments, the chat's settings, new
channels, direct conversations. Thin: parse, scoped lookup, check, one operation, commit."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from lms.chat import bp
from lms.chat import operations as ops
from lms.chat import queries as q
from lms.chat.events import MUTE_MINUTES, channel_list
from lms.chat.forms import VISIBILITY_LABELS, ChannelForm, MessageForm, RenameForm, SettingsForm
from lms.chat.models import CLIP_MAX_SECONDS, PAGE_SIZE, ChannelVisibility
from lms.circles.forms import ConfirmForm
from lms.circles.locks import locked_settings, refuse_change
from lms.circles.models import MembershipStatus
from lms.circles.queries import get_circle_or_404, muted_members
from lms.core.permissions import require
from lms.extensions import db

PREFIX = "/c/<int:circle_id>/chat"


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _load(circle_id: int, channel_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    channel, reader = q.get_channel_or_404(circle, channel_id, current_user)
    return circle, channel, reader


@bp.route(PREFIX)
@login_required
def index(circle_id: int):
    """The Chat tab: the main channel (made on first visit), or a word that chat is off."""
    circle = get_circle_or_404(circle_id, current_user)
    if not q.is_enabled(circle):
        return render_template("chat/off.html", circle=circle, can_edit=circle.can_edit(current_user))
    main = q.main_channel(circle)
    if main is None:
        main = ops.ensure_main_channel(circle)
        db.session.commit()
    return channel(circle.id, main.id)


@bp.route(f"{PREFIX}/<int:channel_id>")
@login_required
def channel(circle_id: int, channel_id: int):
    """A channel: the newest page (or the page around ?m=<id>, a mention's link), the reader's channels with
    their unread counts, the composer; static/js/chat.js keeps it live."""
    circle, channel, reader = _load(circle_id, channel_id)
    around = _int_arg("m")
    first_unread = q.first_unread_id(channel, reader)
    if around is not None:
        messages = q.history(channel, reader, after_id=around - 1)
    else:
        messages = q.history(channel, reader)
    pinned = q.pinned_message(channel, reader)
    data = {
        "messages": q.message_dicts(channel, messages, reader),
        "pinned": q.message_dicts(channel, [pinned], reader)[0] if pinned else None,
    }
    people = []
    if reader.membership is not None:  # whom the reader may message directly
        people = q.direct_partners(circle, reader)
    chosen = None  # a chosen-members channel: the staff see and change who is in it
    if reader.staff and channel.kind.value == "channel" and channel.visibility == ChannelVisibility.chosen:
        chosen = (q.learners(circle), q.channel_member_ids(channel))
    return render_template("chat/channel.html", circle=circle, channel=channel, reader=reader,
                           channels=channel_list(circle, reader), data=data, first_unread_id=first_unread,
                           has_older=len(messages) == PAGE_SIZE and around is None, around=around,
                           message_form=MessageForm(), confirm=ConfirmForm(), people=people,
                           mute_minutes=MUTE_MINUTES, can_edit_circle=circle.can_edit(current_user),
                           members_message=q.members_may_message_members(circle), chosen=chosen,
                           rename_form=RenameForm(data={"name": channel.name}) if reader.staff else None,
                           clip_seconds=CLIP_MAX_SECONDS,
                           muted_members=muted_members(circle) if reader.staff else [],
                           direct_closed=not q.direct_is_open(channel))


@bp.route(f"{PREFIX}/<int:channel_id>/messages")
@login_required
def messages(circle_id: int, channel_id: int):
    """History as JSON by keyset: ?before=<id> (scrolling back) or ?after=<id>; the newest page without either."""
    _circle, channel, reader = _load(circle_id, channel_id)
    rows = q.history(channel, reader, before_id=_int_arg("before"), after_id=_int_arg("after"))
    return jsonify({"messages": q.message_dicts(channel, rows, reader), "full": len(rows) == PAGE_SIZE})


@bp.route(f"{PREFIX}/<int:channel_id>/messages", methods=["POST"])
@login_required
def send(circle_id: int, channel_id: int):
    """Send a message from the page without scripts (the page with them sends over Socket.IO)."""
    _circle, channel, reader = _load(circle_id, channel_id)
    require(reader.membership is not None)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            ops.send_message(channel, reader, body=form.body.data, reply_to_id=request.form.get("reply_to") or None)
            db.session.commit()
        except ops.ChatError as error:
            db.session.rollback()
            flash(error.message, "error")
    else:
        flash(_("Write a message first."), "error")
    return redirect(url_for("chat.channel", circle_id=circle_id, channel_id=channel_id))


@bp.route(f"{PREFIX}/<int:channel_id>/m/<int:message_id>/delete", methods=["POST"])
@login_required
def delete(circle_id: int, channel_id: int, message_id: int):
    _circle, channel, reader = _load(circle_id, channel_id)
    message = q.get_message_in_channel(channel, message_id)
    if message is None or not message.is_shown_to(reader.id, reader.staff):
        abort(404)
    require(ConfirmForm().validate_on_submit() and message.can_delete(reader.user, reader.staff))
    ops.delete_own_or_any(message, reader)
    db.session.commit()
    return redirect(url_for("chat.channel", circle_id=circle_id, channel_id=channel_id))


@bp.route(f"{PREFIX}/<int:channel_id>/search")
@login_required
def search(circle_id: int, channel_id: int):
    """Messages of the channel containing the words asked for, newest first; each links to its place."""
    circle, channel, reader = _load(circle_id, channel_id)
    text = request.args.get("q", "")
    found = q.search(channel, reader, text, before_id=_int_arg("before"))
    return render_template("chat/search.html", circle=circle, channel=channel, text=text,
                           results=q.message_dicts(channel, found, reader),
                           channels=channel_list(circle, reader))


@bp.route(f"{PREFIX}/<int:channel_id>/m/<int:message_id>/attachment")
@login_required
def attachment(circle_id: int, channel_id: int, message_id: int):
    """A message's attachment: a URL signed for this reader (lms.uploads checks again when it is fetched)."""
    from lms.uploads.queries import media_urls

    _circle, channel, reader = _load(circle_id, channel_id)
    message = q.get_message_in_channel(channel, message_id)
    if message is None or message.media is None or message.is_deleted \
            or not message.is_shown_to(reader.id, reader.staff):
        abort(404)
    urls = media_urls(message.media, ("chat_message", message.id))
    wanted = request.args.get("rendition")
    target = urls.get("poster") if wanted == "poster" else (urls.get("mp4") or urls.get("download"))
    if not target:
        abort(404)
    return redirect(target)


@bp.route("/chat/unread")
@login_required
def unread():
    """The top bar's figure, and each circle's (its header's Chat tab), as JSON."""
    by_circle = q.unread_by_circle(current_user._get_current_object())
    return jsonify({"unread": sum(by_circle.values()), "circles": {str(k): v for k, v in by_circle.items()}})


@bp.route("/chat")
@login_required
def mine():
    """The person's circles with a chat, each with its unread count (the top bar's Chats link)."""
    rows = q.circles_with_chat(current_user._get_current_object())
    return render_template("chat/mine.html", rows=rows)


# -- the staff's and the owner's ------------------------------------------------------------------

@bp.route(f"{PREFIX}/settings", methods=["GET", "POST"])
@login_required
def settings(circle_id: int):
    """The owner turns chat on or off and lets members message each other."""
    circle = get_circle_or_404(circle_id, current_user)
    require(circle.can_edit(current_user))
    current = q.settings_of(circle)
    form = SettingsForm(data={"is_enabled": q.is_enabled(circle),
                              "members_may_message_members": bool(current and current.members_may_message_members)})
    locked = locked_settings(circle)
    if form.validate_on_submit() and not refuse_change(form.is_enabled, locked, "chat_enabled", q.is_enabled(circle),
                                                       bool(form.is_enabled.data)):
        ops.update_settings(circle, current_user, is_enabled=form.is_enabled.data,
                            members_may_message_members=form.members_may_message_members.data)
        db.session.commit()
        flash(_("Chat settings saved."), "success")
        return redirect(url_for("chat.settings", circle_id=circle.id))
    return render_template("chat/settings.html", circle=circle, form=form, locked=locked), (422 if form.errors else 200)


@bp.route(f"{PREFIX}/channels/new", methods=["GET", "POST"])
@login_required
def new_channel(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(q.is_enabled(circle) or abort(404))
    reader = q.reader_of(circle, current_user)
    require(reader.staff)
    form = ChannelForm()
    learners = q.learners(circle)
    form.members.choices = [SelectChoice(m.user_id, m.display_name) for m in learners]
    if form.validate_on_submit():
        try:
            channel = ops.create_channel(circle, current_user, name=form.name.data,
                                         visibility=ChannelVisibility(form.visibility.data),
                                         member_ids=form.members.data or [])
            db.session.commit()
            return redirect(url_for("chat.channel", circle_id=circle.id, channel_id=channel.id))
        except ops.ChatError as error:
            db.session.rollback()
            form.name.errors = [*form.name.errors, error.message]
    return render_template("chat/new_channel.html", circle=circle, form=form, learners=learners,
                           visibility_labels=VISIBILITY_LABELS), (422 if form.errors else 200)


@bp.route(f"{PREFIX}/<int:channel_id>/members", methods=["POST"])
@login_required
def channel_members(circle_id: int, channel_id: int):
    """Staff choose again who (besides the staff) sees a channel of chosen members; those taken off stop
    receiving it at once."""
    circle, channel, reader = _load(circle_id, channel_id)
    require(reader.staff and channel.kind.value == "channel" and channel.visibility == ChannelVisibility.chosen)
    require(ConfirmForm().validate_on_submit())
    ops.set_channel_members(channel, current_user, request.form.getlist("members"))
    db.session.commit()
    flash(_("The channel's members are saved."), "success")
    return redirect(url_for("chat.channel", circle_id=circle.id, channel_id=channel.id))


@bp.route(f"{PREFIX}/<int:channel_id>/rename", methods=["POST"])
@login_required
def rename(circle_id: int, channel_id: int):
    """Staff rename an extra channel (audited); its open pages show the new name."""
    circle = get_circle_or_404(circle_id, current_user)
    channel = q.get_extra_channel_for_staff_or_404(circle, channel_id, current_user)
    require(channel.archived_at is None or abort(404))
    form = RenameForm()
    if form.validate_on_submit():
        try:
            ops.rename_channel(channel, current_user, form.name.data)
            db.session.commit()
            flash(_("The channel is renamed."), "success")
        except ops.ChatError as error:
            db.session.rollback()
            flash(error.message, "error")
    else:
        flash(" ".join(form.name.errors) or _("Name the channel."), "error")
    return redirect(url_for("chat.channel", circle_id=circle.id, channel_id=channel.id))


@bp.route(f"{PREFIX}/<int:channel_id>/archive", methods=["POST"])
@login_required
def archive(circle_id: int, channel_id: int):
    """Staff close an extra channel (audited): it leaves every list, its history is kept, it can be reopened."""
    circle = get_circle_or_404(circle_id, current_user)
    channel = q.get_extra_channel_for_staff_or_404(circle, channel_id, current_user)
    require(ConfirmForm().validate_on_submit())
    ops.archive_channel(channel, current_user)
    db.session.commit()
    flash(_("The channel is closed. Its messages are kept."), "success")
    return redirect(url_for("chat.index", circle_id=circle.id))


@bp.route(f"{PREFIX}/channels/closed")
@login_required
def closed(circle_id: int):
    """The staff's list of closed channels, each with a button to reopen it."""
    circle = get_circle_or_404(circle_id, current_user)
    if not q.is_enabled(circle):
        abort(404)
    reader = q.reader_of(circle, current_user)
    require(reader.staff)
    return render_template("chat/closed.html", circle=circle, closed=q.closed_channels(circle),
                           channels=channel_list(circle, reader), confirm=ConfirmForm())


@bp.route(f"{PREFIX}/<int:channel_id>/reopen", methods=["POST"])
@login_required
def reopen(circle_id: int, channel_id: int):
    """Staff reopen a closed channel (audited), with its history and its members as they were."""
    circle = get_circle_or_404(circle_id, current_user)
    channel = q.get_extra_channel_for_staff_or_404(circle, channel_id, current_user)
    require(ConfirmForm().validate_on_submit())
    ops.reopen_channel(channel, current_user)
    db.session.commit()
    flash(_("The channel is open again."), "success")
    return redirect(url_for("chat.channel", circle_id=circle.id, channel_id=channel.id))


@bp.route(f"{PREFIX}/direct/<int:user_id>", methods=["POST"])
@login_required
def direct(circle_id: int, user_id: int):
    """Open (or go back to) the direct conversation with a member (by their user id, as messages carry it)."""
    from lms.accounts.models import User

    circle = get_circle_or_404(circle_id, current_user)
    if not q.is_enabled(circle):
        abort(404)
    user = db.session.get(User, user_id)
    other = circle.membership_of(user) if user is not None else None
    if other is None or other.status != MembershipStatus.active:
        abort(404)
    require(q.may_message_directly(circle, q.reader_of(circle, current_user), other))
    require(ConfirmForm().validate_on_submit())
    channel = ops.open_direct(circle, current_user, other)
    db.session.commit()
    return redirect(url_for("chat.channel", circle_id=circle.id, channel_id=channel.id))
