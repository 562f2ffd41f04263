"""A must-read notice's deadline: an in-app reminder before it, then a mail escalation, each once, only to
those who have not confirmed."""
from __future__ import annotations

from datetime import timedelta

from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices import operations as ops
from lms.feed.notices import tasks
from lms.notifications.models import MailState
from tests.fixtures.homework import later


def test_reminder_then_escalation_once_each_to_those_not_confirmed(klass, notices):
    """With the deadline in 10 h, a reminder 9 h before it and mail 1 h after that: is the in-app reminder
    sent in an hour (no mail), the mail an hour later, each once, and never to whoever confirmed?"""
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Safety rules",
                            confirm_by=later(hours=10), remind_hours=9, escalate_hours=1)
    tasks.publish_notices()
    for _ in range(2):
        ops.send_deadline_reminders(now=utcnow() + timedelta(hours=1, minutes=1))
        db.session.commit()
    first = notices.notifications("must_read_reminder")
    # the audience is the learners: the owner and the assistant (staff) are never reminded
    assert sorted(n.user_id for n in first) == sorted([klass.student.id, klass.classmate.id])
    assert {n.mail_state for n in first} == {MailState.none}

    ops.send_deadline_reminders(now=utcnow() + timedelta(hours=1, minutes=30))  # not yet time to escalate
    db.session.commit()
    assert len(notices.notifications("must_read_reminder")) == 2

    ops.confirm_notice(notice, klass.classmate)  # one confirms in between
    db.session.commit()
    for _ in range(2):
        ops.send_deadline_reminders(now=utcnow() + timedelta(hours=2, minutes=5))
        db.session.commit()
    mails = [n for n in notices.notifications("must_read_reminder") if n.id not in {f.id for f in first}]
    assert sorted(n.user_id for n in mails) == [klass.student.id]
    assert all(n.mail_state in (MailState.due, MailState.sent) for n in mails)


def test_nothing_is_sent_after_the_deadline_or_without_one(klass, notices):
    """Does a deadline that has passed, or a must-read notice with none, send no reminder?"""
    notices.notice(klass.circle, klass.teacher, is_must_read=True, title="No deadline")
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Soon",
                            confirm_by=later(hours=2), remind_hours=1, escalate_hours=1)
    ops.send_deadline_reminders(now=utcnow() + timedelta(hours=3))
    db.session.commit()
    assert notices.notifications("must_read_reminder") == []
    assert notice.deadline_reminded_at is None


def test_a_scheduled_notice_is_not_reminded_before_it_is_published(klass, notices):
    """Is a must-read notice scheduled for later left alone by the deadline reminders until then?"""
    notices.notice(klass.circle, klass.teacher, when=later(hours=1), is_must_read=True, title="Future",
                   confirm_by=later(hours=5), remind_hours=10)
    tasks.publish_notices()
    assert notices.notifications() == []


def test_the_calendar_shows_members_the_deadline_to_confirm(klass, notices):
    """Does a student's calendar show a published must-read notice's deadline, and not the staff's schedule?"""
    from lms.calendar.sources import events_for

    notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Sign the form", confirm_by=later(days=2))
    notices.notice(klass.circle, klass.teacher, when=later(days=1), title="Hidden for now")
    events = events_for(klass.student, [klass.circle.id], utcnow(), utcnow() + timedelta(days=7))
    assert [(e.kind, e.title) for e in events] == [("notice_deadline", "Confirm you have read: Sign the form")]
    # staff (the author, the owner, the assistant) have nothing to confirm: only the schedule
    for who in (klass.teacher, klass.owner, klass.assistant):
        staff = events_for(who, [klass.circle.id], utcnow(), utcnow() + timedelta(days=7))
        assert [e.kind for e in staff] == ["notice"]


def test_a_deadline_must_follow_the_publish_time(klass, notices):
    """Is a deadline before the notice goes out refused with the field named?"""
    import pytest

    with pytest.raises(ops.NoticeError) as refused:
        notices.notice(klass.circle, klass.teacher, when=later(hours=5), is_must_read=True, confirm_by=later(hours=1))
    assert refused.value.field == "confirm_by"


def test_an_organizations_admin_sees_the_scheduled_notices_of_its_classes(klass, notices, make):
    """Does an admin of the circle's school, who oversees it like its staff, see its schedule, and a
    member of the school who is not its admin not?"""
    from lms.calendar.sources import events_for
    from lms.orgs import operations as org_ops
    from lms.orgs.models import OrgRole

    org = org_ops.create_org("School")
    klass.circle.org_id = org.id
    admin, teacher = make.user(), make.user()
    org_ops.add_org_member(org, admin, OrgRole.admin)
    org_ops.add_org_member(org, teacher, OrgRole.teacher)
    db.session.commit()
    notices.notice(klass.circle, klass.teacher, when=later(days=1), title="Next week")
    window = (utcnow(), utcnow() + timedelta(days=7))
    assert [e.kind for e in events_for(admin, [klass.circle.id], *window)] == ["notice"]
    assert events_for(teacher, [klass.circle.id], *window) == []
