"""Every circle route × every role: a stranger gets 404, a member without the role 403."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from lms.accounts import operations as account_ops
from lms.circles import operations as ops
from lms.circles.models import Circle, CourseCode, Invite, JoinPolicy, Membership, Role
from lms.extensions import db
from tests.accounts.helpers import png_bytes
from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD, sign_in

ROLES = ("owner", "teacher", "assistant", "student", "stranger", "admin")


@dataclass
class World:
    circle: Circle
    users: dict
    target: Membership  #: a student the staff act on
    pending: Membership  #: a join request
    invite: Invite


@pytest.fixture
def world(app) -> World:
    """One circle with a person in each role, a join request, an invite, course codes and a cover.

    Built with the operations in one transaction (not the factories' commit per object): the matrix
    builds it well over a hundred times.
    """
    def user(name, **kwargs):
        return account_ops.register_user(f"{name.lower()}@matrix.example", PASSWORD, name, **kwargs)

    owner = user("Owner")
    circle = ops.create_circle(owner, "Matrix", join_policy=JoinPolicy.approval)
    users = {"owner": owner, "stranger": user("Stranger"), "admin": user("Admin", is_admin=True)}
    for role in (Role.teacher, Role.assistant, Role.student):
        users[role.value] = user(role.value.title())
        ops.add_member(circle, users[role.value], role)
    target = ops.add_member(circle, user("Target"), Role.student, display_name="Target")
    pending = ops.request_to_join(circle, user("Requester"), display_name="Requester")
    circle.join_policy = JoinPolicy.code  # the request stays pending; strangers need the code now
    invite = ops.create_invite(circle, owner, role=Role.student, max_uses=None, expires_at=None)
    ops.generate_course_codes(circle, 2, batch="B1", expires_at=None)
    ops.set_cover(circle, io.BytesIO(png_bytes()))
    db.session.commit()
    return World(circle, users, target, pending, invite)


def _snapshot(world: World) -> tuple:
    """Everything a refused request must leave as it was."""
    db.session.expire_all()
    circle = db.session.get(Circle, world.circle.id)
    members = db.session.execute(
        db.select(Membership.user_id, Membership.role, Membership.status, Membership.display_name,
                  Membership.real_name).where(Membership.circle_id == circle.id).order_by(Membership.id)).all()
    invites = db.session.execute(db.select(Invite.id, Invite.revoked_at).where(Invite.circle_id == circle.id)).all()
    codes = db.session.scalar(db.select(db.func.count()).select_from(CourseCode))
    return (circle.name, circle.join_code, circle.is_archived, circle.member_count, tuple(members), tuple(invites),
            codes)


S = {"owner", "teacher", "assistant"}  # the staff
T = {"owner", "teacher"}  # the teaching staff


def _expect(ok: set, ok_status: int, *, denied: int = 403, admin: int | None = None,
            overrides: dict | None = None) -> dict:
    out = {}
    for role in ROLES:
        if role == "stranger":
            out[role] = 404
        elif role == "admin":
            out[role] = ok_status if admin is None else admin
        else:
            out[role] = ok_status if role in ok else denied
    out.update(overrides or {})
    return out


ALL_MEMBERS = {"owner", "teacher", "assistant", "student"}

#: (name, method, path, form data, expected status per role)
ROUTES = [
    ("home", "GET", "/c/{c}", None, _expect(ALL_MEMBERS, 200)),
    ("members", "GET", "/c/{c}/members", None, _expect(ALL_MEMBERS, 200)),
    ("pending", "GET", "/c/{c}/members?status=pending", None, _expect(ALL_MEMBERS, 200)),
    ("members_csv", "GET", "/c/{c}/members.csv", None, _expect(S, 200)),
    ("enrol", "GET", "/c/{c}/enrol", None, _expect(S, 200)),
    ("settings", "GET", "/c/{c}/settings", None, _expect(T, 200)),
    ("cover", "GET", "/c/{c}/cover", None, _expect(ALL_MEMBERS, 200)),
    ("codes_csv", "GET", "/c/{c}/course-codes.csv?batch=B1", None, _expect(S, 200)),
    ("edit_member", "GET", "/c/{c}/members/{target}/edit", None, _expect(S, 200)),
    ("save_settings", "POST", "/c/{c}/settings",
     {"name": "Renamed", "kind": "teaching", "join_policy": "code"}, _expect(T, 302)),
    ("archive", "POST", "/c/{c}/archive", {}, _expect({"owner"}, 302)),
    ("new_join_code", "POST", "/c/{c}/join-code", {}, _expect(T, 302)),
    ("create_invite", "POST", "/c/{c}/invites", {"role": "student"}, _expect(S, 302)),
    ("revoke_invite", "POST", "/c/{c}/invites/{invite}/revoke", {}, _expect(S, 302)),
    ("course_codes", "POST", "/c/{c}/course-codes", {"count": "3", "batch": "B2"}, _expect(S, 302)),
    ("save_member", "POST", "/c/{c}/members/{target}/edit", {"display_name": "Renamed"}, _expect(S, 302)),
    ("change_role", "POST", "/c/{c}/members/{target}/role", {"role-role": "assistant"}, _expect(T, 302)),
    ("remove", "POST", "/c/{c}/members/{target}/remove", {}, _expect(S, 302)),
    ("approve", "POST", "/c/{c}/members/{pending}/approve", {}, _expect(S, 302)),
    ("reject", "POST", "/c/{c}/members/{pending}/reject", {}, _expect(S, 302)),
    ("transfer", "POST", "/c/{c}/members/{target}/transfer", {}, _expect({"owner"}, 302)),
    # Everyone may leave (the owner is told to hand over first); a site admin who is no member may not.
    ("leave", "POST", "/c/{c}/leave", {}, _expect(ALL_MEMBERS, 302, admin=403)),
    # Members are sent home; a site admin who is no member cannot "ask to join" a code circle.
    ("join_page", "POST", "/c/{c}/join", {"display_name": "Me"}, _expect(ALL_MEMBERS, 302, admin=422)),
]

CASES = [pytest.param(name, method, path, data, role, expected[role], id=f"{name}-{role}")
         for name, method, path, data, expected in ROUTES for role in ROLES]


@pytest.mark.parametrize("name, method, path, data, role, status", CASES)
def test_route_by_role(app, world, name, method, path, data, role, status):
    """Does each circle route answer each role as it should (stranger 404, member without the role 403)?"""
    client = app.test_client()
    sign_in(client, world.users[role])
    url = path.format(c=world.circle.id, target=world.target.id, pending=world.pending.id, invite=world.invite.id)
    before = _snapshot(world)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=data, csrf_prefixes=("role",) if name == "change_role" else ())
    assert response.status_code == status, page_text(response)[:300]
    if status in (403, 404):
        assert _snapshot(world) == before, "a refused request changed something"
    elif method == "POST" and name not in ("join_page", "leave") and status == 302:
        assert _snapshot(world) != before, "an allowed request changed nothing"


def test_stranger_404_looks_like_a_missing_circle(app, world):
    """Is a stranger's 404 for a real circle the same page as for a circle that does not exist?"""
    client = app.test_client()
    sign_in(client, world.users["stranger"])
    real = client.get(f"/c/{world.circle.id}/members")
    missing = client.get("/c/999999/members")
    assert real.status_code == missing.status_code == 404
    assert page_text(real) == page_text(missing)


def test_signed_out_visitor_is_sent_to_sign_in(app, world):
    """Is a signed-out visitor of any circle page sent to sign in (no circle data shown)?"""
    client = app.test_client()
    for name, method, path, data, _expected in ROUTES:
        url = path.format(c=world.circle.id, target=world.target.id, pending=world.pending.id,
                          invite=world.invite.id)
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 302, name
        assert "/login" in response.headers["Location"], name


def test_member_of_another_circle_is_a_stranger(app, world, make):
    """Is the teacher of another circle treated as a stranger here (404), even on staff routes?"""
    teacher = make.user()
    make.circle(teacher)
    client = app.test_client()
    sign_in(client, teacher)
    for path in ("/c/{c}", "/c/{c}/members", "/c/{c}/enrol", "/c/{c}/members.csv",
                 "/c/{c}/course-codes.csv?batch=B1"):
        assert client.get(path.format(c=world.circle.id)).status_code == 404, path


def test_org_admin_oversees_the_orgs_circles(app, make):
    """Do the admins of a school see and manage its classes, while its teachers (not in the class) get 404?"""
    from lms.orgs.models import Organization, OrgMembership, OrgRole

    org = Organization(name="North School")
    db.session.add(org)
    db.session.flush()
    admin, teacher = make.user(), make.user()
    db.session.add_all([OrgMembership(org_id=org.id, user_id=admin.id, role=OrgRole.admin),
                        OrgMembership(org_id=org.id, user_id=teacher.id, role=OrgRole.teacher)])
    db.session.commit()
    circle = make.circle(name="Class 7B", org=org)
    overseer, colleague = app.test_client(), app.test_client()
    sign_in(overseer, admin)
    sign_in(colleague, teacher)
    assert "Class 7B" in page_text(overseer.get("/"))
    for path in ("/c/{c}", "/c/{c}/members", "/c/{c}/enrol", "/c/{c}/settings"):
        assert overseer.get(path.format(c=circle.id)).status_code == 200, path
        assert colleague.get(path.format(c=circle.id)).status_code == 404, path
    assert overseer.post(f"/c/{circle.id}/archive").status_code == 302
    assert db.session.get(Circle, circle.id).is_archived
