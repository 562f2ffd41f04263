"""Avatars: only the person, people who share a circle or an organization with them, and site admins."""
from __future__ import annotations

import io

import pytest

from lms.circles import operations as ops
from lms.circles.models import Role
from lms.core.images import store_image
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.accounts.helpers import png_bytes
from tests.fixtures.queries import QueryCounter


@pytest.fixture
def people(make):
    """Pat (with an avatar) is a student of circle A (owner Olga, classmate Cleo) and a student of the
    organization School (teacher Tom of School has no circle with Pat). Rex was removed from A, Lea left A,
    Ida asked to join A (pending); Ada admins Org2 whose circle B has Pat's old membership (left);
    Sam is a site admin; Zed is a stranger who shares nothing."""
    names = ("pat", "olga", "cleo", "tom", "rex", "lea", "ida", "ada", "sam", "zed")
    p = {n: make.user(name=n.title()) for n in names}
    p["sam"].is_admin = True
    p["pat"].avatar_key = store_image(io.BytesIO(png_bytes()), "avatars")
    circle = ops.create_circle(p["olga"], "A")
    for n in ("pat", "cleo", "rex", "lea"):
        ops.add_member(circle, p[n], Role.student)
    ops.remove_member(circle.membership_of(p["rex"]), p["olga"])
    ops.leave_circle(circle.membership_of(p["lea"]))
    circle.join_policy = "approval"
    ops.request_to_join(circle, p["ida"])
    school = org_ops.create_org("School")
    org_ops.add_org_member(school, p["pat"], OrgRole.student)
    org_ops.add_org_member(school, p["tom"], OrgRole.teacher)
    org2 = org_ops.create_org("Org2")
    org_ops.add_org_member(org2, p["ada"], OrgRole.admin)
    circle_b = ops.create_circle(p["ada"], "B", org=org2)
    ops.add_member(circle_b, p["pat"], Role.student)
    ops.leave_circle(circle_b.membership_of(p["pat"]))
    db.session.commit()
    return p


@pytest.mark.parametrize("viewer, status", [
    ("pat", 200),   # themselves
    ("olga", 200),  # the owner of a circle they are in
    ("cleo", 200),  # a classmate
    ("tom", 200),   # shares an organization
    ("ada", 200),   # admins an organization with a circle Pat belonged to
    ("sam", 200),   # site admin
    ("rex", 404),   # removed from the shared circle
    ("lea", 404),   # left it
    ("ida", 404),   # only asked to join
    ("zed", 404),   # stranger (the case)
])
def test_who_sees_an_avatar(people, as_user, viewer, status):
    """Avatar matrix: who gets Pat's avatar, and who a 404 that says nothing?"""
    response = as_user(people[viewer]).get(f"/users/{people['pat'].id}/avatar")
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "image/png"


def test_staff_see_avatars_of_removed_members(people, as_user):
    """Does the owner still see the avatar of someone they removed (listed under "removed")?"""
    rex = people["rex"]
    rex.avatar_key = store_image(io.BytesIO(png_bytes()), "avatars")
    db.session.commit()
    assert as_user(people["olga"]).get(f"/users/{rex.id}/avatar").status_code == 200
    assert as_user(people["cleo"]).get(f"/users/{rex.id}/avatar").status_code == 404


def test_unknown_user_or_no_avatar_is_404(people, as_user):
    """Is an unknown id, or a user without an avatar, a plain 404, even for a site admin?"""
    admin = as_user(people["sam"])
    assert admin.get("/users/999999/avatar").status_code == 404
    assert admin.get(f"/users/{people['cleo'].id}/avatar").status_code == 404


def test_avatar_needs_sign_in(people, client):
    """Is an anonymous request sent to sign in, not served?"""
    assert client.get(f"/users/{people['pat'].id}/avatar").status_code in (302, 401)


def test_avatar_check_is_one_query(people, app):
    """Is the check one bounded query whatever the number of circles and organizations?"""
    from lms.accounts.queries import visible_avatar_key

    viewer, pat_id = people["zed"], people["pat"].id
    assert not viewer.is_admin  # loaded before counting
    counter = QueryCounter(db.engine)
    with counter:
        assert visible_avatar_key(viewer, pat_id) is None
    assert counter.count == 1
