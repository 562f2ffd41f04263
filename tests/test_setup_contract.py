"""The set-up contract: the entry scripts, and the demo school `scripts/run --demo` loads."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from lms import demo
from lms.accounts.models import User
from lms.circles.models import Circle, CircleKind, CourseCode, Invite, JoinPolicy, Membership, MembershipStatus
from lms.extensions import db
from lms.orgs.models import Organization, OrgMembership, OrgRole
from tests.fixtures.app import page_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("script", [".ci/run", "scripts/setup", "scripts/run", "scripts/test", "scripts/bench/pages"])
def test_entry_scripts_are_executable(script):
    """Can CI and a developer run each entry script directly, as the README says?"""
    path = ROOT / script
    assert path.is_file() and os.access(path, os.X_OK)
    assert path.read_text().startswith("#!/usr/bin/env ")


def _load(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", "load", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _password(output: str) -> str:
    match = re.search(r"Password for every demo account: (demo-[a-z0-9]{4}-[a-z0-9]{4})$", output, re.M)
    assert match, output
    return match.group(1)


def _sign_in(client, email: str, password: str) -> int:
    response = client.post("/login", data={"email": email, "password": password})
    client.post("/logout")
    return response.status_code


def _count(model, *where) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def test_demo_load_builds_the_promised_school(app, client):
    """Does `flask demo load` on a fresh site create the school, its people, circles, requests,
    invite and codes, and can every role sign in with the one printed password?"""
    output = _load(app)
    password = _password(output)

    org = db.session.scalar(db.select(Organization).where(Organization.name == demo.ORG_NAME))
    roles = dict(db.session.execute(
        db.select(OrgMembership.role, db.func.count()).where(OrgMembership.org_id == org.id)
        .group_by(OrgMembership.role)).all())
    assert roles == {OrgRole.admin: 1, OrgRole.teacher: 2, OrgRole.student: 30}

    circles = {c.kind: c for c in db.session.scalars(db.select(Circle).where(Circle.org_id == org.id))}
    assert len(circles) == 2 and _count(Circle, Circle.org_id == org.id) == 3
    jazz = db.session.scalar(db.select(Circle).where(Circle.name.like("Jazz Dance%")))
    assert jazz.require_real_name and jazz.require_student_no and jazz.join_policy == JoinPolicy.approval
    assert circles[CircleKind.community].join_policy == JoinPolicy.open
    assert _count(Membership, Membership.circle_id == jazz.id, Membership.status == MembershipStatus.pending) == 3
    students = db.session.scalars(db.select(Membership).where(
        Membership.circle_id == jazz.id, Membership.status == MembershipStatus.active,
        Membership.role == "student")).all()
    assert students and all(m.real_name and m.student_no and m.display_name for m in students)
    assert "张云妮" in {m.real_name for m in students}
    assert _count(Invite) == 1 and _count(CourseCode) == 10

    # One site administrator, created because the site had no account yet.
    assert db.session.scalar(db.select(User.email).where(User.is_admin.is_(True))) == demo.email("site.admin")
    for local in ("site.admin", demo.ADMIN[1], demo.TEACHERS[0][1], demo.STUDENTS[0][2]):
        assert demo.email(local) in output
        assert _sign_in(client, demo.email(local), password) == 302
    assert _sign_in(client, demo.email("mei.chen"), "demo-wron-gpwd") == 401
    assert password not in {u.password_hash for u in db.session.scalars(db.select(User))}


def test_demo_load_twice_changes_nothing(app, make):
    """Does a second `flask demo load` leave the school as it was (and add no site admin to a site
    that already has one)?"""
    make.user(email="owner@example.org", is_admin=True)
    _load(app, "--password", "demo-abcd-efgh")
    users, memberships = _count(User), _count(Membership)

    output = _load(app)
    assert "already loaded" in output and "Password for every demo account" not in output
    assert (_count(User), _count(Membership)) == (users, memberships)
    assert _count(Organization, Organization.name == demo.ORG_NAME) == 1
    assert _count(User, User.is_admin.is_(True)) == 1


def test_demo_reset_passwords(app, client):
    """Does `flask demo load --reset-passwords` give the demo accounts a new password that works,
    and stop the old one?"""
    _load(app, "--password", "demo-abcd-efgh")
    output = _load(app, "--reset-passwords", "--password", "demo-new2-pass")
    assert "demo-new2-pass" in output
    teacher = demo.email(demo.TEACHERS[1][1])
    assert _sign_in(client, teacher, "demo-abcd-efgh") == 401
    assert _sign_in(client, teacher, "demo-new2-pass") == 302


def test_demo_school_has_homework_and_grades(app, client, monkeypatch):
    """Does the demo's jazz circle come with assignments and a released grade its student can see,
    while a grade not yet released stays hidden? (Loaded as `scripts/run --demo` does: no
    SERVER_NAME, so the release mails are written outside any request.)"""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    with app.app_context():  # a context made without SERVER_NAME, as the command line has
        _load(app, "--password", "demo-abcd-efgh")
    from lms.circles.models import Circle
    from lms.homework.models import Assignment
    from tests.fixtures.factories import sign_in

    jazz = db.session.scalar(db.select(Circle).where(Circle.name.like("Jazz%")))
    assert _count(Assignment, Assignment.circle_id == jazz.id) == 2
    released = db.session.scalar(db.select(User).where(User.email == demo.email(demo.STUDENTS[0][2])))
    unreleased = db.session.scalar(db.select(User).where(User.email == demo.email(demo.STUDENTS[2][2])))
    def reflection_cells(user):
        sign_in(client, user)
        book = client.get(f"/circles/{jazz.id}/grades", headers={"Accept": "application/json"}).get_json()
        reflection = next(a["id"] for a in book["assignments"] if a["title"].startswith("Reflection"))
        assert [row["user_id"] for row in book["students"]] == [user.id]  # a student sees their own row only
        return [g for g in book["students"][0]["grades"] if g["assignment_id"] == reflection]

    assert [(g["score"], g["released"]) for g in reflection_cells(released)] == [(5, True)]
    assert [(g["score"], g["released"]) for g in reflection_cells(unreleased)] == [(None, False)]
    assert "Reflection" in page_text(client.get(f"/circles/{jazz.id}/grades"))
