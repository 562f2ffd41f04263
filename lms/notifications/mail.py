"""Mailing notifications: one message per notification when it is due, one daily digest per person, each
with one signed unsubscribe link (also as RFC 8058 List-Unsubscribe headers)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import URLSafeSerializer

from lms.accounts.models import User
from lms.core.i18n import format_in_zone, recipient_locale
from lms.core.mail import send_mail
from lms.core.types import utcnow
from lms.core.urls import DEVELOPMENT_SERVER_NAME, external_url
from lms.extensions import db
from lms.notifications.kinds import find_kind
from lms.notifications.messages import _Params, format_message
from lms.notifications.models import MailState, Notification, NotificationSettings
from lms.notifications.operations import last_digest_time, person_zone

_SALT = "notifications-unsubscribe"
#: notifications claimed and mailed per round of the due-mail task
MAIL_BATCH = 500
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
    """Mail every notification whose mail is due by `now`, one message each, in its reader's language.
    Rows are claimed (due → sent) before mailing, so two workers never send one twice; each round commits
    and its mail leaves after that commit. Returns how many were mailed."""
    now = now or utcnow()
    sent = 0
    while True:
        ids = list(db.session.scalars(
            sa.select(Notification.id).where(Notification.mail_state == MailState.due,
                                             Notification.mail_due_at <= now)
            .order_by(Notification.id).limit(MAIL_BATCH)))
        if not ids:
            return sent
        claimed = list(db.session.scalars(
            sa.update(Notification).where(Notification.id.in_(ids), Notification.mail_state == MailState.due)
            .values(mail_state=MailState.sent, mailed_at=now).returning(Notification.id)
            .execution_options(synchronize_session=False)))
        rows = db.session.execute(sa.select(Notification, User).join(User, User.id == Notification.user_id)
                                  .where(Notification.id.in_(claimed)).order_by(Notification.id))
        for notification, user in rows:
            mail_one(notification, user)
            sent += 1
        db.session.commit()


def mail_one(notification: Notification, user: User) -> None:
    """Mail one notification to its reader after the commit: the kind's own template or the plain one."""
    kind = find_kind(notification.kind)
    locale = recipient_locale(user)
    params = _Params(notification.params or {})
    with force_locale(locale):
        message = format_message(notification.kind, params)
        subject = str(kind.subject) % params if kind is not None and kind.subject is not None else message
    unsubscribe_url, headers = _unsubscribe(user.id, notification.kind)
    template = (kind.mail_template if kind is not None else None) or "notifications/notification"
    send_mail(user.email, subject, template, locale=locale, headers=headers, user=user, params=params,
              message=message, link=absolute(notification.url), unsubscribe_url=unsubscribe_url,
              preferences_url=external_url("notifications.preferences"))


def send_digests(now: datetime | None = None) -> int:
    """Send each person whose digest hour (in their time zone) has passed since their oldest waiting
    digest notification ONE mail listing everything collected up to that hour. Returns how many mails."""
    now = now or utcnow()
    waiting = db.session.execute(
        sa.select(Notification.user_id, sa.func.min(Notification.created_at),
                  sa.func.coalesce(User.timezone, NotificationSettings.timezone), NotificationSettings.digest_hour)
        .join(User, User.id == Notification.user_id)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == Notification.user_id)
        .where(Notification.mail_state == MailState.digest)
        .group_by(Notification.user_id, User.timezone, NotificationSettings.timezone,
                  NotificationSettings.digest_hour)).all()
    mails = 0
    for user_id, oldest, zone_name, hour in waiting:
        zone = person_zone(zone_name)
        cutoff = last_digest_time(now, zone, hour)
        if oldest > cutoff:
            continue
        claimed = list(db.session.scalars(
            sa.update(Notification).where(Notification.user_id == user_id,
                                          Notification.mail_state == MailState.digest,
                                          Notification.created_at <= cutoff)
            .values(mail_state=MailState.sent, mailed_at=now).returning(Notification.id)
            .execution_options(synchronize_session=False)))
        if claimed:
            _mail_digest(db.session.get(User, user_id), claimed, zone)
            mails += 1
        db.session.commit()
    return mails


def _mail_digest(user: User, ids: list[int], zone) -> None:
    notifications = list(db.session.scalars(
        sa.select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id.desc())
        .limit(DIGEST_LISTED)))
    locale = recipient_locale(user)
    with force_locale(locale):
        items = [{"message": format_message(n.kind, n.params), "link": absolute(n.url),
                  "time": format_in_zone(n.created_at, zone, locale)} for n in notifications]
        subject = _("Your daily digest from Circles")
    unsubscribe_url, headers = _unsubscribe(user.id, DIGEST)
    send_mail(user.email, subject, "notifications/digest", locale=locale, headers=headers, user=user,
              items=items, more=len(ids) - len(items), page_url=external_url("notifications.index"),
              unsubscribe_url=unsubscribe_url, preferences_url=external_url("notifications.preferences"))
