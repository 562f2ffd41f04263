"""Joining a circle: join code, open and approval circles, required identity, archived circles."""
from __future__ import annotations

import pytest

from lms.circles import operations as circle_ops
from lms.circles.models import CircleKind, JoinPolicy, MembershipStatus, Role
from lms.extensions import db
from tests.circles.helpers import membership, read_csv, reload
from tests.fixtures.app import page_text

NO_SUCH_CODE = "There is no circle with this code."


def _fixed_code(circle, code="AB0CD1EF"):
    """Give the circle a join code with digits that look like letters."""
    circle.join_code = code
    db.session.commit()
    return code


def _join_by_code(client, typed: str, **identity):
    """Type the code on /join, follow to the confirmation page, and submit it."""
    first = client.post("/join", data={"code": typed})
    if first.status_code != 302:
        return first
    return client.post(first.headers["Location"], data={"display_name": "Pat", **identity})


def test_join_code_is_shown_on_the_enrol_page(client, make, login):
    """Does the enrol page show the circle's join code, grouped for reading aloud?"""
    owner = make.user()
    circle = make.circle(owner)
    code = _fixed_code(circle)
    login(owner)
    assert "AB0C-D1EF" in page_text(client.get(f"/c/{circle.id}/enrol"))
    assert code == "AB0CD1EF"


@pytest.mark.parametrize("typed", ["AB0CD1EF", "ab0c-d1ef", " ab0c d1ef ", "abOc-dIef", "ABOC-DLEF"])
def test_join_code_typed_loosely_still_works(client, make, login, typed):
    """Does a join code typed in lower case, with a dash or spaces, or with O for 0 and I/L for 1, work?"""
    circle = make.circle()
    _fixed_code(circle)
    student = make.user(name="Account Name")
    login(student)
    first = client.post("/join", data={"code": typed})
    assert first.status_code == 302 and first.headers["Location"] == "/join/AB0CD1EF"
    page = client.get(first.headers["Location"])
    assert page.status_code == 200 and circle.name in page_text(page)
    response = client.post("/join/AB0CD1EF", data={"display_name": "Pat"})
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    m = membership(circle, student)
    assert m.is_active and m.role == Role.student and m.display_name == "Pat" and m.joined_via == "code"
    assert reload(circle).member_count == 2
    assert f"Welcome to {circle.name}!" in page_text(client.get(f"/c/{circle.id}"))


def test_join_code_of_a_community_makes_members(client, make, login):
    """Does joining a community circle by code make a member (not a student)?"""
    circle = make.circle(kind=CircleKind.community)
    student = make.user()
    login(student)
    _join_by_code(client, circle.join_code)
    assert membership(circle, student).role == Role.member


@pytest.mark.parametrize("typed", ["ZZZZ-ZZZZ", "abc", "ZZZZZ-ZZZZZ", "!!!!!!!!"])
def test_unknown_code(client, make, login, typed):
    """Is an unknown code answered with 404 and the "no circle with this code" message?"""
    make.circle()
    login(make.user())
    response = client.post("/join", data={"code": typed})
    assert response.status_code == 404
    assert NO_SUCH_CODE in page_text(response)


def test_unknown_code_in_the_address(client, make, login):
    """Is /join/<unknown code> a 404 with the message too?"""
    make.circle()
    login(make.user())
    response = client.get("/join/ZZZZZZZZ")
    assert response.status_code == 404
    assert NO_SUCH_CODE in page_text(response)


def test_empty_code_is_refused(client, make, login):
    """Is an empty code refused with 422?"""
    login(make.user())
    assert client.post("/join", data={"code": "  "}).status_code == 422


def test_join_needs_sign_in(client, make):
    """Is a signed-out visitor with a code sent to sign in first?"""
    circle = make.circle()
    response = client.get(f"/join/{circle.join_code}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_regenerated_code_replaces_the_old_one(client, make, login, as_user):
    """After "new code", does the old code stop working (404) and the new one work?"""
    owner = make.user()
    circle = make.circle(owner)
    old = circle.join_code
    login(owner)
    assert client.post(f"/c/{circle.id}/join-code").status_code == 302
    new = reload(circle).join_code
    assert new != old
    student = make.user()
    other = as_user(student)
    assert other.post("/join", data={"code": old}).status_code == 404
    assert other.get(f"/join/{old}").status_code == 404
    _join_by_code(other, new)
    assert membership(circle, student).is_active


def test_invite_only_circle_refuses_the_join_code(client, make, login):
    """Does a circle that takes members by invite only refuse its join code, with the reason?"""
    circle = make.circle(join_policy=JoinPolicy.invite)
    student = make.user()
    login(student)
    response = client.get(f"/join/{circle.join_code}")
    assert response.status_code == 410
    assert "This circle only takes members through invite links now." in page_text(response)
    assert client.post(f"/join/{circle.join_code}", data={"display_name": "Pat"}).status_code == 410
    assert membership(circle, student) is None


@pytest.mark.parametrize("policy", [JoinPolicy.code, JoinPolicy.invite])
def test_already_member_is_sent_to_the_circle(client, make, login, policy):
    """Is a member who uses the code again sent to the circle (even where the code is now refused)?"""
    circle = make.circle(join_policy=policy)
    student = make.user()
    make.member(circle, student)
    login(student)
    response = client.get(f"/join/{circle.join_code}")
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    assert reload(circle).member_count == 2


# -- approval --------------------------------------------------------------------------------

def test_approval_circle_makes_a_pending_request(client, make, login, as_user):
    """In an approval circle, does the code make a request that staff see and can approve?"""
    owner = make.user()
    circle = make.circle(owner, join_policy=JoinPolicy.approval)
    student = make.user()
    login(student)
    first = client.post("/join", data={"code": circle.join_code})
    response = client.post(first.headers["Location"], data={"display_name": "Pat", "message": "I am in 7B"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    index = page_text(client.get("/"))
    assert "Your request has been sent." in index and "Waiting for approval" in index
    m = membership(circle, student)
    assert m.status == MembershipStatus.pending and m.request_message == "I am in 7B"
    assert reload(circle).member_count == 1
    assert "Your request is waiting" in page_text(client.get(f"/c/{circle.id}"))

    staff = as_user(owner)
    pending = staff.get(f"/c/{circle.id}/members?status=pending")
    assert "Pat" in page_text(pending) and "I am in 7B" in page_text(pending)
    assert "Pat" not in page_text(staff.get(f"/c/{circle.id}/members"))
    assert staff.post(f"/c/{circle.id}/members/{m.id}/approve").status_code == 302
    assert membership(circle, student).status == MembershipStatus.active
    assert reload(circle).member_count == 2
    assert client.get(f"/c/{circle.id}/members").status_code == 200
    assert "Pat" in page_text(staff.get(f"/c/{circle.id}/members"))


def test_pending_request_gives_no_access(client, make, login):
    """Does a person whose request is pending still get 404 on the circle's roster?"""
    circle = make.circle(join_policy=JoinPolicy.approval)
    student = make.user()
    login(student)
    _join_by_code(client, circle.join_code)
    assert membership(circle, student).status == MembershipStatus.pending
    assert client.get(f"/c/{circle.id}/members").status_code == 404


def test_reject_request(client, make, login, as_user):
    """Does rejecting a request leave the person outside the circle?"""
    owner = make.user()
    circle = make.circle(owner, join_policy=JoinPolicy.approval)
    student = make.user()
    login(student)
    _join_by_code(client, circle.join_code)
    m = membership(circle, student)
    staff = as_user(owner)
    assert staff.post(f"/c/{circle.id}/members/{m.id}/reject").status_code == 302
    assert membership(circle, student).status == MembershipStatus.rejected
    assert reload(circle).member_count == 1
    assert "The request of Pat was declined." in page_text(staff.get(f"/c/{circle.id}/members?status=pending"))
    assert "No join requests." in page_text(staff.get(f"/c/{circle.id}/members?status=pending"))
    # Approving it now is refused: the request was handled.
    staff.post(f"/c/{circle.id}/members/{m.id}/approve")
    assert membership(circle, student).status == MembershipStatus.rejected
    assert "This request was already handled." in page_text(staff.get(f"/c/{circle.id}/members"))


def test_students_cannot_see_pending_requests(client, make, login):
    """Does ?status=pending show a student the active members only, never the requests?"""
    circle = make.circle(join_policy=JoinPolicy.approval)
    student = make.user()
    make.member(circle, student)
    requester = make.user()
    circle_ops.request_to_join(circle, requester, display_name="Secret Requester")
    db.session.commit()
    login(student)
    assert "Secret Requester" not in page_text(client.get(f"/c/{circle.id}/members?status=pending"))


# -- open and approval circles: the join page for strangers ----------------------------------

@pytest.mark.parametrize("policy", [JoinPolicy.open, JoinPolicy.approval])
def test_stranger_sees_join_page_not_roster(client, make, login, policy):
    """Does a stranger see the join page of an open or approval circle, but not its members (404)?"""
    circle = make.circle(join_policy=policy, description="Everyone welcome")
    make.member(circle, display_name="Hidden Student")
    login(make.user())
    page = client.get(f"/c/{circle.id}")
    assert page.status_code == 200
    assert "Everyone welcome" in page_text(page) and "Hidden Student" not in page_text(page)
    assert client.get(f"/c/{circle.id}/members").status_code == 404


def test_join_open_circle_from_its_page(client, make, login):
    """Does a stranger join an open circle at once from its page?"""
    circle = make.circle(join_policy=JoinPolicy.open)
    user = make.user()
    login(user)
    response = client.post(f"/c/{circle.id}/join", data={"display_name": "Pat"})
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    m = membership(circle, user)
    assert m.is_active and m.joined_via == "open" and m.display_name == "Pat"
    assert reload(circle).member_count == 2


def test_ask_to_join_approval_circle_from_its_page(client, make, login):
    """Does "ask to join" on an approval circle's page make a pending request?"""
    circle = make.circle(join_policy=JoinPolicy.approval)
    user = make.user()
    login(user)
    response = client.post(f"/c/{circle.id}/join", data={"display_name": "Pat", "message": "hi"})
    assert response.status_code == 302
    assert membership(circle, user).status == MembershipStatus.pending


@pytest.mark.parametrize("policy", [JoinPolicy.code, JoinPolicy.invite])
def test_join_page_is_hidden_without_the_code(client, make, login, policy):
    """Can a stranger skip the code: see or post the join page of a code or invite circle?"""
    circle = make.circle(join_policy=policy)
    user = make.user()
    login(user)
    assert client.get(f"/c/{circle.id}").status_code == 404
    assert client.post(f"/c/{circle.id}/join", data={"display_name": "Pat"}).status_code == 404
    assert membership(circle, user) is None


def test_join_page_needs_a_display_name(client, make, login):
    """Is joining with an empty display name refused with 422?"""
    circle = make.circle(join_policy=JoinPolicy.open)
    user = make.user()
    login(user)
    response = client.post(f"/c/{circle.id}/join", data={"display_name": " "})
    assert response.status_code == 422
    assert membership(circle, user) is None


@pytest.mark.parametrize("policy", [JoinPolicy.open, JoinPolicy.approval, JoinPolicy.code])
def test_member_posting_join_again_is_sent_home(client, make, login, policy):
    """Is a member who posts the join form again sent to the circle, unchanged?"""
    circle = make.circle(join_policy=policy)
    user = make.user()
    make.member(circle, user, display_name="Original")
    login(user)
    response = client.post(f"/c/{circle.id}/join", data={"display_name": "Other"})
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    assert membership(circle, user).display_name == "Original"
    assert reload(circle).member_count == 2


# -- required identity -----------------------------------------------------------------------

def test_required_identity_is_enforced(client, make, login):
    """Does a circle that asks for the real name and student number refuse a join without them?"""
    circle = make.circle(require_real_name=True, require_student_no=True)
    student = make.user()
    login(student)
    page = client.get(f"/join/{circle.join_code}")
    assert 'name="real_name"' in page.get_data(as_text=True)
    assert 'name="student_no"' in page.get_data(as_text=True)
    response = client.post(f"/join/{circle.join_code}", data={"display_name": "Pat", "student_no": "S-1"})
    assert response.status_code == 422
    assert "This circle asks for your real name." in page_text(response)
    response = client.post(f"/join/{circle.join_code}", data={"display_name": "Pat", "real_name": "Pat Real"})
    assert response.status_code == 422
    assert "This circle asks for your student number." in page_text(response)
    assert membership(circle, student) is None
    response = client.post(f"/join/{circle.join_code}",
                           data={"display_name": "Pat", "real_name": "Pat Real", "student_no": "2024-017"})
    assert response.status_code == 302
    m = membership(circle, student)
    assert (m.real_name, m.student_no) == ("Pat Real", "2024-017")


def test_real_name_and_number_are_for_staff_only(client, make, login, as_user):
    """Are real names and student numbers shown to staff (roster, CSV) and never to students?"""
    owner = make.user()
    circle = make.circle(owner, require_real_name=True, require_student_no=True)
    first, second = make.user(), make.user()
    for user, identity in ((first, ("Pat", "Patricia Realname", "NO-111")),
                           (second, ("Quinn", "Quentin Realname", "NO-222"))):
        as_user(user).post(f"/join/{circle.join_code}", data=dict(zip(
            ("display_name", "real_name", "student_no"), identity)))
    assert reload(circle).member_count == 3

    staff_roster = page_text(as_user(owner).get(f"/c/{circle.id}/members"))
    for text in ("Patricia Realname", "NO-111", "Quentin Realname", "NO-222"):
        assert text in staff_roster
    rows = read_csv(as_user(owner).get(f"/c/{circle.id}/members.csv"))
    assert ["Pat", "Patricia Realname", "NO-111"] in [row[:3] for row in rows]

    login(first)
    for path in (f"/c/{circle.id}/members", f"/c/{circle.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "Quentin Realname" not in html and "NO-222" not in html
        assert "Patricia Realname" not in html  # not even one's own, in the shared listings
    assert "Quinn" in page_text(client.get(f"/c/{circle.id}/members"))


def test_student_search_does_not_match_hidden_fields(client, make, login):
    """Can a student find out whose student number is whose by searching the roster for it?"""
    circle = make.circle()
    make.member(circle, display_name="Quinn", real_name="Quentin Realname", student_no="NO-222")
    student = make.user()
    make.member(circle, student, display_name="Pat")
    login(student)
    assert "Quinn" not in page_text(client.get(f"/c/{circle.id}/members?q=NO-222"))
    assert "Quinn" not in page_text(client.get(f"/c/{circle.id}/members?q=quentin"))
    assert "Quinn" in page_text(client.get(f"/c/{circle.id}/members?q=quin"))


# -- archived --------------------------------------------------------------------------------

def test_archived_circle_refuses_new_members(client, make, login, as_user):
    """Does an archived circle refuse its join code (with the archived message) and hide its join page?"""
    owner = make.user()
    circle = make.circle(owner, join_policy=JoinPolicy.open)
    assert as_user(owner).post(f"/c/{circle.id}/archive").status_code == 302
    assert reload(circle).is_archived
    user = make.user()
    login(user)
    response = client.get(f"/join/{circle.join_code}")
    assert response.status_code == 410
    assert "This circle is archived and no longer takes new members." in page_text(response)
    assert client.get(f"/c/{circle.id}").status_code == 404
    assert client.post(f"/c/{circle.id}/join", data={"display_name": "Pat"}).status_code == 404
    assert membership(circle, user) is None
    # Restoring it opens it again.
    as_user(owner).post(f"/c/{circle.id}/archive")
    assert not reload(circle).is_archived
    assert client.get(f"/join/{circle.join_code}").status_code == 200


def test_archived_circle_stays_readable_for_members(client, make, login, as_user):
    """Can members still open an archived circle?"""
    owner = make.user()
    circle = make.circle(owner)
    student = make.user()
    make.member(circle, student)
    as_user(owner).post(f"/c/{circle.id}/archive")
    login(student)
    page = client.get(f"/c/{circle.id}")
    assert page.status_code == 200 and "Archived" in page_text(page)
