"""An organization's people: naming admins, adding teachers by email, removing members; /orgs/."""
from __future__ import annotations

from lms.circles.models import Membership, Role
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgMembership, OrgRole
from tests.fixtures.app import page_text


def _role(org, user) -> OrgRole | None:
    return db.session.scalar(db.select(OrgMembership.role).where(OrgMembership.org_id == org.id,
                                                                 OrgMembership.user_id == user.id))


def _membership_id(org, user) -> int:
    return db.session.scalar(db.select(OrgMembership.id).where(OrgMembership.org_id == org.id,
                                                               OrgMembership.user_id == user.id))


def _add(client, school, email, role="teacher"):
    return client.post(f"/orgs/{school.org.id}/members", data={"email": email, "role": role})


def test_org_admin_adds_a_teacher_by_email(client, login, school, make):
    """Can an org admin add an existing account as a teacher by its email (any case, spaces around)?"""
    newcomer = make.user("Nina Newcomer", email="nina@example.org")
    login(school.admin)
    response = _add(client, school, "  Nina@Example.ORG ")
    assert response.status_code == 302
    assert _role(school.org, newcomer) == OrgRole.teacher
    assert "Nina Newcomer is now: Teacher." in page_text(client.get(response.headers["Location"]))
    page = client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
    assert 'value="%d">Nina Newcomer (nina@example.org)</option>' % newcomer.id in page  # a teacher to choose


def test_unknown_email_says_to_register_first(client, login, school):
    """Does adding an email with no account say so plainly, adding nobody?"""
    login(school.admin)
    response = _add(client, school, "ghost@example.org")
    assert response.status_code == 422
    assert "No account uses this email. Ask them to register first, then add them." in page_text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(OrgMembership)) == 4


def test_add_member_refuses_a_malformed_email(client, login, school):
    """Is an empty or malformed email refused with a message?"""
    login(school.admin)
    for email in ("", "not-an-email"):
        response = _add(client, school, email)
        assert response.status_code == 422
        assert 'class="error"' in response.get_data(as_text=True)


def test_adding_someone_with_the_same_role_again_is_refused(client, login, school):
    """Does adding an existing teacher as a teacher again say they already have the role?"""
    login(school.admin)
    response = _add(client, school, school.teacher.email)
    assert response.status_code == 422
    assert "Tom Teacher already has this role in the organization." in page_text(response)


def test_only_site_admins_name_org_admins(client, login, school, make):
    """Can an org admin make someone an org admin (no: the choice is not offered), and can a site admin?"""
    candidate = make.user("Carl Candidate")
    login(school.admin)
    refused = _add(client, school, candidate.email, role="admin")
    assert refused.status_code == 422
    assert _role(school.org, candidate) is None
    login(school.site_admin)
    page = client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
    assert '<option value="admin">Organization admin</option>' in page
    assert _add(client, school, candidate.email, role="admin").status_code == 302
    assert _role(school.org, candidate) == OrgRole.admin
    # the new admin manages the org at once
    login(candidate)
    response = client.get(f"/orgs/{school.org.id}")
    assert response.status_code == 200 and "Create classes" in page_text(response)
    assert client.get(f"/c/{school.klass.id}").status_code == 200


def test_site_admin_promotes_a_teacher_to_org_admin(client, login, school):
    """Does naming an existing org teacher as admin change their role (one membership, not two)?"""
    login(school.site_admin)
    assert _add(client, school, school.teacher2.email, role="admin").status_code == 302
    assert _role(school.org, school.teacher2) == OrgRole.admin
    assert db.session.scalar(db.select(db.func.count()).select_from(OrgMembership)
                             .where(OrgMembership.user_id == school.teacher2.id)) == 1


def test_org_admin_cannot_demote_another_admin(client, login, school, make):
    """Can an org admin turn another org admin into a teacher through the add form?"""
    colleague = make.user("Cora Coadmin")
    org_ops.add_org_member(school.org, colleague, OrgRole.admin)
    db.session.commit()
    login(school.admin)
    response = _add(client, school, colleague.email, role="teacher")
    assert response.status_code == 422
    assert "Only a site administrator can change the role of an organization admin." in page_text(response)
    assert _role(school.org, colleague) == OrgRole.admin


def test_org_admin_removes_a_teacher(client, login, school):
    """Does removing a teacher take them out of the org (org page 404 for them) while their classes stay?"""
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/members/{_membership_id(school.org, school.teacher)}/remove")
    assert response.status_code == 302
    assert _role(school.org, school.teacher) is None
    assert "Tom Teacher is no longer part of Hill School." in page_text(client.get(response.headers["Location"]))
    owner = db.session.scalar(db.select(Membership).where(Membership.circle_id == school.klass.id,
                                                          Membership.user_id == school.teacher.id))
    assert owner.role == Role.owner and owner.is_active
    login(school.teacher)
    assert client.get(f"/orgs/{school.org.id}").status_code == 404
    assert client.get(f"/c/{school.klass.id}").status_code == 200


def test_only_site_admins_remove_org_admins(client, login, school):
    """Is an org admin refused (403) removing an org admin, themselves included, while a site admin may?"""
    url = f"/orgs/{school.org.id}/members/{_membership_id(school.org, school.admin)}/remove"
    login(school.admin)
    assert client.post(url).status_code == 403
    assert _role(school.org, school.admin) == OrgRole.admin
    login(school.site_admin)
    assert client.post(url).status_code == 302
    assert _role(school.org, school.admin) is None


def test_removing_a_member_of_another_org_is_404(client, login, school, make):
    """Can an org admin remove someone through their own org's URL when the membership is elsewhere?"""
    other = org_ops.create_org("Other School")
    elsewhere = org_ops.add_org_member(other, make.user("Eve Elsewhere"), OrgRole.teacher)
    db.session.commit()
    login(school.admin)
    assert client.post(f"/orgs/{school.org.id}/members/{elsewhere.id}/remove").status_code == 404
    assert db.session.get(OrgMembership, elsewhere.id) is not None


def test_orgs_index_lists_my_orgs(client, login, school, make):
    """Does /orgs/ list the organizations I belong to with my role, and an empty state otherwise?"""
    login(school.admin)
    text = page_text(client.get("/orgs/"))
    assert "Hill School" in text and "Organization admin" in text
    login(school.teacher)
    assert "Hill School" in page_text(client.get("/orgs/"))
    login(school.outsider)
    response = client.get("/orgs/")
    assert response.status_code == 200
    assert "You are not part of any organization." in page_text(response) and "Hill School" not in page_text(response)
