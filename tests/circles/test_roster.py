"""The roster: listing, search, identities, roles, ownership, removing, leaving, the CSV export."""
from __future__ import annotations

import re

import pytest

from lms.circles import operations as ops
from lms.circles.models import JoinPolicy, MembershipStatus, Role
from lms.extensions import db
from tests.circles.helpers import membership, read_csv, reload
from tests.fixtures.app import page_text


def _roster_names(response) -> list[str]:
    return re.findall(r'<span class="member-name">([^<]*)</span>', response.get_data(as_text=True))


# -- listing and search ----------------------------------------------------------------------

def test_roster_is_paginated(client, make, login, app, monkeypatch):
    """With more members than fit a page, does the roster split into pages, staff first?"""
    monkeypatch.setitem(app.config, "MEMBERS_PER_PAGE", 3)
    owner = make.user()
    circle = make.circle(owner, owner_display_name="Zed Owner")
    for name in ("Amy", "Ben", "Cat", "Dan", "Eve", "Fay"):
        make.member(circle, display_name=name)
    login(owner)
    first = client.get(f"/c/{circle.id}/members")
    assert _roster_names(first) == ["Zed Owner", "Amy", "Ben"]
    assert "Page 1 of 3" in page_text(first)
    assert f'href="/c/{circle.id}/members?page=2"' in first.get_data(as_text=True)
    assert _roster_names(client.get(f"/c/{circle.id}/members?page=2")) == ["Cat", "Dan", "Eve"]
    last = client.get(f"/c/{circle.id}/members?page=3")
    assert _roster_names(last) == ["Fay"] and "Page 3 of 3" in page_text(last)
    assert _roster_names(client.get(f"/c/{circle.id}/members?page=9")) == []
    assert client.get(f"/c/{circle.id}/members?page=abc").status_code == 200


def test_roster_search(client, make, login):
    """Can staff search the roster by display name, real name and student number?"""
    owner = make.user()
    circle = make.circle(owner, owner_display_name="Teacher")
    make.member(circle, display_name="Amy Wong", real_name="Amelia Wong", student_no="S-100")
    make.member(circle, display_name="Ben Li", real_name="Benjamin Li", student_no="S-200")
    login(owner)
    assert _roster_names(client.get(f"/c/{circle.id}/members?q=amy")) == ["Amy Wong"]
    assert _roster_names(client.get(f"/c/{circle.id}/members?q=BENJAMIN")) == ["Ben Li"]
    assert _roster_names(client.get(f"/c/{circle.id}/members?q=s-200")) == ["Ben Li"]
    assert _roster_names(client.get(f"/c/{circle.id}/members?q=nobody")) == []
    assert _roster_names(client.get(f"/c/{circle.id}/members?q=%25")) == []  # % is not a wildcard
    assert _roster_names(client.get(f"/c/{circle.id}/members?role=student")) == ["Amy Wong", "Ben Li"]


# -- identity --------------------------------------------------------------------------------

def _edit(client, circle, m, **fields):
    data = {"display_name": m.display_name, "real_name": m.real_name or "", "student_no": m.student_no or ""}
    data.update(fields)
    return client.post(f"/c/{circle.id}/members/{m.id}/edit", data=data)


def test_member_edits_own_identity(client, make, login):
    """Can a student change how they appear in the circle, and (in a circle that asks for them, before
    the staff set them) their real name and number?"""
    circle = make.circle(require_real_name=True, require_student_no=True)
    student = make.user()
    m = make.member(circle, student, display_name="Pat", real_name="P", student_no="1")
    login(student)
    assert client.get(f"/c/{circle.id}/members/{m.id}/edit").status_code == 200
    response = _edit(client, circle, m, display_name="  Patty ", real_name="Patricia", student_no="S-1")
    assert response.status_code == 302
    m = membership(circle, student)
    assert (m.display_name, m.real_name, m.student_no) == ("Patty", "Patricia", "S-1")


def test_staff_edit_a_students_identity(client, make, login):
    """Can an assistant correct a student's real name and number?"""
    circle = make.circle()
    assistant = make.user()
    make.member(circle, assistant, Role.assistant)
    student = make.user()
    m = make.member(circle, student, display_name="Pat")
    login(assistant)
    assert _edit(client, circle, m, real_name="Pat Real", student_no="S-9").status_code == 302
    assert membership(circle, student).student_no == "S-9"


def test_student_cannot_edit_another_student(client, make, login):
    """Is a student refused (403) when editing another student's identity?"""
    circle = make.circle()
    student = make.user()
    make.member(circle, student)
    other = make.user()
    m = make.member(circle, other, display_name="Quinn")
    login(student)
    assert client.get(f"/c/{circle.id}/members/{m.id}/edit").status_code == 403
    assert _edit(client, circle, m, display_name="Hacked").status_code == 403
    assert membership(circle, other).display_name == "Quinn"


def test_identity_needs_a_display_name(client, make, login):
    """Is an empty display name refused with 422?"""
    circle = make.circle()
    student = make.user()
    m = make.member(circle, student, display_name="Pat")
    login(student)
    assert _edit(client, circle, m, display_name=" ").status_code == 422
    assert membership(circle, student).display_name == "Pat"


def test_required_identity_cannot_be_blanked(client, make, login):
    """In a circle that asks for real names and numbers, can a student blank theirs after joining?"""
    owner = make.user()
    circle = make.circle(owner, require_real_name=True, require_student_no=True)
    student = make.user()
    m = make.member(circle, student, display_name="Pat", real_name="Pat Real", student_no="S-1")
    login(student)
    response = _edit(client, circle, m, real_name="")
    assert response.status_code == 422
    assert "This circle asks for your real name." in page_text(response)
    assert membership(circle, student).real_name == "Pat Real"
    # The staff are not asked for a student number.
    login(owner)
    assert _edit(client, circle, membership(circle, owner), display_name="Ms Owner").status_code == 302
    assert membership(circle, owner).display_name == "Ms Owner"


def test_membership_of_another_circle_is_404(client, make, login):
    """Can a teacher edit a membership of another circle by putting its id under their own? (404)"""
    owner = make.user()
    circle = make.circle(owner)
    other = make.circle()
    m = make.member(other, display_name="Elsewhere")
    login(owner)
    assert client.get(f"/c/{circle.id}/members/{m.id}/edit").status_code == 404
    assert _edit(client, circle, m, display_name="Hacked").status_code == 404
    assert client.post(f"/c/{circle.id}/members/{m.id}/remove").status_code == 404
    assert membership(other, m.user).display_name == "Elsewhere"


# -- roles -----------------------------------------------------------------------------------

def _set_role(client, circle, m, role):
    return client.post(f"/c/{circle.id}/members/{m.id}/role", data={"role-role": role},
                       csrf_prefixes=("role",))


def test_teacher_changes_a_role(client, make, login):
    """Can a teacher make a student an assistant?"""
    circle = make.circle()
    teacher = make.user()
    make.member(circle, teacher, Role.teacher)
    student = make.user()
    m = make.member(circle, student, display_name="Pat")
    login(teacher)
    response = _set_role(client, circle, m, "assistant")
    assert response.status_code == 302
    assert membership(circle, student).role == Role.assistant
    assert "Pat is now: Assistant." in page_text(client.get(f"/c/{circle.id}/members"))


def test_assistant_cannot_change_roles(client, make, login):
    """Is an assistant refused (403) when changing a role?"""
    circle = make.circle()
    assistant = make.user()
    make.member(circle, assistant, Role.assistant)
    m = make.member(circle)
    login(assistant)
    assert _set_role(client, circle, m, "teacher").status_code == 403
    assert membership(circle, m.user).role == Role.student


def test_nobody_becomes_owner_through_the_role_form(client, make, login):
    """Is "owner" refused as a role (ownership is transferred, not assigned)?"""
    owner = make.user()
    circle = make.circle(owner)
    m = make.member(circle)
    login(owner)
    response = _set_role(client, circle, m, "owner")
    assert response.status_code == 302
    assert membership(circle, m.user).role == Role.student
    assert "Choose one of the roles offered." in page_text(client.get(response.headers["Location"]))


def test_owners_role_cannot_be_changed(client, make, login):
    """Can a teacher demote the owner through the role form?"""
    owner = make.user()
    circle = make.circle(owner)
    teacher = make.user()
    make.member(circle, teacher, Role.teacher)
    login(teacher)
    _set_role(client, circle, membership(circle, owner), "student")
    assert membership(circle, owner).role == Role.owner
    assert "Use “Transfer ownership” to change the owner." in page_text(client.get(f"/c/{circle.id}/members"))


def test_cannot_change_own_role(client, make, login):
    """Is a teacher refused, with a message, when changing their own role?"""
    circle = make.circle()
    teacher = make.user()
    m = make.member(circle, teacher, Role.teacher)
    login(teacher)
    _set_role(client, circle, m, "assistant")
    assert membership(circle, teacher).role == Role.teacher
    assert "You cannot change your own role." in page_text(client.get(f"/c/{circle.id}/members"))


def test_transfer_ownership(client, make, login):
    """Does transferring ownership make the other member owner and the old owner a teacher?"""
    owner = make.user()
    circle = make.circle(owner)
    student = make.user()
    m = make.member(circle, student, display_name="Pat")
    login(owner)
    assert client.post(f"/c/{circle.id}/members/{m.id}/transfer").status_code == 302
    assert membership(circle, student).role == Role.owner
    assert membership(circle, owner).role == Role.teacher
    assert "Pat now owns the circle." in page_text(client.get(f"/c/{circle.id}/members"))
    # The old owner can no longer archive; the new one can.
    assert client.post(f"/c/{circle.id}/archive").status_code == 403


def test_transfer_to_a_pending_member_is_refused(client, make, login):
    """Can the circle be handed to someone whose join request is still pending?"""
    owner = make.user()
    circle = make.circle(owner, join_policy=JoinPolicy.approval)
    requester = make.user()
    ops.request_to_join(circle, requester)
    db.session.commit()
    login(owner)
    client.post(f"/c/{circle.id}/members/{membership(circle, requester).id}/transfer")
    assert membership(circle, owner).role == Role.owner
    assert membership(circle, requester).status == MembershipStatus.pending
    assert "Only an active member can become the owner." in page_text(client.get(f"/c/{circle.id}/members"))


# -- removing and leaving --------------------------------------------------------------------

def test_remove_member(client, make, login, as_user):
    """After removal, is the count lower, the circle's pages 404 for them (its address says only that they
    were removed), the join code and an invite refused?"""
    owner = make.user()
    circle = make.circle(owner)
    student = make.user()
    m = make.member(circle, student, display_name="Pat")
    assert reload(circle).member_count == 2
    login(owner)
    response = client.post(f"/c/{circle.id}/members/{m.id}/remove")
    assert response.status_code == 302
    assert "Pat was removed from the circle." in page_text(client.get(f"/c/{circle.id}/members"))
    assert membership(circle, student).status == MembershipStatus.removed
    assert reload(circle).member_count == 1

    them = as_user(student)
    told = them.get(f"/c/{circle.id}")  # the page says they were removed, and shows nothing of the circle
    assert told.status_code == 200 and f"You were removed from {circle.name}" in page_text(told)
    assert them.get(f"/c/{circle.id}/members").status_code == 404
    response = them.post(f"/join/{circle.join_code}", data={"display_name": "Pat again"})
    assert response.status_code == 403
    assert "You were removed from this circle; ask its teacher to readmit you." in page_text(response)
    assert membership(circle, student).status == MembershipStatus.removed

    invite = ops.create_invite(circle, owner, role=Role.student, max_uses=None, expires_at=None)
    db.session.commit()
    assert them.post(f"/i/{invite.token}", data={"display_name": "Pat"}).status_code == 403
    assert membership(circle, student).status == MembershipStatus.removed
    assert reload(circle).member_count == 1


def test_assistant_cannot_remove_staff(client, make, login):
    """Is an assistant refused, with a message, when removing a teacher?"""
    circle = make.circle()
    assistant = make.user()
    make.member(circle, assistant, Role.assistant)
    teacher = make.user()
    m = make.member(circle, teacher, Role.teacher)
    login(assistant)
    client.post(f"/c/{circle.id}/members/{m.id}/remove")
    assert membership(circle, teacher).is_active
    assert "Only the circle's teachers can remove staff." in page_text(client.get(f"/c/{circle.id}/members"))


def test_owner_cannot_be_removed(client, make, login):
    """Can a teacher remove the owner?"""
    owner = make.user()
    circle = make.circle(owner)
    teacher = make.user()
    make.member(circle, teacher, Role.teacher)
    login(teacher)
    client.post(f"/c/{circle.id}/members/{membership(circle, owner).id}/remove")
    assert membership(circle, owner).is_active
    assert "The owner cannot be removed." in page_text(client.get(f"/c/{circle.id}/members"))


def test_leave(client, make, login):
    """Does a student who leaves lose access, and lower the member count?"""
    circle = make.circle()
    student = make.user()
    make.member(circle, student)
    login(student)
    response = client.post(f"/c/{circle.id}/leave")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert f"You have left {circle.name}." in page_text(client.get("/"))
    assert membership(circle, student).status == MembershipStatus.left
    assert reload(circle).member_count == 1
    assert client.get(f"/c/{circle.id}").status_code == 404
    # Someone who left (not removed) may come back with the code.
    assert client.post(f"/join/{circle.join_code}", data={"display_name": "Back"}).status_code == 302
    assert reload(circle).member_count == 2


def test_owner_cannot_leave(client, make, login):
    """Is the owner told to transfer ownership before leaving, and kept as owner?"""
    owner = make.user()
    circle = make.circle(owner)
    login(owner)
    response = client.post(f"/c/{circle.id}/leave")
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    assert "Transfer ownership to someone else before leaving." in page_text(client.get(response.headers["Location"]))
    assert membership(circle, owner).role == Role.owner and membership(circle, owner).is_active
    assert reload(circle).member_count == 1


# -- the CSV export and the one identity -----------------------------------------------------

def test_roster_csv(client, make, login):
    """Does the roster CSV carry each member's one identity, with formulas neutralised?"""
    owner = make.user(email="owner@example.org")
    circle = make.circle(owner, owner_display_name="Ms Owner")
    make.member(circle, make.user(email="pat@example.org"), display_name="Pat", real_name="Patricia Chen",
                student_no="S-1")
    make.member(circle, make.user(email="evil@example.org"), display_name='=HYPERLINK("http://evil.example","x")',
                real_name="+SUM(A1)", student_no="@cmd")
    make.member(circle, make.user(email="neg@example.org"), display_name="-2+3", real_name="=1")
    make.member(circle, make.user(email="semi@example.org"), display_name="Ann;=2+5", real_name="Bo, -1+1")
    login(owner)
    response = client.get(f"/c/{circle.id}/members.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_csv(response)
    assert rows[0] == ["Name in circle", "Real name", "Student number", "Role", "Email", "Joined (UTC)"]
    by_email = {row[4]: row for row in rows[1:]}
    assert by_email["owner@example.org"][:4] == ["Ms Owner", "", "", "Owner"]
    assert by_email["pat@example.org"][:4] == ["Pat", "Patricia Chen", "S-1", "Student"]
    assert by_email["evil@example.org"][:3] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+SUM(A1)", "'@CMD"]
    assert by_email["neg@example.org"][:2] == ["'-2+3", "'=1"]
    # Where ";" or "," is the list separator a spreadsheet splits these and runs the second half.
    assert by_email["semi@example.org"][:2] == ["'Ann;=2+5", "'Bo, -1+1"]
    assert len(rows) == 6


def test_one_identity_everywhere(client, make, login, as_user):
    """Is the display name chosen on joining what the home page, roster and CSV show, not the account name?"""
    owner = make.user()
    circle = make.circle(owner)
    student = make.user(name="Xavier Accountname")
    as_user(student).post(f"/join/{circle.join_code}", data={"display_name": "Nick"})
    login(owner)
    for path in (f"/c/{circle.id}", f"/c/{circle.id}/members"):
        text = page_text(client.get(path))
        assert "Nick" in text and "Xavier Accountname" not in text, path
    assert "Nick" in _roster_names(client.get(f"/c/{circle.id}/members"))
    rows = read_csv(client.get(f"/c/{circle.id}/members.csv"))
    assert "Nick" in [row[0] for row in rows] and "Xavier Accountname" not in str(rows)
    # A classmate sees the same name.
    classmate = make.user()
    make.member(circle, classmate)
    text = page_text(as_user(classmate).get(f"/c/{circle.id}/members"))
    assert "Nick" in text and "Xavier Accountname" not in text


@pytest.mark.parametrize("role, status", [(Role.assistant, 200), (Role.student, 403)])
def test_roster_csv_is_for_staff(client, make, login, role, status):
    """Is the roster CSV for staff only?"""
    circle = make.circle()
    user = make.user()
    make.member(circle, user, role)
    login(user)
    assert client.get(f"/c/{circle.id}/members.csv").status_code == status
