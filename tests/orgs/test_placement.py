"""A teacher's own circle placed into their school, seen by its admin, and taken out again; the links from
the home page to one's organizations."""
from __future__ import annotations

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.circles.models import Circle, Role
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.fixtures.app import page_text


@pytest.fixture
def own_circle(make, school):
    """Tom (a teacher of Hill School) owns "Tom's violin club", which belongs to no organization; Sam is
    its student, Tina (another Hill teacher) its teacher, and Rita teaches only at River School."""
    circle = make.circle(school.teacher, "Tom's violin club")
    make.member(circle, school.student, Role.student)
    make.member(circle, school.teacher2, Role.teacher)
    river = org_ops.create_org("River School")
    rita = make.user("Rita River")
    org_ops.add_org_member(river, rita, OrgRole.teacher)
    make.member(circle, rita, Role.teacher)
    db.session.commit()
    return {"circle": circle, "river": river, "rita": rita}


def _place(client, circle, org):
    return client.post(f"/orgs/circles/{circle.id}/place", data={"org_id": org.id})


def _events(action):
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_owner_places_circle_and_the_org_admin_sees_it(client_as, school, own_circle):
    """Does the owner, a teacher of the school, place their circle there, so that it is on the school's page
    and its admin may open it, with an audit record naming both?"""
    circle = own_circle["circle"]
    admin = client_as(school.admin)
    assert admin.get(f"/c/{circle.id}").status_code == 404  # not the school's yet
    response = _place(client_as(school.teacher), circle, school.org)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/c/{circle.id}/settings#organization")
    assert db.session.get(Circle, circle.id).org_id == school.org.id
    assert "Tom's violin club" in page_text(admin.get(f"/orgs/{school.org.id}"))
    assert admin.get(f"/c/{circle.id}").status_code == 200
    [event] = _events(AuditAction.circle_moved_to_org)
    assert (event.actor_id, event.circle_id, event.org_id) == (school.teacher.id, circle.id, school.org.id)


def test_settings_offer_only_the_owners_schools(client_as, school, own_circle):
    """Does the owner's settings page offer the schools where they teach, and no one else's page offer any?"""
    circle = own_circle["circle"]
    html = client_as(school.teacher).get(f"/c/{circle.id}/settings").get_data(as_text=True)
    assert f'<option value="{school.org.id}">Hill School</option>' in html
    assert "River School" not in html
    teacher_html = client_as(school.teacher2).get(f"/c/{circle.id}/settings").get_data(as_text=True)
    assert f"/orgs/circles/{circle.id}/place" not in teacher_html  # a teacher of the circle, not its owner


@pytest.mark.parametrize("who, org, status", [
    ("rita", "river", 403),  # teaches the circle and at River School, but does not own the circle
    ("teacher2", "org", 403),  # teaches the circle and at Hill School, but does not own the circle
    ("student", "org", 403),  # the circle's student (and a Hill School student)
    ("outsider", "org", 404),  # a stranger to the circle
    ("admin", "org", 404),  # Hill's admin cannot take a circle that is not the school's
])
def test_only_the_owner_places_a_circle(client_as, school, own_circle, who, org, status):
    """Is placing a circle refused to everyone but its owner (strangers to the circle get 404)?"""
    circle = own_circle["circle"]
    user = own_circle["rita"] if who == "rita" else getattr(school, who)
    target = own_circle["river"] if org == "river" else school.org
    assert _place(client_as(user), circle, target).status_code == status
    assert db.session.get(Circle, circle.id).org_id is None and not _events(AuditAction.circle_moved_to_org)


def test_owner_cannot_place_circle_in_a_school_where_they_do_not_teach(client_as, make, school, own_circle):
    """Is the owner refused a school where they are not a teacher: 404 where they are unknown, 403 where
    they are only a student?"""
    circle = own_circle["circle"]
    owner = client_as(school.teacher)
    assert _place(owner, circle, own_circle["river"]).status_code == 404
    org_ops.add_org_member(own_circle["river"], school.teacher, OrgRole.student)
    db.session.commit()
    assert _place(owner, circle, own_circle["river"]).status_code == 403
    assert db.session.get(Circle, circle.id).org_id is None


def test_a_circle_in_a_school_is_not_moved_to_another(client_as, school, own_circle):
    """Is a circle already in one school refused a second placement until it is taken out?"""
    circle = own_circle["circle"]
    owner = client_as(school.teacher)
    assert _place(owner, circle, school.org).status_code == 302
    river = own_circle["river"]
    org_ops.add_org_member(river, school.teacher, OrgRole.teacher)
    db.session.commit()
    assert _place(owner, circle, river).status_code == 403
    assert db.session.get(Circle, circle.id).org_id == school.org.id


@pytest.mark.parametrize("who, status", [
    ("teacher", 302),  # the owner
    ("admin", 302),  # the school's admin
    ("site_admin", 302),
    ("teacher2", 403),  # teaches the circle, not its owner
    ("student", 403),
    ("outsider", 404),
])
def test_who_takes_a_circle_out_of_the_school(client_as, school, own_circle, who, status):
    """May the owner and the school's admin take the circle out again, and nobody else?"""
    circle = own_circle["circle"]
    assert _place(client_as(school.teacher), circle, school.org).status_code == 302
    response = client_as(getattr(school, who)).post(f"/orgs/circles/{circle.id}/take-out")
    assert response.status_code == status
    taken_out = status == 302
    assert (db.session.get(Circle, circle.id).org_id is None) == taken_out
    assert len(_events(AuditAction.circle_removed_from_org)) == (1 if taken_out else 0)


def test_admin_who_takes_a_circle_out_lands_on_the_school_page(client_as, school, own_circle):
    """Once the school's admin took a circle out (and so no longer sees it), is she sent to the school's page?"""
    circle = own_circle["circle"]
    _place(client_as(school.teacher), circle, school.org)
    admin = client_as(school.admin)
    response = admin.post(f"/orgs/circles/{circle.id}/take-out")
    assert response.headers["Location"].endswith(f"/orgs/{school.org.id}")
    assert admin.get(f"/c/{circle.id}").status_code == 404
    [event] = _events(AuditAction.circle_removed_from_org)
    assert (event.actor_id, event.org_id) == (school.admin.id, school.org.id)


@pytest.mark.parametrize("who, linked", [("admin", True), ("teacher", True), ("student", False),
                                         ("outsider", False)])
def test_home_page_links_to_my_schools(client_as, school, who, linked):
    """Does the home page link a school's admins and teachers to the school's page (and nobody else)?"""
    html = client_as(getattr(school, who)).get("/").get_data(as_text=True)
    assert (f'href="/orgs/{school.org.id}"' in html) == linked
