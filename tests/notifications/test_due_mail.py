"""Mail that comes due later (held through quiet hours) and the digest: what was read in the app meanwhile
is not mailed, several due at once go as ONE mail, a deleted subject's notifications are gone, and mail
is marked sent only once it has left (a failure is tried again, never lost)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.notifications import Channel, forget_about, mark_read_about, notify
from lms.notifications import mail as mail_module
from lms.notifications import operations as ops
from lms.notifications.mail import MAIL_LEASE, send_digests, send_due_mail
from lms.notifications.models import MailState, Notification
from tests.notifications.conftest import DIGESTED, PING, mail_text, subject_of

UTC = timezone.utc
#: 23:30 in Shanghai: inside Ann's quiet hours (22:00-07:00), which end at 23:00 UTC
NIGHT = datetime(2031, 3, 10, 15, 30, tzinfo=UTC)
MORNING = datetime(2031, 3, 10, 23, 0, tzinfo=UTC)


@pytest.fixture
def ann(make, monkeypatch):
    """Ann lives in Shanghai, reads English, keeps quiet hours 22:00-07:00; the clock says 23:30 there."""
    user = make.user("Ann")
    user.timezone, user.locale = "Asia/Shanghai", "en"
    ops.save_settings(user, 18, 22, 7)
    db.session.commit()
    monkeypatch.setattr(ops, "utcnow", lambda: NIGHT)
    return user


def _ping(user, title, subject=("thing", 1)):
    notify(PING, [user.id], url=f"/things/{title}", params={"actor": "Tom", "title": title}, subject=subject)
    db.session.commit()


def _states(user):
    return [n.mail_state for n in db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_held_mail_read_in_the_app_meanwhile_is_not_sent(ann, mailbox):
    """Held through the night, then opened in the app before the morning: is nothing mailed, and is the
    notification's mail dropped (not left waiting)?"""
    _ping(ann, "Essay")
    mark_read_about(ann.id, ("thing", 1))
    db.session.commit()
    assert send_due_mail(MORNING) == 0
    assert mailbox.messages() == [] and _states(ann) == [MailState.none]


def test_several_held_mails_leave_as_one(ann, mailbox):
    """Three held through the night, one of them read meanwhile: does ONE mail list the two unread ones?"""
    _ping(ann, "One", ("thing", 1))
    _ping(ann, "Two", ("thing", 2))
    _ping(ann, "Three", ("thing", 3))
    mark_read_about(ann.id, ("thing", 2))
    db.session.commit()
    assert send_due_mail(MORNING) == 1
    [message] = mailbox.to(ann.email)
    text = mail_text(message)
    assert subject_of(message) == "2 new notifications from Circles"
    assert "Tom pinged you about “One”" in text and "Tom pinged you about “Three”" in text and "Two" not in text
    assert "http://localhost/things/Three" in text
    assert _states(ann) == [MailState.sent, MailState.none, MailState.sent]
    assert send_due_mail(MORNING + timedelta(hours=1)) == 0


def test_a_deleted_subject_takes_its_notifications_along(ann, mailbox):
    """forget_about: are the read and unread notifications about it deleted (nothing left to mail), and
    others kept?"""
    _ping(ann, "Gone", ("thing", 1))
    _ping(ann, "Gone too", ("thing", 1))
    _ping(ann, "Kept", ("thing", 2))
    gone = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == ann.id).order_by(Notification.id)
    ).first()
    assert gone.params["title"] == "Gone"
    ops.mark_read(gone)
    forget_about(("thing", 1))
    db.session.commit()
    left = db.session.scalars(sa.select(Notification).where(Notification.user_id == ann.id)).all()
    assert [n.params["title"] for n in left] == ["Kept"]
    send_due_mail(MORNING)
    assert "Gone" not in mail_text(mailbox.to(ann.email)[0])


def test_a_failed_mail_is_sent_later_not_lost(ann, mailbox, monkeypatch):
    """The mail server fails when the held mail comes due: is the notification still waiting (not marked
    sent), not mailed again while claimed, and mailed once the claim has run out?"""
    _ping(ann, "Essay")
    real = mail_module.deliver

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(mail_module, "deliver", broken)
    assert send_due_mail(MORNING) == 0
    assert _states(ann) == [MailState.due]
    monkeypatch.setattr(mail_module, "deliver", real)
    assert send_due_mail(MORNING + timedelta(minutes=1)) == 0  # still claimed by the failed round
    assert send_due_mail(MORNING + MAIL_LEASE + timedelta(seconds=1)) == 1
    assert len(mailbox.to(ann.email)) == 1 and _states(ann) == [MailState.sent]


def test_a_digest_that_failed_is_sent_later_and_skips_what_was_read(ann, mailbox, monkeypatch):
    """The digest fails at 18:05 Shanghai: is it still waiting, and sent after the claim without the
    notification read in the app meanwhile?"""
    monkeypatch.setattr(ops, "utcnow", lambda: datetime(2031, 3, 10, 8, 0, tzinfo=UTC))
    for title in ("One", "Two"):
        notify(DIGESTED, [ann.id], url=f"/t/{title}", params={"title": title}, subject=("thing", len(title)))
    db.session.commit()
    real = mail_module.deliver

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(mail_module, "deliver", broken)
    at = datetime(2031, 3, 10, 10, 5, tzinfo=UTC)
    assert send_digests(at) == 0 and _states(ann) == [MailState.digest, MailState.digest]
    monkeypatch.setattr(mail_module, "deliver", real)
    first = db.session.scalars(sa.select(Notification).where(Notification.user_id == ann.id)
                               .order_by(Notification.id)).first()
    ops.mark_read(first)
    db.session.commit()
    assert send_digests(at + MAIL_LEASE + timedelta(minutes=1)) == 1
    text = mail_text(mailbox.to(ann.email)[0])
    assert "“Two”" in text and "“One”" not in text


def test_a_time_in_a_message_is_written_in_the_readers_zone(ann, mailbox, monkeypatch):
    """A param ending in _at (UTC, ISO 8601): is it written in the reader's zone and language in the mail?"""
    from flask_babel import lazy_gettext as _l

    from lms.notifications import Kind, register_kind

    timed = register_kind(Kind("test_timed", _l("Timed"), _l("Due %(due_at)s")))
    notify(timed, [ann.id], url="/t", params={"due_at": datetime(2031, 3, 12, 10, 0, tzinfo=UTC).isoformat()})
    db.session.commit()
    send_due_mail(MORNING)
    # the pages' short format in the reader's zone, the zone named with its offset
    assert "Due 3/12/31, 6:00\u202fPM Asia/Shanghai (GMT+08:00)" in subject_of(mailbox.to(ann.email)[0]).replace(" PM", "\u202fPM")


def test_the_link_of_a_mail_of_several_kinds_stops_those_kinds(ann, client, mailbox):
    """A held ping and an escalated digest-kind notification leave as one mail: does its one unsubscribe
    link (one-click POST) turn both kinds off?"""
    from lms.notifications import MailRule

    _ping(ann, "Essay")
    notify(DIGESTED, [ann.id], url="/t/1", params={"title": "Urgent"}, mail=MailRule.always)
    db.session.commit()
    assert send_due_mail(MORNING) == 1
    [message] = mailbox.to(ann.email)
    path = message["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    assert "Pings" in client.get(path).get_data(as_text=True)
    assert client.post(path, csrf=False).status_code == 200
    assert ops.channels_of(ann, [PING, DIGESTED]) == {"test_ping": Channel.off, "test_digested": Channel.off}
