"""Reports about a staff member (what they wrote, or their profile) go above them: the organization's and the
site's admins, the circle's owner for a teacher or an assistant; never the subject, nor staff at their level."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.core.types import utcnow
from lms.extensions import db
from lms.moderation import operations as ops
from lms.moderation.models import Report
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.fixtures.app import page_text
from tests.moderation.support import make_checkin, make_post, membership, notifications_of, report


@pytest.fixture
def org_admin(klass, make):
    """The class belongs to North School, whose admin is Grace."""
    grace = make.user("Grace Org Admin")
    org = org_ops.create_org("North School")
    org_ops.add_org_member(org, grace, OrgRole.admin, klass.admin)
    klass.circle.org_id = org.id
    db.session.commit()
    return grace


def _queue_text(client, klass):
    return page_text(client.get(f"/c/{klass.circle.id}/moderation"))


def test_a_report_about_the_teacher_goes_to_the_owner_and_admins_only(klass, org_admin, client_as):
    """When a student reports the teacher's post, are the owner, the org admins and the site admins told, and
    neither the teacher nor the assistant?"""
    post = make_post(klass.circle, klass.teacher, "The teacher's own notice")
    assert report(client_as(klass.student), klass.circle, "post", post.id, "abuse").status_code == 201
    for person in (klass.owner, org_admin, klass.admin):
        assert len(notifications_of(person, "moderation_report")) == 1, person
    for person in (klass.teacher, klass.assistant):
        assert notifications_of(person, "moderation_report") == [], person


def test_the_subject_does_not_see_the_report_nor_who_filed_it(klass, org_admin, client_as):
    """Does the teacher's own queue leave out the report about their profile (and the reporter's name), while
    the owner's and the org admin's show it?"""
    teacher = membership(klass.circle, klass.teacher)
    report(client_as(klass.student), klass.circle, "member", teacher.id, "other", "Shouts at us")
    for person in (klass.teacher, klass.assistant):
        text = _queue_text(client_as(person), klass)
        assert "Shouts at us" not in text and "Student In Class" not in text
    for person in (klass.owner, org_admin):
        assert "Shouts at us" in _queue_text(client_as(person), klass)


def test_the_subject_cannot_act_on_a_report_about_them(klass, client_as):
    """Can the teacher dismiss (through its URL) a report about their own check-in?"""
    checkin = make_checkin(klass.circle, klass.teacher, "My own reading")
    report(client_as(klass.student), klass.circle, "checkin", checkin.id, "spam")
    client = client_as(klass.teacher)
    response = client.post(f"/c/{klass.circle.id}/moderation/checkin/{checkin.id}/dismiss",
                           data={"reason": "Nothing wrong", "csrf_token": client.csrf_token()})
    assert response.status_code == 404  # for them there is no such report
    assert db.session.scalar(db.select(Report.state)).value == "open"


def test_a_report_about_the_owner_of_a_circle_without_org_goes_to_site_admins(klass, client_as):
    """With no organization above the circle, does a report about the owner reach the site admins only?"""
    post = make_post(klass.circle, klass.owner, "Owner's post")
    report(client_as(klass.student), klass.circle, "post", post.id, "spam")
    assert len(notifications_of(klass.admin, "moderation_report")) == 1
    for person in (klass.owner, klass.teacher, klass.assistant):
        assert notifications_of(person, "moderation_report") == [], person
        assert "Owner's post" not in _queue_text(client_as(person), klass)
    assert "Owner's post" in page_text(client_as(klass.admin).get("/admin/moderation"))


def test_the_reminder_about_a_staff_report_skips_the_subject(klass, client_as, app, monkeypatch):
    """Is the teacher left out of the reminder that a report about them still waits?"""
    post = make_post(klass.circle, klass.teacher, "Teacher's post")
    report(client_as(klass.student), klass.circle, "post", post.id, "spam")
    db.session.execute(db.update(Report).values(created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    assert ops.escalate_waiting() == 1
    db.session.commit()
    assert len(notifications_of(klass.owner, "moderation_escalation")) == 1
    assert notifications_of(klass.teacher, "moderation_escalation") == []


def test_reports_about_students_still_reach_all_the_staff(klass, client_as):
    """Is a report about a student still told to, and shown in the queue of, the teacher and the assistant?"""
    post = make_post(klass.circle, klass.student, "A student's post")
    report(client_as(klass.classmate), klass.circle, "post", post.id, "spam")
    for person in (klass.owner, klass.teacher, klass.assistant):
        assert len(notifications_of(person, "moderation_report")) == 1
        assert "A student's post" in _queue_text(client_as(person), klass)


@pytest.fixture
def teaching_org_admin(klass, org_admin, make):
    """Grace, North School's admin, also teaches the class; Henry is North School's other admin."""
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role

    henry = make.user("Henry Org Admin")
    org_ops.add_org_member(klass.circle.org, henry, OrgRole.admin, klass.admin)
    circle_ops.add_member(klass.circle, org_admin, Role.teacher, display_name="Grace In Class")
    db.session.commit()
    return org_admin, henry


def _org_queue_text(client, klass):
    return page_text(client.get(f"/orgs/{klass.circle.org_id}/moderation"))


def test_a_report_about_an_org_admin_goes_to_the_site_admins_only(klass, teaching_org_admin, client_as):
    """When a student reports a post by the org admin who teaches the class, is it told to, and shown to, the
    site admins only: not to her (in the org's queue or the circle's), not to her fellow org admin, not to the
    class's owner or teacher?"""
    grace, henry = teaching_org_admin
    post = make_post(klass.circle, grace, "Grace's announcement")
    assert report(client_as(klass.student), klass.circle, "post", post.id, "abuse").status_code == 201
    assert len(notifications_of(klass.admin, "moderation_report")) == 1
    for person in (grace, henry, klass.owner, klass.teacher, klass.assistant):
        assert notifications_of(person, "moderation_report") == [], person
        assert "Grace's announcement" not in _queue_text(client_as(person), klass), person
    for person in (grace, henry):
        text = _org_queue_text(client_as(person), klass)
        assert "Grace's announcement" not in text and "Waiting now: 0" in text, person
    assert "Grace's announcement" in page_text(client_as(klass.admin).get("/admin/moderation"))
    assert "Grace's announcement" in _queue_text(client_as(klass.admin), klass)
    client = client_as(grace)
    response = client.post(f"/c/{klass.circle.id}/moderation/post/{post.id}/dismiss",
                           data={"reason": "Fine", "csrf_token": client.csrf_token()})
    assert response.status_code == 404
    assert db.session.scalar(db.select(Report.state)).value == "open"


def test_an_org_admin_still_reviews_the_class_staff_in_the_org_queue(klass, teaching_org_admin, client_as):
    """Does a report about the class's owner still reach the org admins' queue?"""
    grace, henry = teaching_org_admin
    post = make_post(klass.circle, klass.owner, "Owner's notice")
    report(client_as(klass.student), klass.circle, "post", post.id, "spam")
    for person in (grace, henry):
        assert len(notifications_of(person, "moderation_report")) == 1
        assert "Owner's notice" in _org_queue_text(client_as(person), klass)


def test_a_site_admin_never_sees_a_report_about_themselves(klass, make, client_as):
    """A site admin who is also in the class: is a report about their post told to and shown to the other site
    admins only, and left out of their own site queue?"""
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role

    other = make.user("Other Admin", is_admin=True)
    circle_ops.add_member(klass.circle, klass.admin, Role.student, display_name="Admin In Class")
    db.session.commit()
    post = make_post(klass.circle, klass.admin, "Admin's question")
    report(client_as(klass.student), klass.circle, "post", post.id, "spam")
    assert notifications_of(klass.admin, "moderation_report") == []
    assert len(notifications_of(other, "moderation_report")) == 1
    for person in (klass.owner, klass.teacher):
        assert notifications_of(person, "moderation_report") == [], person
        assert "Admin's question" not in _queue_text(client_as(person), klass)
    assert "Admin's question" not in page_text(client_as(klass.admin).get("/admin/moderation"))
    assert "Admin's question" in page_text(client_as(other).get("/admin/moderation"))
