"""What a notice tells its members and when: a must-read notice says so with its deadline in each reader's
zone, its mail carries the text and a way to confirm; a confirmed or deleted notice's reminders are not
mailed; a manual reminder asks first and is not repeated within minutes; a notice published inside its
reminder window is announced once, not announced and reminded in the same second."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices import notifications as tell
from lms.feed.notices import operations as ops
from lms.feed.notices import tasks
from lms.notifications import operations as notification_ops
from lms.notifications.mail import send_due_mail
from lms.notifications.models import MailState
from tests.fixtures.homework import later
from tests.notifications.conftest import mail_html, mail_text, subject_of

UTC = timezone.utc
#: 10:00 UTC on 12 March 2031: 18:00 in Shanghai
DEADLINE = datetime(2031, 3, 12, 10, 0, tzinfo=UTC)
BODY = "Bring **boots**.\n\n<script>alert(1)</script>"


@pytest.fixture
def shanghai(klass):
    """The student reads English in Shanghai (UTC+8)."""
    klass.student.timezone, klass.student.locale = "Asia/Shanghai", "en"
    db.session.commit()
    return klass.student


def test_a_must_read_notice_says_so_with_its_deadline_in_the_readers_zone(klass, notices, shanghai, mailbox,
                                                                         client_as):
    """Is the student told "must-read … confirm by" with the deadline at 18:00 Shanghai time, in the bell
    and in the mail; does the mail carry the notice's text (sanitized HTML, Markdown in the text part) and
    a link to confirm?"""
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Field trip", body_md=BODY,
                            confirm_by=DEADLINE)
    [told] = notices.notifications("notice_published", user=shanghai)
    assert told.params["variant"] == tell.MUST_READ_BY
    [message] = mailbox.to(shanghai.email)
    subject = subject_of(message)
    assert "posted the must-read notice “Field trip”" in subject and "confirm by" in subject
    assert "3/12/31, 6:00" in subject and "PM Asia/Shanghai (GMT+08:00)" in subject
    text, html = mail_text(message), mail_html(message)
    assert "Bring **boots**." in text
    assert "<strong>boots</strong>" in html and "<script>" not in html
    link = f"http://localhost/circles/{klass.circle.id}/notices/{notice.id}"
    assert link in text and f'href="{link}"' in html and "I have read this" in text
    page = client_as(shanghai).get("/notifications").get_data(as_text=True)
    assert "please read it and confirm by 3/12/31, 6:00" in page and "PM Asia/Shanghai (GMT+08:00)" in page
    assert "6:00:00" not in page


def test_a_plain_notice_says_only_that_it_was_posted(klass, notices, shanghai, mailbox):
    notices.notice(klass.circle, klass.teacher, title="Snacks", body_md="Apples")
    [message] = mailbox.to(shanghai.email)
    assert subject_of(message).endswith("posted the notice “Snacks” in %s" % klass.circle.name)
    assert "Apples" in mail_text(message) and "I have read this" not in mail_text(message)


def test_a_reminder_confirmed_meanwhile_is_not_mailed(klass, notices, shanghai, mailbox):
    """The escalation mail is held through the student's quiet hours; they confirm before those end: is
    nothing mailed when the hours are over?"""
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Safety", body_md="Helmets",
                            confirm_by=later(hours=10), remind_hours=12, escalate_hours=1)
    hour = utcnow().hour
    notification_ops.save_settings(shanghai, 18, hour, (hour + 2) % 24, timezone="UTC")
    shanghai.timezone = None
    db.session.commit()
    mailed_before = len(mailbox.to(shanghai.email))
    ops.send_deadline_reminders(now=utcnow() + timedelta(hours=1, minutes=5))
    db.session.commit()
    [held] = notices.notifications("must_read_reminder", user=shanghai)
    assert held.mail_state == MailState.due and held.mail_due_at > utcnow()
    ops.confirm_notice(notice, shanghai)
    db.session.commit()
    send_due_mail(utcnow() + timedelta(hours=3))
    assert len(mailbox.to(shanghai.email)) == mailed_before
    db.session.refresh(held)
    assert held.read_at is not None and held.mail_state == MailState.none


def test_a_deleted_notice_takes_its_notifications_along(klass, notices, shanghai, client_as):
    """Deleted after it was announced and one member read it: are all its notifications gone (no bell entry
    leads to a 404)?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Oops")
    ops.open_notice(notice, klass.classmate)
    db.session.commit()
    assert len(notices.notifications(notice=notice)) >= 2
    ops.delete_notice(notice, klass.teacher)
    db.session.commit()
    assert notices.notifications(notice=notice) == []
    assert "Oops" not in client_as(shanghai).get("/notifications").get_data(as_text=True)


def test_a_second_manual_reminder_within_minutes_is_refused(klass, notices):
    """Reminded once: is another reminder refused with a clear message for ten minutes (nobody told twice),
    and allowed after? Does last_reminder say when and how many?"""
    notice = notices.notice(klass.circle, klass.teacher, title="Bring forms")
    count, _ = ops.remind_unread(notice, klass.teacher)
    db.session.commit()
    assert count == 2
    last = tell.last_reminder(notice)
    assert last.recipients == 2 and abs((last.at - utcnow()).total_seconds()) < 60
    with pytest.raises(ops.NoticeError, match="less than 10 minutes ago"):
        ops.remind_unread(notice, klass.owner)
    db.session.rollback()
    assert len(notices.notifications("must_read_reminder")) == 2
    count, _ = ops.remind_unread(notice, klass.owner, now=utcnow() + timedelta(minutes=11))
    db.session.commit()
    assert count == 2


def test_the_remind_button_asks_first(klass, notices, client_as):
    notice = notices.notice(klass.circle, klass.teacher, title="Bring forms")
    page = client_as(klass.teacher).get(f"/circles/{klass.circle.id}/notices/{notice.id}/receipts")
    assert 'data-remind data-confirm="Remind everyone who has not read this notice?' in page.get_data(as_text=True)


def test_published_inside_its_reminder_window_it_is_announced_not_also_reminded(klass, notices):
    """Deadline in 10 h, reminder 12 h before it (already open): is there the announcement but no reminder
    in the same second, and the escalation an hour after the announcement?"""
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Safety",
                            confirm_by=later(hours=10), remind_hours=12, escalate_hours=1)
    tasks.publish_notices()
    assert len(notices.notifications("notice_published")) == 2  # the audience: the learners
    assert notices.notifications("must_read_reminder") == []
    assert notice.deadline_reminded_at is not None
    ops.send_deadline_reminders(now=utcnow() + timedelta(hours=1, minutes=5))
    db.session.commit()
    escalations = notices.notifications("must_read_reminder")
    assert len(escalations) == 2 and all(n.mail_state != MailState.none for n in escalations)


def test_a_reminder_window_opening_later_reminds_once_in_the_app(klass, notices):
    """Reminder 9 h before a deadline 10 h away: nothing at publish, then one in-app reminder (no mail) to
    those who have not confirmed, once."""
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Safety",
                            confirm_by=later(hours=10), remind_hours=9)
    ops.confirm_notice(notice, klass.classmate)
    db.session.commit()
    assert notices.notifications("must_read_reminder") == []
    for _ in range(2):
        ops.send_deadline_reminders(now=utcnow() + timedelta(hours=1, minutes=1))
        db.session.commit()
    reminded = notices.notifications("must_read_reminder")
    assert sorted(n.user_id for n in reminded) == [klass.student.id]  # learners only, not the staff
    assert {n.mail_state for n in reminded} == {MailState.none}
    assert all(n.params["variant"] == tell.MUST_READ_BY for n in reminded)


def test_the_receipts_page_says_when_it_last_reminded_and_refuses_a_second_press_with_a_message(
        klass, notices, client_as):
    """Pressed twice: the second press says why nothing was sent (no error page) and the page shows
    when the last reminder went and to how many."""
    notice = notices.notice(klass.circle, klass.teacher, title="Bring forms")
    teacher = client_as(klass.teacher)
    url = f"/circles/{klass.circle.id}/notices/{notice.id}"
    assert teacher.post(url + "/remind").status_code == 302
    again = teacher.post(url + "/remind", follow_redirects=True)
    assert again.status_code == 200
    text = again.get_data(as_text=True)
    assert "less than 10 minutes ago" in text and "data-last-reminder" in text
    assert len(notices.notifications("must_read_reminder")) == 2
