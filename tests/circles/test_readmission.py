"""Removed members stay out: every way in refuses them, nothing is spent, and only staff readmit them."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.accounts.models import User
from lms.audit.models import AuditAction, AuditEvent
from lms.circles import operations as ops
from lms.circles.models import Circle, CourseCode, Invite, JoinPolicy, Membership, MembershipStatus, Role
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.circles.helpers import membership, reload
from tests.fixtures.app import page_text

REFUSAL = "You were removed from this circle; ask its teacher to readmit you."


@dataclass
class Removed:
    circle: Circle
    owner: User
    student: User
    membership: Membership


def _remove(as_user, owner, circle, m) -> None:
    assert as_user(owner).post(f"/c/{circle.id}/members/{m.id}/remove").status_code == 302


@pytest.fixture
def removed(make, as_user):
    """A code circle of 3 (owner, Pat, Quinn) from which the owner removed Pat: 2 members left."""
    owner = make.user()
    circle = make.circle(owner, owner_display_name="Ms Owner")
    student = make.user(name="Pat")
    m = make.member(circle, student, display_name="Pat", student_no="S-1")
    make.member(circle, display_name="Quinn")
    _remove(as_user, owner, circle, m)
    assert membership(circle, student).status == MembershipStatus.removed
    assert reload(circle).member_count == 2
    return Removed(reload(circle), owner, student, membership(circle, student))


def _still_out(r: Removed) -> None:
    assert membership(r.circle, r.student).status == MembershipStatus.removed
    assert reload(r.circle).member_count == 2


# -- every way in refuses them -------------------------------------------------------------

def test_invite_link_refuses_a_removed_member_and_spends_no_use(removed, as_user):
    """Does the class's invite link (the issue's case) refuse a removed student, before and on posting,
    without counting a use?"""
    invite = ops.create_invite(removed.circle, removed.owner, role=Role.student, max_uses=5, expires_at=None)
    db.session.commit()
    them = as_user(removed.student)
    page = them.get(f"/i/{invite.token}")
    assert page.status_code == 403 and REFUSAL in page_text(page)
    response = them.post(f"/i/{invite.token}", data={"display_name": "Pat"})
    assert response.status_code == 403 and REFUSAL in page_text(response)
    assert db.session.get(Invite, invite.id).uses == 0
    _still_out(removed)


def test_join_code_refuses_a_removed_member(removed, as_user):
    """Is the circle's join code refused, typed on /join or opened as a link?"""
    them = as_user(removed.student)
    typed = them.post("/join", data={"code": removed.circle.join_code})
    assert typed.status_code == 302
    confirm = them.get(typed.headers["Location"])
    assert confirm.status_code == 403 and REFUSAL in page_text(confirm)
    posted = them.post(typed.headers["Location"], data={"display_name": "Pat"})
    assert posted.status_code == 403 and REFUSAL in page_text(posted)
    _still_out(removed)


def test_course_code_refuses_a_removed_member_and_stays_unused(removed, as_user, make):
    """Is a single-use course code refused, and still free for the student it was meant for?"""
    code = ops.generate_course_codes(removed.circle, 1, batch="Term 2", expires_at=None)[0]
    db.session.commit()
    them = as_user(removed.student)
    response = them.post(f"/join/{code.code}", data={"display_name": "Pat"})
    assert response.status_code == 403 and REFUSAL in page_text(response)
    assert db.session.get(CourseCode, code.id).redeemed_at is None
    _still_out(removed)
    newcomer = make.user()
    assert as_user(newcomer).post(f"/join/{code.code}", data={"display_name": "Newcomer"}).status_code == 302
    assert db.session.get(CourseCode, code.id).redeemed_by_id == newcomer.id


def test_course_code_operation_refuses_before_spending(removed):
    """Does join_with_course_code refuse a removed member before it marks the code used?"""
    code = ops.generate_course_codes(removed.circle, 1, batch="B", expires_at=None)[0]
    db.session.commit()
    with pytest.raises(ops.MemberBarred):
        ops.join_with_course_code(code, removed.student, display_name="Pat")
    db.session.rollback()
    assert db.session.get(CourseCode, code.id).redeemed_at is None


@pytest.mark.parametrize("policy", [JoinPolicy.open, JoinPolicy.approval])
def test_circle_page_refuses_a_removed_member(removed, as_user, policy):
    """In an open circle (join at once) and an approval circle (ask to join), is a removed member
    told why on the page and refused on posting, with no request created?"""
    removed.circle.join_policy = policy
    db.session.commit()
    them = as_user(removed.student)
    page = them.get(f"/c/{removed.circle.id}")
    assert page.status_code == 200 and REFUSAL in page_text(page)
    assert 'name="display_name"' not in page.get_data(as_text=True)
    response = them.post(f"/c/{removed.circle.id}/join", data={"display_name": "Pat", "message": "please"})
    assert response.status_code == 422 and REFUSAL in page_text(response)
    _still_out(removed)


def test_join_code_of_an_approval_circle_sends_no_request(removed, as_user):
    """Does the join code of an approval circle refuse a removed member instead of filing a request?"""
    removed.circle.join_policy = JoinPolicy.approval
    db.session.commit()
    them = as_user(removed.student)
    response = them.post(f"/join/{removed.circle.join_code}", data={"display_name": "Pat"})
    assert response.status_code == 403
    _still_out(removed)


def test_staff_add_and_bulk_paths_refuse_without_readmission(removed):
    """Does a direct add (demo data, bulk enrolment, an org assigning a teacher) refuse a removed
    member with a message for the staff, even as a teacher?"""
    with pytest.raises(ops.MemberBarred) as refused:
        ops.add_member(removed.circle, removed.student, Role.teacher)
    assert "Pat was removed from this circle. Readmit them from the roster" in str(refused.value)
    with pytest.raises(ops.MemberBarred):
        ops.add_member(removed.circle, removed.student, Role.student, actor=removed.owner)  # not explicit
    db.session.rollback()
    _still_out(removed)


def test_org_admin_assigning_a_removed_teacher_is_refused(removed, as_user, make):
    """Is an org admin who assigns a removed teacher to the class refused with the reason?"""
    org = org_ops.create_org("School")
    admin = make.user()
    org_ops.add_org_member(org, admin, OrgRole.admin)
    org_ops.add_org_member(org, removed.student, OrgRole.teacher)
    circle = db.session.get(Circle, removed.circle.id)
    circle.org_id = org.id
    db.session.commit()
    response = as_user(admin).post(f"/orgs/{org.id}/assign-teacher",
                                   data={"class_id": circle.id, "assignee_id": removed.student.id})
    assert response.status_code == 422
    assert "Pat was removed from this circle. Readmit them from the roster" in page_text(response)
    _still_out(removed)


def test_someone_who_left_may_come_back(make, as_user):
    """Is leaving (by choice) not a removal: may they rejoin with the code?"""
    circle = make.circle()
    student = make.user()
    make.member(circle, student, display_name="Lee")
    them = as_user(student)
    assert them.post(f"/c/{circle.id}/leave").status_code == 302
    assert them.post(f"/join/{circle.join_code}", data={"display_name": "Lee"}).status_code == 302
    assert membership(circle, student).is_active


# -- the staff see them and readmit them ---------------------------------------------------

def test_staff_see_removed_members_and_students_do_not(removed, as_user, make):
    """Does the roster's "removed" list show removed members to the staff, and only to them?"""
    owner_view = as_user(removed.owner).get(f"/c/{removed.circle.id}/members")
    assert "1 removed" in page_text(owner_view)
    listing = as_user(removed.owner).get(f"/c/{removed.circle.id}/members?status=removed")
    html = listing.get_data(as_text=True)
    assert '<span class="member-name">Pat</span>' in html and "Quinn" not in html
    assert f"/members/{removed.membership.id}/readmit" in html
    classmate = make.user()
    make.member(removed.circle, classmate, display_name="Cleo")
    student_view = as_user(classmate).get(f"/c/{removed.circle.id}/members?status=removed")
    assert '<span class="member-name">Pat</span>' not in student_view.get_data(as_text=True)
    assert "Quinn" in student_view.get_data(as_text=True)  # the ordinary list instead


def test_removed_list_says_what_it_is_and_when_each_was_removed(removed, as_user, make):
    """Issue 8, tried in Chinese: does ?status=removed carry a "Removed members" heading, say what
    readmitting does, show when Pat was removed (from the audit log, one query for the page), and
    say "No removed members." once nobody is removed?"""
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_removed.value))
    response = as_user(removed.owner).get(f"/c/{removed.circle.id}/members?status=removed")
    html, text = response.get_data(as_text=True), page_text(response)
    assert "<h2>Removed members</h2>" in html and "Readmitting someone lets them back in" in text
    assert '<th>Removed on</th>' in html and "Joined" not in text
    assert 'aria-current="page">1 removed</a>' in html and '<nav class="subtabs"' in html
    assert f"Pat S-1 Student {event.at.month}/{event.at.day}/{event.at:%y}" in text and "Not recorded" not in text
    assert as_user(removed.owner).post(f"/c/{removed.circle.id}/members/{removed.membership.id}/readmit").status_code == 302
    assert "No removed members." in page_text(as_user(removed.owner).get(f"/c/{removed.circle.id}/members?status=removed"))


def test_removed_dates_take_one_query(removed, make, count_queries):
    """Is the removal date of a page of removed members read in one query, the latest removal each?"""
    from lms.circles import queries as q
    others = [make.member(removed.circle, display_name=f"Gone {n}") for n in range(3)]
    for m in others:
        ops.remove_member(m, removed.owner)
    db.session.commit()
    listed = [removed.membership] + others
    ids = {m.id for m in listed}  # loaded before counting (the commit expired them)
    with count_queries:
        dates = q.removed_at(listed)
    assert count_queries.count == 1 and set(dates) == ids


@pytest.mark.parametrize("policy", [JoinPolicy.code, JoinPolicy.open, JoinPolicy.approval])
def test_removed_student_sees_a_page_saying_so(removed, as_user, policy):
    """Does a removed student opening the circle see a heading saying they were removed (not "Join …")?"""
    removed.circle.join_policy = policy
    db.session.commit()
    response = as_user(removed.student).get(f"/c/{removed.circle.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"<h1>You were removed from {removed.circle.name}</h1>" in html
    assert f"Join {removed.circle.name}" not in html and REFUSAL in page_text(response)
    posted = as_user(removed.student).post(f"/c/{removed.circle.id}/join", data={"display_name": "Pat"})
    assert posted.status_code == 422 and REFUSAL in page_text(posted)
    _still_out(removed)


def test_teacher_readmits_and_it_is_audited(removed, as_user):
    """Does readmitting bring the student back with their identity, count them, and leave an audit record?"""
    response = as_user(removed.owner).post(f"/c/{removed.circle.id}/members/{removed.membership.id}/readmit")
    assert response.status_code == 302
    m = membership(removed.circle, removed.student)
    assert m.is_active and m.role == Role.student and m.student_no == "S-1" and m.joined_via == "readmitted"
    assert reload(removed.circle).member_count == 3
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_readmitted.value))
    assert event.actor_id == removed.owner.id and event.target_id == m.id and event.circle_id == removed.circle.id
    assert event.details["from"] == "removed"
    assert as_user(removed.student).get(f"/c/{removed.circle.id}").status_code == 200


@pytest.mark.parametrize("role, removed_role, expected", [
    (Role.teacher, Role.student, 302), (Role.assistant, Role.student, 302),
    (Role.assistant, Role.teacher, 302),  # refused with a message: redirect, still removed
    (Role.student, Role.student, 403), (None, Role.student, 404),
])
def test_who_may_readmit(make, as_user, role, removed_role, expected):
    """Readmission matrix: teachers readmit anyone, assistants only students, students 403, strangers 404."""
    owner = make.user()
    circle = make.circle(owner)
    actor = make.user()
    if role is not None:
        make.member(circle, actor, role)
    target = make.user()
    m = make.member(circle, target, removed_role, display_name="Target")
    _remove(as_user, owner, circle, m)
    acting = as_user(actor)
    response = acting.post(f"/c/{circle.id}/members/{m.id}/readmit")
    assert response.status_code == expected
    readmitted = membership(circle, target).is_active
    assert readmitted == (expected == 302 and not (role == Role.assistant and removed_role == Role.teacher))
    if role == Role.assistant and removed_role == Role.teacher:
        assert "Only the circle's teachers can readmit staff." in page_text(acting.get(response.headers["Location"]))


def test_readmitting_someone_not_removed_is_refused(make, login, client):
    """Is "readmit" on an active member refused with a message (no audit record)?"""
    owner = make.user()
    circle = make.circle(owner)
    m = make.member(circle, display_name="Active Amy")
    login(owner)
    response = client.post(f"/c/{circle.id}/members/{m.id}/readmit", follow_redirects=True)
    assert "Active Amy is not removed from this circle." in page_text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == AuditAction.member_readmitted.value)) == 0


def test_explicit_staff_reenrolment_counts_as_readmission(removed, make):
    """Is a teacher's explicit re-enrolment (a roster import naming the person) a readmission, audited,
    and the same for a student actor refused?"""
    student_actor = make.user()
    make.member(removed.circle, student_actor, display_name="Sam")
    with pytest.raises(ops.MemberBarred):
        ops.add_member(removed.circle, removed.student, Role.student, actor=student_actor, readmit=True)
    db.session.rollback()
    circle = db.session.get(Circle, removed.circle.id)
    ops.add_member(circle, db.session.get(User, removed.student.id), Role.student, via="roster",
                   actor=db.session.get(User, removed.owner.id), readmit=True, student_no="S-1")
    db.session.commit()
    m = membership(circle, removed.student)
    assert m.is_active and m.joined_via == "roster" and m.is_identity_locked
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_readmitted.value))
    assert event.details["via"] == "roster" and event.actor_id == removed.owner.id
