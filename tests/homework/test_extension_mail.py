"""Telling students about their own due dates: a mail and a live notification when an extension is granted,
changed or removed, in the student's language and time zone, with the zone named."""
from __future__ import annotations

import contextvars
from datetime import datetime, timezone
from email.header import decode_header, make_header

import pytest
from flask_babel import force_locale, gettext

from lms.extensions import db, socketio
from lms.homework.models import Assignment, Extension
from lms.notifications.models import Notification

UTC = timezone.utc


def _base(klass, assignment) -> str:
    return f"/circles/{klass.circle.id}/assignments/{assignment.id}"


def _grant(client, klass, assignment, students, due_at, closes_at=None, reason=""):
    """The teacher's form (the teacher's zone is UTC: the typed times are UTC)."""
    return client.post(f"{_base(klass, assignment)}/extensions", data={
        "student_id": [str(s.id) for s in students], "due_at": due_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": closes_at.strftime("%Y-%m-%dT%H:%M") if closes_at else "", "reason": reason})


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _extension(assignment, student) -> Extension:
    return db.session.scalar(db.select(Extension).where(Extension.assignment_id == assignment.id,
                                                        Extension.student_id == student.id))


@pytest.fixture
def essay(klass, hw):
    """A published text assignment "Essay" due Monday 10 March 2031 12:00 UTC in a New York circle; the student
    reads Chinese and lives in Shanghai (UTC+8), the classmate has no zone of their own and reads English; the
    teacher types times in UTC."""
    klass.circle.timezone = "America/New_York"
    klass.teacher.timezone = "UTC"
    klass.student.locale, klass.student.timezone = "zh_Hans", "Asia/Shanghai"
    klass.classmate.locale, klass.classmate.timezone = "en", None
    db.session.commit()
    return hw.assignment(klass.circle, accepts="text", title="Essay", due_at=datetime(2031, 3, 10, 12, tzinfo=UTC))


def test_granting_mails_each_student_their_new_times_in_their_own_zone(klass, client_as, essay, mailbox):
    """Granted to two students at once (due Friday 14 March 2031 12:00 UTC, closing a day later), is each
    mailed once, in their language, with the times in their profile's zone or else the circle's, zone named?"""
    response = _grant(client_as(klass.teacher), klass, essay, [klass.student, klass.classmate],
                      datetime(2031, 3, 14, 12, tzinfo=UTC), datetime(2031, 3, 15, 12, tzinfo=UTC),
                      reason="Ill on Friday")
    assert response.status_code == 302
    assert sorted(m["To"] for m in mailbox.messages()) == sorted([klass.student.email, klass.classmate.email])
    [mine] = mailbox.to(klass.student.email)
    with force_locale("zh_Hans"):
        chinese = gettext("Your due date for “%(title)s” has changed", title="Essay")
    assert _subject(mine) == chinese != "Your due date for “Essay” has changed"
    body = _body(mine)
    assert "2031年3月14日星期五 20:00 中国（上海）时间（GMT+08:00）" in body  # UTC+8, written in Chinese
    assert "2031年3月15日星期六 20:00 中国（上海）时间（GMT+08:00）" in body
    assert f"{_base(klass, essay)}" in body and "Ill on Friday" not in body  # the reason is staff's note
    [their_mail] = mailbox.to(klass.classmate.email)
    assert _subject(their_mail) == "Your due date for “Essay” has changed"
    theirs = _body(their_mail)
    # New York is on daylight time from 9 March 2031 (UTC-4): the circle's zone, since they have none, with the
    # offset of that date whatever the season the mail is sent in.
    assert "Friday, March 14, 2031, 8:00\u202fAM America/New_York (GMT-04:00)" in theirs
    assert "Saturday, March 15, 2031, 8:00\u202fAM America/New_York (GMT-04:00)" in theirs
    # both names quoted, so a circle named in two languages reads as one name (issue 8)
    assert f"for “Essay” in “{klass.circle.name}”." in " ".join(theirs.split())


def test_changing_and_removing_mail_again_but_a_new_reason_alone_does_not(klass, client_as, essay, mailbox):
    """Is the student mailed when their due time changes and when the extension is removed (then with the
    assignment's own due time), and not when the teacher only rewrites the reason?"""
    teacher = client_as(klass.teacher)
    _grant(teacher, klass, essay, [klass.classmate], datetime(2031, 3, 14, 12, tzinfo=UTC))
    _grant(teacher, klass, essay, [klass.classmate], datetime(2031, 3, 14, 12, tzinfo=UTC), reason="Asked nicely")
    assert len(mailbox.to(klass.classmate.email)) == 1
    _grant(teacher, klass, essay, [klass.classmate], datetime(2031, 3, 17, 12, tzinfo=UTC), reason="Asked nicely")
    extension = _extension(essay, klass.classmate)
    assert teacher.post(f"{_base(klass, essay)}/extensions/{extension.id}/delete").status_code == 302
    bodies = [_body(m) for m in mailbox.to(klass.classmate.email)]  # the mailbox does not keep the order
    assert len(bodies) == 3
    [changed] = [b for b in bodies if "changed your own due date" in b]
    assert "Due: Monday, March 17, 2031, 8:00\u202fAM America/New_York (GMT-04:00)" in changed
    [removed] = [b for b in bodies if "removed your own due date" in b]
    assert "Due: Monday, March 10, 2031, 8:00\u202fAM America/New_York (GMT-04:00)" in removed  # the assignment's own
    assert mailbox.to(klass.student.email) == []


def test_a_title_with_a_line_break_still_mails_on_one_header_line(klass, client_as, essay, mailbox):
    """A title stored before titles were checked ("Essay\\r\\nBcc: …"): is the mail still sent, its subject
    one line, with no header smuggled in?"""
    db.session.execute(db.update(Assignment).where(Assignment.id == essay.id)
                       .values(title="Essay\r\nBcc: someone@example.org"))
    db.session.commit()
    _grant(client_as(klass.teacher), klass, essay, [klass.classmate], datetime(2031, 3, 14, 12, tzinfo=UTC))
    [message] = mailbox.to(klass.classmate.email)
    assert _subject(message) == "Your due date for “Essay Bcc: someone@example.org” has changed"
    assert message["Bcc"] is None


def test_nothing_is_sent_for_a_draft(klass, client_as, hw, mailbox):
    """An extension on an assignment the students cannot see yet: is nobody told about it?"""
    draft = hw.assignment(klass.circle, accepts="text", publish=False, due_at=datetime(2031, 3, 10, 12, tzinfo=UTC))
    assert _grant(client_as(klass.teacher), klass, draft, [klass.student],
                  datetime(2031, 3, 14, 12, tzinfo=UTC)).status_code == 302
    assert _extension(draft, klass.student) is not None
    assert mailbox.messages() == []


def test_a_student_who_left_is_not_told(klass, client_as, essay, mailbox):
    """The classmate's extension is taken back after they were removed from the circle: is nothing sent to
    someone who can no longer see the assignment?"""
    teacher = client_as(klass.teacher)
    _grant(teacher, klass, essay, [klass.classmate], datetime(2031, 3, 14, 12, tzinfo=UTC))
    extension_id = _extension(essay, klass.classmate).id
    membership = klass.circle.membership_of(klass.classmate)
    assert teacher.post(f"/c/{klass.circle.id}/members/{membership.id}/remove").status_code == 302
    assert teacher.post(f"{_base(klass, essay)}/extensions/{extension_id}/delete").status_code == 302
    assert db.session.get(Extension, extension_id) is None
    # the grant's, from before the removal, and the removal's own notice; nothing about the withdrawn extension
    subjects = [message["Subject"] for message in mailbox.to(klass.classmate.email)]
    assert len(subjects) == 2 and sum("removed" in subject for subject in subjects) == 1, subjects


def test_a_refused_grant_sends_nothing(klass, client_as, essay, mailbox):
    """A grant refused (close before due) is rolled back: is no mail sent for it?"""
    response = _grant(client_as(klass.teacher), klass, essay, [klass.student], datetime(2031, 3, 14, 12, tzinfo=UTC),
                      datetime(2031, 3, 13, 12, tzinfo=UTC))
    assert response.status_code == 302 and _extension(essay, klass.student) is None
    assert mailbox.messages() == []


def test_granting_pushes_a_live_notification_to_that_student_only(app, klass, client_as, essay):
    """Does a grant push a "notification" with the new due time to the student's open pages, and to nobody
    else?"""
    def socket_of(user):
        return contextvars.Context().run(socketio.test_client, app, flask_test_client=client_as(user))

    mine, theirs = socket_of(klass.student), socket_of(klass.classmate)
    assert mine.is_connected() and theirs.is_connected()
    _grant(client_as(klass.teacher), klass, essay, [klass.student], datetime(2031, 3, 14, 12, tzinfo=UTC))
    [event] = [e for e in mine.get_received() if e["name"] == "notification"]
    payload = event["args"][0]
    assert payload["kind"] == "extension_changed" and "Essay" in payload["message"]
    assert payload["url"] == _base(klass, essay)
    # the new time is kept with the stored notification (lms/notifications), written for this student
    stored = db.session.get(Notification, payload["id"])
    assert (stored.user_id, stored.subject_id) == (klass.student.id, essay.id)
    assert stored.params["due"] == "2031年3月14日星期五 20:00 中国（上海）时间（GMT+08:00）"
    assert [e for e in theirs.get_received() if e["name"] == "notification"] == []
    mine.disconnect()
    theirs.disconnect()
