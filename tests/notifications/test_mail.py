"""Mail by preference: at once (held through quiet hours), one daily digest at the person's hour in their time
zone, or none; escalations mail whatever the setting; one signed unsubscribe link per mail, with RFC 8058
headers, that turns that kind off."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.notifications import Channel, MailRule, notify
from lms.notifications import operations as ops
from lms.notifications.mail import send_digests, send_due_mail
from lms.notifications.models import MailState, Notification
from tests.notifications.conftest import DIGESTED, PING, mail_html, mail_text, subject_of

UTC = timezone.utc


@pytest.fixture
def clock(monkeypatch):
    """Set the service's clock: `clock(datetime)`; later than the real one, so no real sweep sends early."""
    def _set(moment: datetime):
        monkeypatch.setattr(ops, "utcnow", lambda: moment)
    return _set


@pytest.fixture
def ann(make):
    """Ann lives in Shanghai (UTC+8) and reads English."""
    user = make.user("Ann")
    user.timezone, user.locale = "Asia/Shanghai", "en"
    db.session.commit()
    return user


def _ping(user, title="Essay", **kwargs):
    notify(PING, [user.id], url="/circles/1/things/2", params={"actor": "Tom", "title": title}, **kwargs)
    db.session.commit()


def _states(user):
    return [(n.mail_state, n.mail_due_at) for n in db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_immediately_mails_once_with_link_and_unsubscribe_headers(ann, mailbox):
    """Default "mail me at once": is one mail sent after the commit, its subject the message, the link made
    absolute, a text and an HTML part, and List-Unsubscribe / List-Unsubscribe-Post headers (RFC 8058)?"""
    _ping(ann)
    [message] = mailbox.to(ann.email)
    assert subject_of(message) == "Tom pinged you about “Essay”"
    text, html = mail_text(message), mail_html(message)
    assert "http://localhost/circles/1/things/2" in text and 'href="http://localhost/circles/1/things/2"' in html
    link = re.fullmatch(r"<(http://localhost/notifications/unsubscribe/[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text and link in html
    assert [state for state, _ in _states(ann)] == [MailState.sent]
    send_due_mail()  # the periodic sweep finds nothing more to send
    assert len(mailbox.messages()) == 1


def test_off_sends_nothing(ann, mailbox):
    ops.set_preference(ann, PING, Channel.off)
    db.session.commit()
    _ping(ann)
    send_due_mail()
    send_digests(datetime(2040, 1, 1, tzinfo=UTC))
    assert mailbox.messages() == [] and _states(ann) == [(MailState.none, None)]


def test_in_app_only_call_is_never_mailed(ann, mailbox):
    _ping(ann, mail=MailRule.never)
    assert mailbox.messages() == []


def test_quiet_hours_hold_the_mail_until_they_end(ann, mailbox, clock):
    """Quiet hours 22:00-07:00 in Shanghai; notified at 23:30 there (15:30 UTC): is the mail held until
    07:00 Shanghai (23:00 UTC), and sent by the sweep then, not before?"""
    ops.save_settings(ann, 18, 22, 7)
    db.session.commit()
    clock(datetime(2031, 3, 10, 15, 30, tzinfo=UTC))
    _ping(ann)
    assert _states(ann) == [(MailState.due, datetime(2031, 3, 10, 23, 0, tzinfo=UTC))]
    assert mailbox.messages() == []
    assert send_due_mail(datetime(2031, 3, 10, 22, 59, tzinfo=UTC)) == 0
    assert send_due_mail(datetime(2031, 3, 10, 23, 0, tzinfo=UTC)) == 1
    assert len(mailbox.to(ann.email)) == 1


def test_escalation_mails_even_when_off_but_after_quiet_hours(ann, mailbox, clock):
    """MailRule.always with the kind off: is it mailed anyway, still held through the quiet hours?"""
    ops.set_preference(ann, PING, Channel.off)
    ops.save_settings(ann, 18, 22, 7)
    db.session.commit()
    clock(datetime(2031, 3, 10, 15, 30, tzinfo=UTC))
    _ping(ann, mail=MailRule.always)
    assert _states(ann) == [(MailState.due, datetime(2031, 3, 10, 23, 0, tzinfo=UTC))]
    send_due_mail(datetime(2031, 3, 11, tzinfo=UTC))
    assert len(mailbox.to(ann.email)) == 1


def test_digest_collects_several_into_one_mail_at_the_hour(ann, make, mailbox, clock):
    """Three digest notifications in the Shanghai afternoon, digest hour 18:00: is nothing sent at 17:30
    there, ONE mail listing all three at 18:05, nothing again at 18:10, and the fourth one (after 18:00)
    waits for the next day's digest?"""
    bo = make.user("Bo")  # digest by default too, the site's zone (UTC): not yet due at 10:05 UTC
    clock(datetime(2031, 3, 10, 8, 0, tzinfo=UTC))  # 16:00 in Shanghai
    for title in ("One", "Two", "Three"):
        notify(DIGESTED, [ann.id, bo.id], url=f"/t/{title}", params={"title": title})
    db.session.commit()
    assert mailbox.messages() == []
    assert send_digests(datetime(2031, 3, 10, 9, 30, tzinfo=UTC)) == 0  # 17:30 in Shanghai
    clock(datetime(2031, 3, 10, 10, 1, tzinfo=UTC))  # 18:01 in Shanghai
    notify(DIGESTED, [ann.id], url="/t/Four", params={"title": "Four"})
    db.session.commit()
    assert send_digests(datetime(2031, 3, 10, 10, 5, tzinfo=UTC)) == 1
    [digest] = mailbox.to(ann.email)
    text = mail_text(digest)
    assert all(f"Something new: “{t}”" in text for t in ("One", "Two", "Three")) and "Four" not in text
    assert "http://localhost/t/Two" in text and digest["List-Unsubscribe"]
    assert send_digests(datetime(2031, 3, 10, 10, 10, tzinfo=UTC)) == 0
    assert send_digests(datetime(2031, 3, 10, 18, 0, tzinfo=UTC)) == 1  # Bo's 18:00 UTC
    assert send_digests(datetime(2031, 3, 11, 10, 0, tzinfo=UTC)) == 1  # Ann's next day: "Four"
    assert len(mailbox.to(ann.email)) == 2 and len(mailbox.to(bo.email)) == 1


def test_unsubscribe_link_turns_that_kind_off_with_one_click(ann, client, mailbox):
    """The mail's link: does GET only ask (a link scanner changes nothing), a POST without any CSRF token (the
    mail program's one-click POST) turn the kind off, and later pings arrive in-app only?"""
    _ping(ann)
    [message] = mailbox.to(ann.email)
    path = message["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200 and "Pings" in page.get_data(as_text=True)
    assert ops.channels_of(ann, [PING]) == {"test_ping": Channel.now}
    response = client.post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert response.status_code == 200
    assert ops.channels_of(ann, [PING]) == {"test_ping": Channel.off}
    _ping(ann, title="Later")
    assert len(mailbox.to(ann.email)) == 1


def test_a_forged_or_altered_unsubscribe_link_is_refused(ann, client, mailbox):
    """Another person's id in a token signed with another key, or a damaged signature: 404, nothing changed?"""
    from itsdangerous import URLSafeSerializer

    _ping(ann)
    path = mailbox.to(ann.email)[0]["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    forged = URLSafeSerializer("not-the-secret", salt="notifications-unsubscribe").dumps([ann.id, "test_ping"])
    assert client.post(f"/notifications/unsubscribe/{forged}", csrf=False).status_code == 404
    assert client.post(path[:-2] + ("AA" if not path.endswith("AA") else "BB"), csrf=False).status_code == 404
    assert client.get(f"/notifications/unsubscribe/{forged}").status_code == 404
    assert ops.channels_of(ann, [PING]) == {"test_ping": Channel.now}


def test_the_digest_link_stops_the_digest(ann, client, mailbox, clock):
    clock(datetime(2031, 3, 10, 8, 0, tzinfo=UTC))
    notify(DIGESTED, [ann.id], url="/t/1", params={"title": "One"})
    db.session.commit()
    send_digests(datetime(2031, 3, 10, 10, 5, tzinfo=UTC))
    [digest] = mailbox.to(ann.email)
    path = digest["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    assert client.post(path, csrf=False).status_code == 200
    assert ops.channels_of(ann, [DIGESTED]) == {"test_digested": Channel.off}


def test_without_a_profile_zone_the_hours_count_in_the_zone_they_were_saved_in(make, mailbox, clock):
    """No zone on the profile, settings saved from a browser in Shanghai: are the quiet hours counted there?"""
    bo = make.user("Bo")
    ops.save_settings(bo, 18, 22, 7, timezone="Asia/Shanghai")
    db.session.commit()
    clock(datetime(2031, 3, 10, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai
    _ping(bo)
    assert _states(bo) == [(MailState.due, datetime(2031, 3, 10, 23, 0, tzinfo=UTC))]


def test_a_long_digest_lists_the_newest_and_counts_the_rest(ann, mailbox, clock, monkeypatch):
    from lms.notifications import mail

    monkeypatch.setattr(mail, "DIGEST_LISTED", 2)
    clock(datetime(2031, 3, 10, 8, 0, tzinfo=UTC))
    for title in ("One", "Two", "Three"):
        notify(DIGESTED, [ann.id], url=f"/t/{title}", params={"title": title})
    db.session.commit()
    send_digests(datetime(2031, 3, 10, 10, 5, tzinfo=UTC))
    [digest] = mailbox.to(ann.email)
    text, html = mail_text(digest), mail_html(digest)
    assert "“Three”" in text and "“Two”" in text and "“One”" not in text
    assert "And 1 more" in text and "http://localhost/notifications" in text and "And 1 more" in html
