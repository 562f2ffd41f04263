"""What people are told when the staff act: the reporter hears what was done with their report (the action and
the staff's reason) for every kind of thing reported; a member the staff remove reads the reason."""
from __future__ import annotations

import pytest

from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.circles.models import MembershipStatus
from lms.extensions import db
from tests.fixtures.app import page_text
from tests.moderation.support import (make_checkin, make_checkin_comment, make_comment, make_post,
                                      make_video_comment, membership, notifications_of, report)

REASON = "Insults are not allowed here"


def _act(client, circle, kind, object_id, action, reason=REASON, **extra):
    return client.post(f"/c/{circle.id}/moderation/{kind}/{object_id}/{action}", data={"reason": reason, **extra})


def _chat_message(circle, author, body):
    message = chat_ops.send_message(chat_ops.ensure_main_channel(circle), chat_q.reader_of(circle, author), body=body)
    db.session.commit()
    return message


@pytest.fixture
def things(klass, hw):
    """`things[kind]()`: one thing of the student's of each reportable kind, which the classmate can see."""
    circle, author = klass.circle, klass.student
    return {
        "post": lambda: make_post(circle, author, "You are all losers"),
        "comment": lambda: make_comment(circle, author, "You are all losers"),
        "chat_message": lambda: _chat_message(circle, author, "You are all losers"),
        "video_comment": lambda: make_video_comment(circle, author, hw, "You are all losers", viewer=klass.classmate),
        "checkin": lambda: make_checkin(circle, author, "You are all losers"),
        "checkin_comment": lambda: make_checkin_comment(circle, author, "You are all losers"),
        "member": lambda: membership(circle, author),
    }


@pytest.mark.parametrize("kind", ["post", "comment", "chat_message", "video_comment", "checkin", "checkin_comment",
                                  "member"])
def test_the_reporter_reads_what_was_done_and_why_for_every_kind(kind, klass, client_as, things):
    """Whatever they reported, does the reporter's bell say what the staff did and the staff's reason?"""
    thing = things[kind]()
    reporter = client_as(klass.classmate)
    assert report(reporter, klass.circle, kind, thing.id, "abuse").status_code == 201
    action = "warn" if kind == "member" else "hide"
    assert _act(client_as(klass.teacher), klass.circle, kind, thing.id, action).status_code == 302
    [answer] = notifications_of(klass.classmate, "moderation_report_answered")
    assert answer.params["variant"] == action and answer.params["reason"] == REASON
    text = page_text(reporter.get("/notifications"))
    if action == "hide":
        assert f"The staff of {klass.circle.name} hid what you reported" in text
    else:
        assert f"the staff of {klass.circle.name} warned the person concerned" in text
    assert f"Reason: {REASON}" in text


@pytest.mark.parametrize("action, words", [
    ("delete", "deleted what you reported"),
    ("warn", "warned the person concerned"),
    ("mute", "muted the person concerned"),
    ("remove", "removed the person concerned from the circle"),
    ("ban", "banned the person concerned from the circle"),
])
def test_each_action_is_named_to_the_reporter(action, words, klass, client_as):
    post = make_post(klass.circle, klass.student, "Buy followers")
    reporter = client_as(klass.classmate)
    report(reporter, klass.circle, "post", post.id, "spam")
    assert _act(client_as(klass.owner), klass.circle, "post", post.id, action, mute_minutes="60").status_code == 302
    text = page_text(reporter.get("/notifications"))
    assert words in text and f"Reason: {REASON}" in text


def test_a_dismissal_says_the_staffs_reason_when_they_give_one(klass, client_as):
    first = make_post(klass.circle, klass.student, "A fair opinion")
    second = make_post(klass.circle, klass.student, "Another fair opinion")
    reporter = client_as(klass.classmate)
    report(reporter, klass.circle, "post", first.id, "abuse")
    report(reporter, klass.circle, "post", second.id, "abuse")
    teacher = client_as(klass.teacher)
    _act(teacher, klass.circle, "post", first.id, "dismiss", reason="Disagreeing is allowed")
    _act(teacher, klass.circle, "post", second.id, "dismiss", reason="")
    variants = sorted(n.params["variant"] for n in notifications_of(klass.classmate, "moderation_report_answered"))
    assert variants == ["dismissed", "dismissed_reason"]
    text = page_text(reporter.get("/notifications"))
    assert "left it as it is. Their reason: Disagreeing is allowed" in text


def test_a_site_admins_suspension_is_told_to_the_reporter(klass, client_as):
    post = make_post(klass.circle, klass.student, "Scam link")
    report(client_as(klass.classmate), klass.circle, "post", post.id, "spam")
    response = client_as(klass.admin).post(f"/admin/moderation/users/{klass.student.id}/suspend", data={
        "reason": "A scammer", "circle_id": klass.circle.id, "kind": "post", "object_id": post.id})
    assert response.status_code == 302
    [answer] = notifications_of(klass.classmate, "moderation_report_answered")
    assert answer.params["variant"] == "suspend" and answer.params["reason"] == "A scammer"
    assert "suspended the account of the person concerned" in page_text(client_as(klass.classmate).get("/notifications"))


def test_a_removed_member_reads_the_reason_the_staff_gave(klass, client_as):
    """Removed from the members' page with a reason: does their notification say it (and the audit log keep it)?"""
    student = membership(klass.circle, klass.student)
    teacher = client_as(klass.teacher)
    page = teacher.get(f"/c/{klass.circle.id}/members/{student.id}/edit")
    assert page.status_code == 200 and "data-remove-member" in page.get_data(as_text=True)
    response = teacher.post(f"/c/{klass.circle.id}/members/{student.id}/remove",
                            data={"reason": "You shared the exam answers"})
    assert response.status_code == 302
    db.session.expire_all()
    assert membership(klass.circle, klass.student).status == MembershipStatus.removed
    [told] = notifications_of(klass.student, "member_removed")
    assert told.params == {"circle": klass.circle.name, "variant": "reason", "reason": "You shared the exam answers"}
    text = page_text(client_as(klass.student).get("/notifications"))
    assert (f"You were removed from {klass.circle.name} by the staff. Reason: You shared the exam answers"
            in text)


def test_a_removal_without_a_reason_reads_as_before(klass, client_as):
    classmate = membership(klass.circle, klass.classmate)
    client_as(klass.teacher).post(f"/c/{klass.circle.id}/members/{classmate.id}/remove", data={})
    [told] = notifications_of(klass.classmate, "member_removed")
    assert "variant" not in told.params
    assert "Reason:" not in page_text(client_as(klass.classmate).get("/notifications"))


def test_the_members_own_page_offers_no_removal(klass, client_as):
    """A student editing their own name sees no removal form; nor does the owner's page for a teacher viewing it."""
    student = membership(klass.circle, klass.student)
    own = client_as(klass.student).get(f"/c/{klass.circle.id}/members/{student.id}/edit")
    assert own.status_code == 200 and "data-remove-member" not in own.get_data(as_text=True)
    owner = membership(klass.circle, klass.owner)
    page = client_as(klass.teacher).get(f"/c/{klass.circle.id}/members/{owner.id}/edit")
    assert "data-remove-member" not in page.get_data(as_text=True)


def test_a_removal_from_the_queue_tells_the_member_once_with_the_reason(klass, client_as):
    post = make_post(klass.circle, klass.student, "Spam again")
    report(client_as(klass.classmate), klass.circle, "post", post.id, "spam")
    _act(client_as(klass.teacher), klass.circle, "post", post.id, "remove")
    [told] = notifications_of(klass.student, "member_removed")
    assert told.params["reason"] == REASON
    assert notifications_of(klass.student, "moderation_action") == []  # not a second notice of the same removal


def test_a_ban_is_told_once_in_its_own_words(klass, client_as):
    post = make_post(klass.circle, klass.student, "Spam again")
    report(client_as(klass.classmate), klass.circle, "post", post.id, "spam")
    _act(client_as(klass.teacher), klass.circle, "post", post.id, "ban")
    assert notifications_of(klass.student, "member_removed") == []
    [told] = notifications_of(klass.student, "moderation_action")
    assert told.params["variant"] == "ban" and told.params["reason"] == REASON


def test_a_reason_too_long_is_refused(klass, client_as):
    student = membership(klass.circle, klass.student)
    client_as(klass.teacher).post(f"/c/{klass.circle.id}/members/{student.id}/remove", data={"reason": "x" * 1001})
    db.session.expire_all()
    assert membership(klass.circle, klass.student).status == MembershipStatus.active
    assert notifications_of(klass.student, "member_removed") == []
