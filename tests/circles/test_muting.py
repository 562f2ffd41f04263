"""Muting a member (lms.circles.operations.mute_member): who may, what is audited, who is told."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.circles import operations as ops
from lms.circles.models import Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.notifications.models import Notification


@pytest.fixture
def scene(make):
    owner = make.user("Owner")
    circle = make.circle(owner)
    assistant = make.member(circle, role=Role.assistant)
    student = make.member(circle, make.user("Sam"))
    other = make.member(circle)
    return circle, owner, assistant, student, other


def test_staff_mute_a_student_until_a_time_audited_and_told(scene):
    """Does an assistant's mute hold until its time, land in the audit log and reach the student?"""
    circle, _owner, assistant, student, _other = scene
    until = utcnow() + timedelta(hours=1)
    ops.mute_member(student, until=until, actor=assistant.user, reason="Spamming the chat")
    db.session.commit()
    assert student.is_muted()
    assert not student.is_muted(until + timedelta(seconds=1))
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_muted.value))
    assert event.details["mute_reason"] == "Spamming the chat"
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == student.user_id))
    assert note.kind == "member_muted" and note.params["reason"] == "Spamming the chat"


def test_lifting_a_mute_is_audited_and_told(scene):
    """Does lifting (until None) clear the mute, with its own audit entry and notification?"""
    circle, owner, _assistant, student, _other = scene
    ops.mute_member(student, until=utcnow() + timedelta(hours=1), actor=owner, reason="calm down")
    ops.mute_member(student, until=None, actor=owner, reason="ok now")
    db.session.commit()
    assert not student.is_muted() and student.muted_until is None
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_unmuted.value))
    notes = db.session.scalars(db.select(Notification).where(Notification.user_id == student.user_id)).all()
    assert sorted(n.params.get("variant", "") for n in notes) == ["", "lifted"]


@pytest.mark.parametrize("who", ["student", "self", "staff_target", "past"])
def test_refused(scene, who):
    """Can a student mute, can staff mute themselves or other staff, or mute until a past time? No."""
    circle, owner, assistant, student, other = scene
    actor, target, until = owner, student, utcnow() + timedelta(hours=1)
    if who == "student":
        actor, target = other.user, student
    elif who == "self":
        actor, target = assistant.user, assistant
    elif who == "staff_target":
        target = assistant
    else:
        until = utcnow() - timedelta(minutes=1)
    with pytest.raises(ops.CircleError):
        ops.mute_member(target, until=until, actor=actor, reason="x")
    assert not target.is_muted()


def test_a_mute_keeps_its_reason_and_needs_one(scene):
    """Is a mute without a reason refused, and is the reason kept with the mute (and cleared when lifted)?"""
    circle, owner, _assistant, student, _other = scene
    with pytest.raises(ops.CircleError, match="Say why"):
        ops.mute_member(student, until=utcnow() + timedelta(hours=1), actor=owner, reason="  ")
    ops.mute_member(student, until=utcnow() + timedelta(hours=1), actor=owner, reason="Shouting in chat")
    assert student.mute_reason == "Shouting in chat"
    ops.mute_member(student, until=None, actor=owner, reason="")
    assert student.mute_reason is None and not student.is_muted()


@pytest.mark.parametrize("who, allowed", [("owner", True), ("assistant", True), ("other", False)])
def test_the_members_page_lifts_a_mute(scene, client_as, who, allowed):
    """Do the staff see a member's mute (until when, why) on the members page and lift it with Unmute; is a
    student refused?"""
    circle, owner, assistant, student, other = scene
    ops.mute_member(student, until=utcnow() + timedelta(hours=1), actor=owner, reason="Shouting in chat")
    db.session.commit()
    actor = {"owner": owner, "assistant": assistant.user, "other": other.user}[who]
    client = client_as(actor)
    page = client.get(f"/c/{circle.id}/members").get_data(as_text=True)
    assert ("Reason: Shouting in chat" in page) is allowed
    answer = client.post(f"/c/{circle.id}/members/{student.id}/unmute", data={"csrf_token": client.csrf_token()})
    db.session.expire_all()
    if allowed:
        assert answer.status_code == 302 and not student.is_muted()
    else:
        assert answer.status_code == 403 and student.is_muted()


def test_a_muted_member_reads_why_where_they_would_write(scene, client_as):
    """Does a muted student read until when and why above the feed's post form and a check-in task's form (as in
    the chat), and an unmuted classmate not?"""
    from datetime import date

    from tests.checkins.support import make_task

    circle, owner, _assistant, student, other = scene
    ops.mute_member(student, until=utcnow() + timedelta(hours=1), actor=owner, reason="Shouting in chat")
    db.session.commit()
    task = make_task(circle, owner, starts_on=date(2020, 1, 1), window_start_minute=0, window_end_minute=24 * 60)
    for path in (f"/circles/{circle.id}/feed", f"/c/{circle.id}/checkins/{task.id}"):
        muted = client_as(student.user).get(path).get_data(as_text=True)
        assert "You are muted in this circle until" in muted and "Reason: Shouting in chat" in muted, path
        assert "You are muted" not in client_as(other.user).get(path).get_data(as_text=True), path
