"""Removing a person from all classes of the organization: a confirmation page listing the classes, each removal
through the circles' own (work kept, the person told, the class's audit log), one audit entry for the
organization, the classes they own or archived ones left alone, and who may."""
from __future__ import annotations

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.circles.models import CircleKind, JoinPolicy, Membership, MembershipStatus, Role
from lms.extensions import db
from lms.grading.models import Grade
from lms.homework.models import Submission
from lms.notifications.models import Notification
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.fixtures.queries import QueryCounter
from tests.orgs.school import build_school


@pytest.fixture
def mei(make, hw, school):
    """Mei is a student of "Existing class" (a hand-in, a released grade) and of "Room B", an assistant of
    "Room C", and (a teacher of the school too) the owner of "Mei's club"."""
    mei = make.user("Mei Chen")
    make.member(school.klass, mei)
    assignment = hw.assignment(school.klass, author=school.teacher)
    hw.submission(assignment, mei)
    hw.grade(assignment, mei, score=88)
    room_b, room_c = org_ops.create_classes(school.org, ["Room B", "Room C"], school.teacher2, CircleKind.teaching,
                                            JoinPolicy.code, actor=school.site_admin)
    org_ops.add_org_member(school.org, mei, OrgRole.teacher)
    [club] = org_ops.create_classes(school.org, ["Mei's club"], mei, CircleKind.teaching, JoinPolicy.code,
                                    actor=school.site_admin)
    make.member(room_b, mei)
    make.member(room_c, mei, role=Role.assistant)
    db.session.commit()
    return mei, room_b, room_c, club


def _memberships(user):
    db.session.expire_all()
    return {m.circle.name: m for m in db.session.scalars(db.select(Membership).where(Membership.user_id == user.id))}


def test_the_confirmation_lists_the_classes_and_changes_nothing(client, login, school, mei):
    """Does the confirmation page list the classes she leaves and the one she owns (kept), and change nothing?"""
    user = mei[0]
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/people/{user.id}/remove").get_data(as_text=True)
    assert "Existing class" in page and "Room B" in page and "Room C" in page
    assert f'id="kept-{mei[3].id}"' in page and "hand the class over first" in page
    assert all(m.status == MembershipStatus.active for m in _memberships(user).values())


def test_removing_from_all_classes_keeps_the_work_and_tells_them(client, login, school, mei):
    """Does the removal take Mei out of her three classes (removed, as a teacher's removal does), keep her club,
    her hand-in and grade, tell her once per class, and record one entry per class and one for the org?"""
    user = mei[0]
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/people/{user.id}/remove")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    states = {name: m.status for name, m in _memberships(user).items()}
    assert states == {"Existing class": MembershipStatus.removed, "Room B": MembershipStatus.removed,
                      "Room C": MembershipStatus.removed, "Mei's club": MembershipStatus.active}
    assert db.session.scalar(db.select(db.func.count()).select_from(Submission)
                             .where(Submission.student_id == user.id)) == 1
    assert db.session.scalar(db.select(Grade.score).where(Grade.student_id == user.id)) == 88
    told = db.session.scalars(db.select(Notification.circle_id).where(Notification.user_id == user.id,
                                                                      Notification.kind == "member_removed")).all()
    assert sorted(told) == sorted([school.klass.id, mei[1].id, mei[2].id])
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_removed.value)
                                .order_by(AuditEvent.id)).all()
    assert len(events) == 4
    org_event = events[-1]
    assert org_event.org_id == school.org.id and org_event.actor_id == school.admin.id
    assert org_event.details["via"] == "org_remove_all"
    assert sorted(org_event.details["removed_from"]) == ["Existing class", "Room B", "Room C"]
    assert "removed from 3 classes" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_nothing_left_to_remove_is_refused(client, login, school, mei):
    """Once removed, is a second removal refused with the reason (422) and nothing recorded again?"""
    user = mei[0]
    login(school.admin)
    url = f"/orgs/{school.org.id}/people/{user.id}/remove"
    assert client.post(url).status_code == 302
    before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    response = client.post(url)
    assert response.status_code == 422 and "no class of the organization" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == before


def test_an_archived_class_is_left_alone(client, login, school, mei):
    """Does the removal leave her in an archived class (read-only) and take her out of the others?"""
    user, room_b = mei[0], mei[1]
    room_b.is_archived = True
    db.session.commit()
    login(school.admin)
    assert client.post(f"/orgs/{school.org.id}/people/{user.id}/remove").status_code == 302
    states = _memberships(user)
    assert states["Room B"].status == MembershipStatus.active
    assert states["Existing class"].status == MembershipStatus.removed


def test_the_confirmation_reads_a_fixed_number_of_queries(app, client, login, make, school):
    """Is the confirmation page's query count the same for a person in 2 classes and in 12?"""
    user = make.user("Many Classes")
    login(school.admin)

    def count() -> int:
        with QueryCounter() as counter:
            assert client.get(f"/orgs/{school.org.id}/people/{user.id}/remove").status_code == 200
        return counter.count

    def add(prefix, n):
        for klass in org_ops.create_classes(school.org, [f"{prefix}{i}" for i in range(n)],
                                            school.teacher, CircleKind.teaching, JoinPolicy.code,
                                            actor=school.site_admin):
            make.member(klass, user)
        db.session.commit()

    add("A", 2)
    count()  # the first request warms the per-process caches
    few = count()
    add("B", 10)
    assert count() == few


@pytest.mark.parametrize("who, expected", [("site_admin", 200), ("admin", 200), ("teacher", 404),
                                           ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                           ("anonymous", "login")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_removal_by_role(client, login, make, school, mei, who, expected, method):
    """Are the confirmation and the removal for the org's admins and site admins only (404 for its teachers, a
    teacher of another school, its students and strangers), and does a refused POST change nothing?"""
    user = mei[0]
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    url = f"/orgs/{school.org.id}/people/{user.id}/remove"
    response = client.get(url) if method == "GET" else client.post(url)
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif method == "POST" and expected == 200:
        assert response.status_code == 302
    else:
        assert response.status_code == expected
    if method == "POST" and expected != 200:
        assert _memberships(user)["Existing class"].status == MembershipStatus.active


def test_a_stranger_to_the_org_is_404(client, login, make, school, mei):
    """Is someone in no class of the school (a teacher of another) 404 on the removal page?"""
    other = build_school(make, "Other School")
    login(school.admin)
    assert client.get(f"/orgs/{school.org.id}/people/{other.teacher.id}/remove").status_code == 404


def test_the_pages_say_removed_not_left(client, login, school, mei):
    """After the removal, do her page, the roster and her activity say she was removed from those classes (kept out
    until the staff readmit her), not that she left them (they did: fresh-eyes trial)?"""
    user = mei[0]
    login(school.admin)
    client.post(f"/orgs/{school.org.id}/people/{user.id}/remove")
    base = f"/orgs/{school.org.id}/people"
    for url in (f"{base}/{user.id}", f"{base}?q=mei", f"{base}/{user.id}/activity"):
        page = client.get(url).get_data(as_text=True)
        assert page.count("Removed from the class") == 3, url
        assert "Left the class" not in page, url
