"""Reporting: every kind, one report per person, the admins told at once, the reporter answered."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.moderation.models import ReportKind, ReportReason, ReportState
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.moderation.support import (make_checkin, make_checkin_comment, make_comment, make_post, make_video_comment,
                                      membership, notifications_of, report, reports)


def _thing(kind, klass, hw):
    author = klass.student
    if kind == "post":
        return make_post(klass.circle, author).id
    if kind == "comment":
        return make_comment(klass.circle, author).id
    if kind == "video_comment":
        return make_video_comment(klass.circle, author, hw, viewer=klass.classmate).id
    if kind == "checkin":
        return make_checkin(klass.circle, author).id
    if kind == "checkin_comment":
        return make_checkin_comment(klass.circle, author).id
    return membership(klass.circle, author).id


KINDS = ["post", "comment", "video_comment", "checkin", "checkin_comment", "member"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_member_reports_each_kind_and_the_staff_hear_at_once(kind, klass, hw, client_as):
    """Can a classmate report a post, comment, video comment, check-in, check-in comment and a member, and are
    the circle's staff told at once?"""
    object_id = _thing(kind, klass, hw)
    response = report(client_as(klass.classmate), klass.circle, kind, object_id, "abuse", "rude words")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "staff will look at it" in response.get_json()["message"]
    [filed] = reports()
    assert (filed.kind, filed.object_id, filed.reason, filed.state) == (
        ReportKind(kind), object_id, ReportReason.abuse, ReportState.open)
    assert filed.author_id == klass.student.id and filed.details == "rude words"
    for person in (klass.owner, klass.teacher, klass.assistant):
        assert len(notifications_of(person, "moderation_report")) == 1
    assert notifications_of(klass.student, "moderation_report") == []


def test_a_second_report_by_the_same_person_is_the_same_report(klass, client_as):
    """Does reporting the same post twice keep one report, unchanged as the answer "you reported this already"
    says (not silently given the new reason), and tell the staff once?"""
    post = make_post(klass.circle, klass.student)
    client = client_as(klass.classmate)
    assert report(client, klass.circle, "post", post.id, "spam").status_code == 201
    again = report(client, klass.circle, "post", post.id, "inappropriate")
    assert again.status_code == 200 and "already" in again.get_json()["message"]
    [filed] = reports()
    assert filed.reason == ReportReason.spam
    assert len(notifications_of(klass.owner, "moderation_report")) == 1


def test_reports_by_two_people_count_twice(klass, client_as):
    post = make_post(klass.circle, klass.student)
    report(client_as(klass.classmate), klass.circle, "post", post.id)
    report(client_as(klass.teacher), klass.circle, "post", post.id)
    assert len(reports()) == 2


def test_other_needs_text_and_own_content_cannot_be_reported(klass, client_as):
    post = make_post(klass.circle, klass.student)
    response = report(client_as(klass.classmate), klass.circle, "post", post.id, "other", "")
    assert response.status_code == 422 and "Say what is wrong" in response.get_json()["message"]
    own = report(client_as(klass.student), klass.circle, "post", post.id, "spam")
    assert own.status_code == 422 and "yourself" in own.get_json()["message"]
    assert reports() == []


def test_a_thing_of_another_circle_cannot_be_reported_through_this_one(klass, make, client_as):
    """Is a post id of another circle refused (as not there) through this circle's report route?"""
    other = make.circle()
    make.member(other, klass.student)
    post = make_post(other, klass.student)
    response = report(client_as(klass.classmate), klass.circle, "post", post.id)
    assert response.status_code == 422 and reports() == []


def test_org_admins_hear_of_reports_in_their_classes(klass, make, client_as):
    """Is an admin of the circle's organization told of a new report as the staff are?"""
    org_admin = make.user("Org Admin")
    org = org_ops.create_org("North School")
    org_ops.add_org_member(org, org_admin, OrgRole.admin, klass.admin)
    klass.circle.org_id = org.id
    db.session.commit()
    post = make_post(klass.circle, klass.student)
    report(client_as(klass.classmate), klass.circle, "post", post.id)
    assert len(notifications_of(org_admin, "moderation_report")) == 1


def test_the_report_form_also_works_without_script(klass, client_as):
    """Does a plain form post (no JSON) file the report and send the member back with a message?"""
    post = make_post(klass.circle, klass.student)
    response = client_as(klass.classmate).post(f"/c/{klass.circle.id}/moderation/report", data={
        "kind": "post", "object_id": post.id, "reason": "spam", "next": f"/circles/{klass.circle.id}/feed"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/circles/{klass.circle.id}/feed")
    assert len(reports()) == 1


def test_only_what_the_reporter_can_see_can_be_reported(klass, hw, client_as):
    """A video comment on work the classmate may not see (peer work hidden), or another member's hidden post,
    answers as if it were not there."""
    assignment = hw.assignment(klass.circle, title="Private work")
    submission = hw.submission(assignment, klass.student)
    from lms.homework import operations as hw_ops

    comment = hw_ops.add_video_comment(submission, klass.student, "note to self")
    db.session.commit()
    response = report(client_as(klass.classmate), klass.circle, "video_comment", comment.id)
    assert response.status_code == 422 and "no longer there" in response.get_json()["message"]
    assert reports() == []
