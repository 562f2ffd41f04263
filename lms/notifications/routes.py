"""The notifications page, the preferences and the signed unsubscribe link."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature

from lms.accounts.models import User
from lms.core.i18n import select_timezone
from lms.core.urls import is_local_path
from lms.extensions import csrf, db
from lms.notifications import bp
from lms.notifications import operations as ops
from lms.notifications import queries as q
from lms.notifications.forms import SettingsForm, channel_choices
from lms.notifications.kinds import Channel, find_kind, is_staff_somewhere, registered_kinds
from lms.notifications.mail import DIGEST, read_unsubscribe_token
from lms.notifications.messages import format_message


@bp.app_template_global()
def notifications_unread() -> int:
    """The signed-in person's unread count for the top bar's bell (read with the session: no query)."""
    if not current_user.is_authenticated:
        return 0
    return q.unread_count(current_user)


@bp.route("/notifications")
@login_required
def index():
    before = request.args.get("before", type=int)
    items, next_before = q.notifications_page(current_user, before, q.PAGE_SIZE)
    shown = [(n, format_message(n.kind, n.params)) for n in items]
    return render_template("notifications/index.html", shown=shown, next_before=next_before, before=before)


@bp.route("/notifications/unread")
@login_required
def unread():
    """The unread count as JSON, for the bell after a reconnect (pushes may have been missed)."""
    return jsonify(unread=q.unread_count(current_user))


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int):
    """Opening a notification marks it read and leads to what it is about."""
    notification = q.get_notification_or_404(current_user, notification_id)
    ops.mark_read(notification)
    db.session.commit()
    return redirect(notification.url if is_local_path(notification.url) else url_for("notifications.index"))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    notification = q.get_notification_or_404(current_user, notification_id)
    ops.mark_read(notification)
    db.session.commit()
    return redirect(request.form.get("next") if is_local_path(request.form.get("next"))
                    else url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    ops.mark_all_read(current_user)
    db.session.commit()
    flash(_("Every notification is marked read."), "success")
    return redirect(url_for("notifications.index"))


def _shown_kinds(user: User):
    teaches = is_staff_somewhere(user)
    return [kind for kind in registered_kinds() if teaches or not kind.staff_only]


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    settings = ops.settings_of(current_user)
    form = SettingsForm(data={"digest_hour": str(settings.digest_hour),
                              "quiet_start": "" if settings.quiet_start is None else str(settings.quiet_start),
                              "quiet_end": "" if settings.quiet_end is None else str(settings.quiet_end)})
    kinds = _shown_kinds(current_user)
    current = ops.channels_of(current_user, kinds)
    if form.validate_on_submit():
        chosen = {}
        for kind in kinds:
            value = request.form.get(f"kind-{kind.name}")
            if value not in {str(c) for c in Channel}:
                abort(400)
            chosen[kind] = Channel(value)
        for kind, channel in chosen.items():
            if channel != current[kind.name]:
                ops.set_preference(current_user, kind, channel)
        ops.save_settings(current_user, int(form.digest_hour.data), form.hour(form.quiet_start.data),
                          form.hour(form.quiet_end.data), timezone=select_timezone())
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    # the zone the hours are counted in, named on the page: the profile's, else the one they were saved in
    # (the browser's then), else this page's (saving keeps it)
    mail_zone = current_user.timezone or settings.timezone or select_timezone()
    # saving keeps the hours with this page's zone (as a check-in reminder keeps its time): named when it
    # is not the one they are counted in now
    return render_template("notifications/preferences.html", form=form, kinds=kinds, current=current,
                           channels=channel_choices(), mail_zone=mail_zone, save_zone=select_timezone())


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click"; the signed token is the proof
def unsubscribe(token: str):
    """A mail's unsubscribe link: GET asks (link scanners open links), POST turns the kind's mail off (the
    page's button, or the mail program's one-click POST). A wrong signature is 404."""
    try:
        user_id, kind_name = read_unsubscribe_token(token)
    except BadSignature:
        abort(404)
    user = db.session.get(User, user_id)
    # one kind, or several (a mail listing notifications of several kinds): "a,b"
    kinds = [find_kind(name) for name in kind_name.split(",")] if kind_name != DIGEST else []
    if user is None or None in kinds:
        abort(404)
    label = ", ".join(str(kind.label) for kind in kinds)
    if request.method == "POST":
        if not kinds:
            ops.stop_digest(user)
        for kind in kinds:
            ops.set_preference(user, kind, Channel.off)
        db.session.commit()
        return render_template("notifications/unsubscribed.html", label=label, done=True)
    return render_template("notifications/unsubscribed.html", label=label, done=False)
