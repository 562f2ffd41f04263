"""Mailing notifications: one mail per person when theirs are due (one notification, or a short list of
several), one daily digest per person, each with one signed unsubscribe link (also as RFC 8058
List-Unsubscribe headers). Mail is marked sent only after it left (at least once)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import URLSafeSerializer
from jinja2 import TemplateNotFound

from lms.accounts.models import User
from lms.core.i18n import format_in_zone, recipient_locale
from lms.core.inputs import header_value
from lms.core.mail import deliver
from lms.core.types import utcnow
from lms.core.urls import DEVELOPMENT_SERVER_NAME, external_url
from lms.extensions import db
from lms.notifications.kinds import find_kind
from lms.notifications.messages import _Params, format_message, local_params
from lms.notifications.models import MailState, Notification, NotificationSettings
from lms.notifications.operations import last_digest_time, person_zone

_SALT = "notifications-unsubscribe"
#: people whose due mail one round of the due-mail task claims and mails
MAIL_BATCH = 500
#: how long a claimed notification waits for its mail before another sweep may mail it again (a worker
#: that died between claiming and sending): at least once, never lost
MAIL_LEASE = timedelta(minutes=15)
#: notifications listed in one digest (the rest are counted, and all are on the page)
DIGEST_LISTED = 50
#: the kind an unsubscribe token names to stop the daily digest as a whole
DIGEST = ""


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token that turns `kind` (DIGEST: every kind in the digest) off for `user_id`. It does not
    expire: a link in an old mail still works, and it can do nothing but turn mail off."""
    return URLSafeSerializer(current_app.secret_key, salt=_SALT).dumps([user_id, kind])


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, kind) of a token; raises itsdangerous.BadSignature for a forged or damaged one."""
    user_id, kind = URLSafeSerializer(current_app.secret_key, salt=_SALT).loads(token)
    return int(user_id), str(kind)


def absolute(path: str) -> str:
    """A path on this site as a link for mail (host and scheme from configuration, as external_url)."""
    config = current_app.config
    host = config.get("SERVER_NAME") or DEVELOPMENT_SERVER_NAME
    return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{host}{path}"


def _unsubscribe(user_id: int, kind: str) -> tuple[str, dict[str, str]]:
    url = external_url("notifications.unsubscribe", token=unsubscribe_token(user_id, kind))
    return url, {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send_due_mail(now: datetime | None = None) -> int:
    """Mail what is due by `now` (at once, or held through quiet hours): ONE mail per person, the
    notification alone or, when several are due, a short list of them. Notifications read in the app
    meanwhile are not mailed (their mail is dropped); a deleted subject's are gone (forget_about).
    At least once: rows are claimed for MAIL_LEASE, mailed, then marked sent; a crash in between leaves
    them to be mailed again when the claim runs out. A fixed number of statements per MAIL_BATCH rows.
    Returns how many mails were sent."""
    now = now or utcnow()
    _drop_read()
    mails = 0
    while True:
        ids = list(db.session.scalars(
            sa.select(Notification.id).where(Notification.mail_state == MailState.due,
                                             Notification.mail_due_at <= now, Notification.read_at.is_(None))
            .order_by(Notification.user_id, Notification.id).limit(MAIL_BATCH)))
        if not ids:
            return mails
        claimed = _claim(now, Notification.id.in_(ids), Notification.mail_state == MailState.due,
                         Notification.mail_due_at <= now)
        people: dict[int, tuple[User, ZoneInfo, list[Notification]]] = {}
        for notification, user, zone_name in db.session.execute(
                sa.select(Notification, User, NotificationSettings.timezone)
                .join(User, User.id == Notification.user_id)
                .outerjoin(NotificationSettings, NotificationSettings.user_id == Notification.user_id)
                .where(Notification.id.in_(claimed)).order_by(Notification.id.desc())):
            people.setdefault(user.id, (user, person_zone(user.timezone or zone_name), []))[2].append(notification)
        sent = []
        for user, zone, notifications in people.values():
            if _mail_due(user, zone, notifications):
                sent.extend(n.id for n in notifications)
                mails += 1
        _mark_sent(sent, MailState.due, now)


def _drop_read() -> None:
    """Waiting mail of notifications their reader has already read in the app is not needed any more.
    Read first, written only when there is something to drop: a sweep that finds nothing writes nothing
    (it runs every minute, and a write waits for SQLite's one writer)."""
    waiting = (Notification.mail_state.in_([MailState.due, MailState.digest]), Notification.read_at.is_not(None))
    ids = list(db.session.scalars(sa.select(Notification.id).where(*waiting).limit(MAIL_BATCH)))
    if not ids:
        return
    db.session.execute(sa.update(Notification).where(Notification.id.in_(ids), *waiting)
                       .values(mail_state=MailState.none).execution_options(synchronize_session=False))
    db.session.commit()


def _claim(now: datetime, *waiting) -> list[int]:
    """Claim the unread notifications matching `waiting` for MAIL_LEASE (their `mail_due_at` moves past it,
    so no other sweep takes them meanwhile) and commit; returns their ids."""
    ids = list(db.session.scalars(
        sa.update(Notification).where(Notification.read_at.is_(None), *waiting)
        .values(mail_due_at=now + MAIL_LEASE).returning(Notification.id)
        .execution_options(synchronize_session=False)))
    db.session.commit()
    return ids


def _mark_sent(ids: list[int], waiting: MailState, now: datetime) -> None:
    if not ids:
        return
    db.session.execute(sa.update(Notification).where(Notification.id.in_(ids), Notification.mail_state == waiting)
                       .values(mail_state=MailState.sent, mailed_at=now)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _mail_due(user: User, zone: ZoneInfo, notifications: list[Notification]) -> bool:
    """Mail `user` these notifications (newest first): alone, or several as one list. Whether it was sent."""
    if len(notifications) == 1:
        return mail_one(notifications[0], user, zone)
    kinds = sorted({n.kind for n in notifications})
    with force_locale(recipient_locale(user)):
        subject = ngettext("%(num)d new notification from Circles", "%(num)d new notifications from Circles",
                           len(notifications))
        intro = _("Here is what is new for you in Circles.")
    return _list_mail(user, zone, notifications, len(notifications), subject, intro, ",".join(kinds))


def mail_one(notification: Notification, user: User, zone: ZoneInfo | None = None) -> bool:
    """Mail one notification to its reader now (in `zone`, default theirs): the kind's own template or the
    plain one. Whether it was sent."""
    kind = find_kind(notification.kind)
    locale = recipient_locale(user)
    zone = zone or _zone_of(user)
    params = _Params(notification.params or {})
    with force_locale(locale):
        message = format_message(notification.kind, params, zone=zone, locale=locale)
        subject = (str(kind.subject) % local_params(params, zone, locale)
                   if kind is not None and kind.subject is not None else message)
        extra = kind.mail_context(notification) if kind is not None and kind.mail_context is not None else {}
    unsubscribe_url, headers = _unsubscribe(user.id, notification.kind)
    template = (kind.mail_template if kind is not None else None) or "notifications/notification"
    return _send(user, subject, template, locale, headers, user=user, params=params, message=message,
                 link=absolute(notification.url), unsubscribe_url=unsubscribe_url,
                 preferences_url=external_url("notifications.preferences"), **extra)


def _zone_of(user: User):
    """The reader's zone: the profile's, else the one their mail settings were saved in, else the site's."""
    if user.timezone:
        return person_zone(user.timezone)
    settings = db.session.get(NotificationSettings, user.id)
    return person_zone(settings.timezone if settings is not None else None)


def _send(reader: User, subject: str, template: str, locale: str, headers: dict[str, str], **context) -> bool:
    """Render templates/email/<template>.txt (and .html where there is one) for `reader` and deliver it now
    (this runs in a job already). A failure is logged and reported as False: the caller leaves the rows
    claimed, and the next sweep after MAIL_LEASE tries again."""
    try:
        with force_locale(locale):
            body = render_template(f"email/{template}.txt", **context)
            try:
                html = render_template(f"email/{template}.html", **context)
            except TemplateNotFound:
                html = None
        deliver(reader.email, header_value(subject), body, html, headers)
    except Exception:
        current_app.logger.exception("mail to user %s failed; it is tried again later", reader.id)
        return False
    return True


def send_digests(now: datetime | None = None) -> int:
    """Send each person whose digest hour (in their time zone) has passed since their oldest waiting
    digest notification ONE mail listing everything collected up to that hour and not read in the app
    meanwhile. At least once, as send_due_mail: claimed, mailed, then marked sent. Returns how many mails."""
    now = now or utcnow()
    _drop_read()
    waiting = db.session.execute(
        sa.select(Notification.user_id, sa.func.min(Notification.created_at),
                  sa.func.coalesce(User.timezone, NotificationSettings.timezone), NotificationSettings.digest_hour)
        .join(User, User.id == Notification.user_id)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == Notification.user_id)
        .where(Notification.mail_state == MailState.digest, Notification.read_at.is_(None),
               sa.or_(Notification.mail_due_at.is_(None), Notification.mail_due_at <= now))
        .group_by(Notification.user_id, User.timezone, NotificationSettings.timezone,
                  NotificationSettings.digest_hour)).all()
    mails = 0
    for user_id, oldest, zone_name, hour in waiting:
        zone = person_zone(zone_name)
        cutoff = last_digest_time(now, zone, hour)
        if oldest > cutoff:
            continue
        ids = _claim(now, Notification.user_id == user_id, Notification.mail_state == MailState.digest,
                     Notification.created_at <= cutoff,
                     sa.or_(Notification.mail_due_at.is_(None), Notification.mail_due_at <= now))
        if ids and _mail_digest(db.session.get(User, user_id), zone, ids):
            _mark_sent(ids, MailState.digest, now)
            mails += 1
    return mails


def _mail_digest(user: User | None, zone: ZoneInfo, ids: list[int]) -> bool:
    if user is None:
        return False
    notifications = list(db.session.scalars(
        sa.select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id.desc())
        .limit(DIGEST_LISTED)))
    with force_locale(recipient_locale(user)):
        subject = _("Your daily digest from Circles")
    return _list_mail(user, zone, notifications, len(ids), subject, None, DIGEST)


def _list_mail(user: User, zone: ZoneInfo, notifications: list[Notification], total: int, subject: str,
               intro: str | None, unsubscribe_kind: str) -> bool:
    """One mail listing `notifications` (newest first), counting the rest of `total`: the digest, or
    several notifications due at once."""
    locale = recipient_locale(user)
    with force_locale(locale):
        items = [{"message": format_message(n.kind, n.params, zone=zone, locale=locale), "link": absolute(n.url),
                  "time": format_in_zone(n.created_at, zone, locale)} for n in notifications]
    unsubscribe_url, headers = _unsubscribe(user.id, unsubscribe_kind)
    return _send(user, subject, "notifications/digest", locale, headers, user=user, items=items, intro=intro,
                 more=total - len(items), page_url=external_url("notifications.index"),
                 unsubscribe_url=unsubscribe_url, preferences_url=external_url("notifications.preferences"))
