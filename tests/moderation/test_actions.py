"""The review queue's actions: each one answers the reports (with their response time), is audited, tells the
author the reason and the reporters the outcome; hidden content disappears for everyone but the staff."""
from __future__ import annotations

import pytest

from lms.circles.models import MembershipStatus
from lms.extensions import db
from lms.feed.posts.models import CommentState, PostState
from lms.moderation.models import ModerationAction, ReportState
from tests.moderation.support import (audit, make_checkin, make_checkin_comment, make_comment, make_post,
                                      make_video_comment, membership, notifications_of, report, reports)


def _act(client, circle, kind, object_id, action, reason="Against the circle's rules", **extra):
    return client.post(f"/c/{circle.id}/moderation/{kind}/{object_id}/{action}",
                       data={"reason": reason, **extra})


@pytest.fixture
def reported_post(klass, client_as):
    """A student's post, reported by a classmate."""
    post = make_post(klass.circle, klass.student, "Buy cheap followers now")
    report(client_as(klass.classmate), klass.circle, "post", post.id, "spam")
    return post


@pytest.mark.parametrize("action, author_kind, variant", [
    ("hide", "feed_post_moderated", None), ("delete", "feed_post_moderated", None),
    ("warn", "moderation_action", "warn"), ("mute", "member_muted", None),
    ("remove", "member_removed", "reason"), ("ban", "moderation_action", "ban"),
])
def test_each_action_is_audited_and_told(action, author_kind, variant, klass, client_as, reported_post):
    """Does each action answer the report, write its audit entry, tell the author the reason and the reporter
    that it was acted on?"""
    response = _act(client_as(klass.teacher), klass.circle, "post", reported_post.id, action, mute_minutes="60")
    assert response.status_code == 302, response.get_data(as_text=True)
    [answered] = reports()
    assert answered.state == ReportState.actioned and answered.response_seconds is not None
    assert answered.resolved_by_id == klass.teacher.id
    [event] = audit(f"moderation_{action}")
    assert event.actor_id == klass.teacher.id and event.details["reason"] == "Against the circle's rules"
    assert event.circle_id == klass.circle.id
    told = [n for n in _all_notifications(klass.student) if n.kind != "moderation_report"]
    assert told, f"the author heard nothing after {action}"
    if variant:
        assert any(n.params.get("variant") == variant and n.params.get("reason") == "Against the circle's rules"
                   for n in told)
    else:
        assert any("Against the circle's rules" in str(n.params) for n in told)
    [answer] = notifications_of(klass.classmate, "moderation_report_answered")
    # the reporter reads what was done, and the staff's reason
    assert answer.params["variant"] == action and answer.params["reason"] == "Against the circle's rules"


def _all_notifications(user):
    import sqlalchemy as sa

    from lms.notifications.models import Notification

    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def test_dismiss_answers_the_reporter_and_leaves_the_post(klass, client_as, reported_post):
    response = _act(client_as(klass.assistant), klass.circle, "post", reported_post.id, "dismiss", reason="")
    assert response.status_code == 302
    assert reports()[0].state == ReportState.dismissed
    assert db.session.get(type(reported_post), reported_post.id).state == PostState.published
    [answer] = notifications_of(klass.classmate, "moderation_report_answered")
    assert answer.params["variant"] == "dismissed"
    assert len(audit("moderation_dismiss")) == 1
    assert notifications_of(klass.student, "moderation_action") == []


def test_an_action_needs_a_reason(klass, client_as, reported_post):
    response = _act(client_as(klass.teacher), klass.circle, "post", reported_post.id, "hide", reason="")
    assert response.status_code == 302  # back to the queue with the message
    assert reports()[0].state == ReportState.open and audit("moderation_hide") == []


def test_a_hidden_post_disappears_for_members_but_not_for_staff(klass, client_as, reported_post):
    _act(client_as(klass.teacher), klass.circle, "post", reported_post.id, "hide")
    url = f"/circles/{klass.circle.id}/feed/{reported_post.id}"
    assert client_as(klass.classmate).get(url).status_code == 404
    assert "Buy cheap followers" not in client_as(klass.classmate).get(f"/circles/{klass.circle.id}/feed") \
        .get_data(as_text=True)
    assert client_as(klass.assistant).get(url).status_code == 200


@pytest.mark.parametrize("kind", ["comment", "video_comment", "checkin", "checkin_comment"])
def test_hide_and_delete_work_for_every_kind(kind, klass, hw, client_as):
    """Are comments, video comments, check-ins and their comments hidden (and deleted) from the queue?"""
    maker = {"comment": make_comment, "video_comment": lambda c, a: make_video_comment(c, a, hw, viewer=klass.classmate),
             "checkin": make_checkin, "checkin_comment": make_checkin_comment}[kind]
    thing = maker(klass.circle, klass.student)
    thing_id, model = thing.id, type(thing)
    report(client_as(klass.classmate), klass.circle, kind, thing.id)
    assert _act(client_as(klass.teacher), klass.circle, kind, thing.id, "hide").status_code == 302
    db.session.expire_all()
    fresh = db.session.get(type(thing), thing.id)
    if kind == "comment":
        assert fresh.state == CommentState.hidden
    else:
        assert fresh.hidden_at is not None
    assert reports()[0].state == ReportState.actioned
    assert len(audit("moderation_hide")) == 1
    # a second report, then delete
    report(client_as(klass.owner), klass.circle, kind, thing.id)
    assert _act(client_as(klass.teacher), klass.circle, kind, thing.id, "delete").status_code == 302
    db.session.expire_all()
    gone = db.session.get(model, thing_id)
    assert gone is None or getattr(gone, "deleted_at", None) is not None or \
        getattr(gone, "state", None) == CommentState.removed
    assert len(audit("moderation_delete")) == 1


def test_hidden_checkin_comment_and_video_comment_are_not_shown_to_classmates(klass, hw, client_as):
    comment = make_checkin_comment(klass.circle, klass.student, "mean words here")
    checkin_id = comment.checkin_id
    from lms.checkins.models import Checkin

    checkin = db.session.get(Checkin, checkin_id)
    url = f"/c/{klass.circle.id}/checkins/{checkin.task_id}/entries/{checkin_id}"
    report(client_as(klass.classmate), klass.circle, "checkin_comment", comment.id)
    _act(client_as(klass.teacher), klass.circle, "checkin_comment", comment.id, "hide")
    assert "mean words here" not in client_as(klass.classmate).get(url).get_data(as_text=True)
    assert "mean words here" in client_as(klass.teacher).get(url).get_data(as_text=True)
    assert "mean words here" in client_as(klass.student).get(url).get_data(as_text=True)  # its author

    video = make_video_comment(klass.circle, klass.classmate, hw, "rude remark", viewer=klass.student)
    report(client_as(klass.student), klass.circle, "video_comment", video.id)
    _act(client_as(klass.teacher), klass.circle, "video_comment", video.id, "hide")
    sub = video.submission
    comments_url = f"/circles/{klass.circle.id}/assignments/{sub.assignment_id}/submissions/{sub.id}/comments"
    listed = client_as(klass.teacher).get(comments_url)
    assert any(c["body"] == "rude remark" for c in listed.get_json()["comments"])
    by_owner = client_as(klass.owner).get(comments_url).get_json()["comments"]
    assert any(c["body"] == "rude remark" for c in by_owner)
    own = client_as(klass.classmate).get(comments_url).get_json()["comments"]
    assert any(c["body"] == "rude remark" for c in own)  # its author still reads it
    db.session.expire_all()
    hidden = db.session.get(type(video), video.id)
    assert not hidden.is_visible_to(klass.student, is_staff=False, released=True)  # nobody else


def test_mute_sets_muted_until_and_remove_refuses_rejoining(klass, client_as, reported_post):
    _act(client_as(klass.teacher), klass.circle, "post", reported_post.id, "mute", mute_minutes="1440")
    assert membership(klass.circle, klass.student).is_muted()
    post2 = make_post(klass.circle, klass.classmate, "another")
    report(client_as(klass.owner), klass.circle, "post", post2.id)
    _act(client_as(klass.teacher), klass.circle, "post", post2.id, "remove")
    assert membership(klass.circle, klass.classmate).status == MembershipStatus.removed
    assert membership(klass.circle, klass.classmate).is_barred  # only a readmission brings them back


def test_ban_removes_and_hides_everything_they_wrote(klass, client_as, reported_post):
    """Does a ban take the author out and hide their other posts and comments in the circle?"""
    other = make_post(klass.circle, klass.student, "second post")
    comment = make_comment(klass.circle, klass.student, "and a comment")
    _act(client_as(klass.owner), klass.circle, "post", reported_post.id, "ban")
    db.session.expire_all()
    assert membership(klass.circle, klass.student).status == MembershipStatus.removed
    assert db.session.get(type(other), other.id).state == PostState.hidden
    assert db.session.get(type(comment), comment.id).state == CommentState.hidden
    assert len(audit("moderation_ban")) == 1


def test_staff_cannot_be_muted_or_banned_from_the_queue(klass, client_as):
    post = make_post(klass.circle, klass.assistant)
    report(client_as(klass.student), klass.circle, "post", post.id)
    _act(client_as(klass.teacher), klass.circle, "post", post.id, "mute", mute_minutes="60")
    assert not membership(klass.circle, klass.assistant).is_muted()
    assert reports()[0].state == ReportState.open


def test_site_admin_hides_and_suspends(klass, client_as, reported_post):
    """Can a site admin hide content site-wide and suspend the author's account (the disable path)?"""
    admin = client_as(klass.admin)
    assert _act(admin, klass.circle, "post", reported_post.id, "site_hide").status_code == 302
    assert len(audit("moderation_site_hide")) == 1
    post2 = make_post(klass.circle, klass.student, "more spam")
    report(client_as(klass.classmate), klass.circle, "post", post2.id)
    response = admin.post(f"/admin/moderation/users/{klass.student.id}/suspend", data={
        "reason": "Spam account", "circle_id": klass.circle.id, "kind": "post", "object_id": post2.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert klass.student.is_disabled
    assert len(audit("moderation_suspend")) == 1 and len(audit("account_disabled")) == 1
    assert all(r.state != ReportState.open for r in reports())
    # a teacher may not use the site admin's actions
    post3 = make_post(klass.circle, klass.classmate, "x")
    assert _act(client_as(klass.teacher), klass.circle, "post", post3.id, "site_hide").status_code == 403
    assert client_as(klass.teacher).post(f"/admin/moderation/users/{klass.classmate.id}/suspend",
                                         data={"reason": "x"}).status_code == 404


def test_every_action_is_kept_as_a_moderation_action(klass, client_as, reported_post):
    _act(client_as(klass.teacher), klass.circle, "post", reported_post.id, "warn")
    [record] = db.session.scalars(db.select(ModerationAction)).all()
    assert record.action.value == "warn" and record.target_user_id == klass.student.id
    assert reports()[0].action_id == record.id
