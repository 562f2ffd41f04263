"""Invite links: creating, using (signed in or not), expiry, use limits, revoking."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lms.circles.models import Invite, JoinPolicy, MembershipStatus, Role
from lms.extensions import db
from tests.accounts.helpers import register
from tests.circles.helpers import membership, reload
from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD

NEW_PASSWORD = "seven green lanterns"


def _invites(circle) -> list[Invite]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Invite).where(Invite.circle_id == circle.id).order_by(Invite.id)))


def _create_invite(client, circle, **fields):
    data = {"role": "student", "max_uses": "", "expires_at": ""}
    data.update(fields)
    return client.post(f"/c/{circle.id}/invites", data=data)


def _invite(circle, owner, **kwargs) -> Invite:
    from lms.circles import operations as ops

    invite = ops.create_invite(circle, owner, role=kwargs.pop("role", Role.student),
                               max_uses=kwargs.pop("max_uses", None), expires_at=kwargs.pop("expires_at", None))
    db.session.commit()
    return invite


# -- creating --------------------------------------------------------------------------------

def test_owner_creates_a_student_invite(client, make, login):
    """Does the owner's new invite link appear on the enrol page, enrolling students?"""
    owner = make.user()
    circle = make.circle(owner)
    login(owner)
    response = _create_invite(client, circle, max_uses="30")
    [invite] = _invites(circle)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/c/{circle.id}/enrol#invite-{invite.id}"
    assert invite.role == Role.student and invite.max_uses == 30 and invite.uses == 0
    assert invite.created_by_id == owner.id and len(invite.token) >= 20
    assert f"http://localhost/i/{invite.token}" in client.get(f"/c/{circle.id}/enrol").get_data(as_text=True)


def test_invite_expiry_is_read_in_the_users_timezone(client, make, login):
    """Is the expiry typed by a teacher in Shanghai stored as the right UTC time?"""
    owner = make.user(timezone="Asia/Shanghai")
    circle = make.circle(owner)
    login(owner)
    _create_invite(client, circle, expires_at="2030-01-01T10:00")
    [invite] = _invites(circle)
    assert invite.expires_at == datetime(2030, 1, 1, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("role_name", ["teacher", "assistant"])
def test_teachers_can_invite_staff(client, make, login, role_name):
    """Can the owner and a teacher create invite links for teachers and assistants?"""
    owner = make.user()
    circle = make.circle(owner)
    teacher = make.user()
    make.member(circle, teacher, Role.teacher)
    for user in (owner, teacher):
        login(user)
        assert _create_invite(client, circle, role=role_name).status_code == 302
    assert [i.role for i in _invites(circle)] == [Role(role_name)] * 2


@pytest.mark.parametrize("role_name", ["teacher", "assistant"])
def test_assistant_cannot_invite_staff(client, make, login, role_name):
    """Is an assistant's attempt to create a staff invite refused with an error, creating nothing?"""
    circle = make.circle()
    assistant = make.user()
    make.member(circle, assistant, Role.assistant)
    login(assistant)
    page = client.get(f"/c/{circle.id}/enrol").get_data(as_text=True)
    assert 'value="teacher"' not in page and 'value="student"' in page
    response = _create_invite(client, circle, role=role_name)
    assert response.status_code == 422
    assert "Not a valid choice." in page_text(response)
    assert _invites(circle) == []
    assert _create_invite(client, circle, role="student").status_code == 302


@pytest.mark.parametrize("fields, message", [
    ({"role": "owner"}, "Not a valid choice."),
    ({"max_uses": "0"}, "Number must be between 1 and 100000."),
    ({"max_uses": "many"}, "Not a valid integer value."),
    ({"expires_at": "tomorrow"}, "Not a valid datetime value."),
    ({"expires_at": "2001-01-01T10:00"}, "Choose a time in the future, or leave it empty."),
])
def test_invite_form_refuses_bad_input(client, make, login, fields, message):
    """Are an owner role, a zero or non-numeric use limit, a bad or past date refused with 422?"""
    owner = make.user()
    circle = make.circle(owner)
    login(owner)
    response = _create_invite(client, circle, **fields)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _invites(circle) == []


# -- using -----------------------------------------------------------------------------------

def test_invite_while_signed_out_leads_through_registration(client, make, mailbox):
    """Signed out: does the link lead to a landing page, through registration (finished by the mailed
    link), back to joining?"""
    owner = make.user()
    circle = make.circle(owner, "Physics 7B", description="Lab on Fridays")
    invite = _invite(circle, owner)
    path = f"/i/{invite.token}"
    landing = client.get(path)
    assert landing.status_code == 200
    assert "You are invited to Physics 7B" in page_text(landing) and "Lab on Fridays" in page_text(landing)
    html = landing.get_data(as_text=True)
    assert f'href="/register?next=/i/{invite.token}"' in html
    assert f'href="/login?next=/i/{invite.token}"' in html
    # Posting the form while signed out does nothing but show the landing page.
    assert client.post(path, data={"display_name": "Pat"}).status_code == 200
    assert reload(circle).member_count == 1

    page = client.get(f"/register?next={path}")
    assert f'value="{path}"' in page.get_data(as_text=True)
    response = register(client, mailbox, name="New Person", email="new@example.org", password=NEW_PASSWORD,
                        next=path)
    assert response.status_code == 302 and response.headers["Location"] == path
    form = client.get(path)
    assert form.status_code == 200 and 'value="New Person"' in form.get_data(as_text=True)
    response = client.post(path, data={"display_name": "Pat"})
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    from lms.accounts.models import User

    user = db.session.scalar(db.select(User).where(User.email == "new@example.org"))
    m = membership(circle, user)
    assert m.is_active and m.role == Role.student and m.joined_via == "invite" and m.display_name == "Pat"
    assert _invites(circle)[0].uses == 1
    assert reload(circle).member_count == 2


def test_invite_while_signed_out_leads_through_sign_in(client, make):
    """Does an existing account come back to the invite after signing in?"""
    owner = make.user()
    circle = make.circle(owner)
    invite = _invite(circle, owner, role=Role.teacher)
    user = make.user(email="t@example.org")
    path = f"/i/{invite.token}"
    response = client.post("/login", data={"email": "t@example.org", "password": PASSWORD, "next": path})
    assert response.headers["Location"] == path
    client.post(path, data={"display_name": "Ms T"})
    assert membership(circle, user).role == Role.teacher


def test_invite_to_a_circle_asking_for_identity(client, make, login):
    """Does an invite also enforce the real name the circle asks for?"""
    owner = make.user()
    circle = make.circle(owner, require_real_name=True)
    invite = _invite(circle, owner)
    user = make.user()
    login(user)
    response = client.post(f"/i/{invite.token}", data={"display_name": "Pat"})
    assert response.status_code == 422
    assert "This circle asks for your real name." in page_text(response)
    assert membership(circle, user) is None and _invites(circle)[0].uses == 0
    client.post(f"/i/{invite.token}", data={"display_name": "Pat", "real_name": "Pat Real"})
    assert membership(circle, user).real_name == "Pat Real"


def test_invite_works_for_invite_only_circles(client, make, login):
    """Does an invite link work where the join code does not (policy "invite")?"""
    owner = make.user()
    circle = make.circle(owner, join_policy=JoinPolicy.invite)
    invite = _invite(circle, owner)
    user = make.user()
    login(user)
    assert client.post(f"/i/{invite.token}", data={"display_name": "Pat"}).status_code == 302
    assert membership(circle, user).is_active


def test_invite_skips_approval(client, make, login):
    """Does an invite to an approval circle enrol at once (the invite is the approval)?"""
    owner = make.user()
    circle = make.circle(owner, join_policy=JoinPolicy.approval)
    invite = _invite(circle, owner)
    user = make.user()
    login(user)
    client.post(f"/i/{invite.token}", data={"display_name": "Pat"})
    assert membership(circle, user).status == MembershipStatus.active


def test_member_opening_an_invite_is_sent_to_the_circle(client, make, login):
    """Is an existing member who opens an invite sent to the circle, without using it up?"""
    owner = make.user()
    circle = make.circle(owner)
    invite = _invite(circle, owner, max_uses=1)
    login(owner)
    for response in (client.get(f"/i/{invite.token}"), client.post(f"/i/{invite.token}", data={"display_name": "x"})):
        assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    assert _invites(circle)[0].uses == 0
    assert "You are already a member of this circle." in page_text(client.get(f"/c/{circle.id}"))


def test_unknown_invite(client, make, login):
    """Is an unknown token a 404 with a message?"""
    login(make.user())
    response = client.get("/i/not-a-real-token")
    assert response.status_code == 404
    assert "This invite link does not exist." in page_text(response)


def test_expired_invite(client, make, login):
    """Is an expired invite refused with 410 and a message, enrolling nobody?"""
    owner = make.user()
    circle = make.circle(owner)
    invite = _invite(circle, owner, expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    user = make.user()
    login(user)
    assert client.get(f"/i/{invite.token}").status_code == 200
    invite.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    db.session.commit()
    for response in (client.get(f"/i/{invite.token}"), client.post(f"/i/{invite.token}", data={"display_name": "x"})):
        assert response.status_code == 410
        assert "This invite link has expired." in page_text(response)
    assert membership(circle, user) is None


def test_used_up_invite(client, make, as_user):
    """With max_uses=1, is the second person refused with 410 and the "used as many times" message?"""
    owner = make.user()
    circle = make.circle(owner)
    invite = _invite(circle, owner, max_uses=1)
    first, second = make.user(), make.user()
    assert as_user(first).post(f"/i/{invite.token}", data={"display_name": "One"}).status_code == 302
    response = as_user(second).post(f"/i/{invite.token}", data={"display_name": "Two"})
    assert response.status_code == 410
    assert "This invite link has been used as many times as allowed." in page_text(response)
    assert membership(circle, first).is_active and membership(circle, second) is None
    assert _invites(circle)[0].uses == 1 and reload(circle).member_count == 2


def test_revoked_invite(client, make, login, as_user):
    """After the teacher turns a link off, is it refused with 410 and a message?"""
    owner = make.user()
    circle = make.circle(owner)
    invite = _invite(circle, owner)
    assert as_user(owner).post(f"/c/{circle.id}/invites/{invite.id}/revoke").status_code == 302
    assert _invites(circle)[0].revoked_at is not None
    user = make.user()
    login(user)
    response = client.post(f"/i/{invite.token}", data={"display_name": "x"})
    assert response.status_code == 410
    assert "This invite link was turned off by the teacher." in page_text(response)
    assert membership(circle, user) is None
    assert invite.token not in as_user(owner).get(f"/c/{circle.id}/enrol").get_data(as_text=True)


def test_revoke_needs_the_invite_of_this_circle(client, make, login):
    """Can a teacher revoke another circle's invite by putting its id under their own circle? (404)"""
    owner = make.user()
    circle = make.circle(owner)
    other_owner = make.user()
    other = make.circle(other_owner)
    invite = _invite(other, other_owner)
    login(owner)
    assert client.post(f"/c/{circle.id}/invites/{invite.id}/revoke").status_code == 404
    assert _invites(other)[0].revoked_at is None


def test_invite_to_archived_circle(client, make, login, as_user):
    """Is an invite to an archived circle refused with the archived message?"""
    owner = make.user()
    circle = make.circle(owner)
    invite = _invite(circle, owner)
    as_user(owner).post(f"/c/{circle.id}/archive")
    login(make.user())
    response = client.get(f"/i/{invite.token}")
    assert response.status_code == 410
    assert "This circle is archived and no longer takes new members." in page_text(response)


def test_register_page_names_the_class_of_a_working_invite(client, make):
    """Issue 8, on a phone: does /register reached from an invite link say which class is being
    joined, and say nothing for a turned-off invite, an unknown token, a join code or another page?"""
    owner = make.user()
    circle = make.circle(owner, name="高一（3）班 Dance")
    invite = _invite(circle, owner)
    landing = client.get(f"/i/{invite.token}")
    register_link = f"/register?next=/i/{invite.token}"
    assert register_link in landing.get_data(as_text=True)
    assert "You are joining “高一（3）班 Dance”" in page_text(client.get(register_link))
    for other in ("/i/no-such-token-at-all", f"/join/{circle.join_code}", f"/c/{circle.id}", "https://evil.example/i/x"):
        assert "You are joining" not in page_text(client.get("/register", query_string={"next": other})), other
    invite.revoked_at = datetime.now(timezone.utc)
    db.session.commit()
    assert "You are joining" not in page_text(client.get(register_link))
