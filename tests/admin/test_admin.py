"""The site administrator's area: dashboard, accounts, organizations, and who may open it."""
from __future__ import annotations

import pytest

from lms.accounts.models import User
from lms.extensions import db
from lms.orgs.models import Organization
from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD, sign_in
from tests.orgs.school import build_school


@pytest.fixture
def school(make):
    return build_school(make)


ROUTES = [
    ("index", "GET", lambda s: "/admin/", None),
    ("users", "GET", lambda s: "/admin/users?q=tom", None),
    ("orgs", "GET", lambda s: "/admin/orgs", None),
    ("create_org", "POST", lambda s: "/admin/orgs", {"name": "New School", "description": ""}),
    ("grant_admin", "POST", lambda s: f"/admin/users/{s.teacher.id}/grant-admin", {}),
    ("revoke_admin", "POST", lambda s: f"/admin/users/{s.teacher.id}/revoke-admin", {}),
    ("disable_user", "POST", lambda s: f"/admin/users/{s.teacher.id}/disable", {}),
    ("enable_user", "POST", lambda s: f"/admin/users/{s.teacher.id}/enable", {}),
]
ROLES = ["site_admin", "admin", "teacher", "outsider", "anonymous"]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("name, method, url, data", ROUTES, ids=[r[0] for r in ROUTES])
def test_admin_route_permissions(client, login, school, who, name, method, url, data):
    """Does every admin route work for a site admin, 404 for everyone signed in who is not one (org
    admins included), and send visitors to sign in?"""
    user = school.by_role(who)
    if user is not None:
        login(user)
    response = client.open(url(school), method=method, data=data)
    if who == "site_admin":
        assert response.status_code == (200 if method == "GET" else 302)
    elif who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 404
    teacher = db.session.get(User, school.teacher.id)
    changed = teacher.is_admin or teacher.is_disabled
    assert changed == (who == "site_admin" and name in ("grant_admin", "disable_user"))


def test_dashboard_shows_counts_and_links(client, login, school, make):
    """Does the dashboard count users, organizations and circles, and link to organizations?"""
    make.circle(school.outsider, "Private circle")
    login(school.site_admin)
    response = client.get("/admin/")
    text = page_text(response)
    assert "6 users" in text and "1 organization" in text and "2 circles" in text
    assert 'href="/admin/orgs"' in response.get_data(as_text=True)
    assert 'href="/admin/users"' in response.get_data(as_text=True)


def test_user_list_search_and_pagination(client, login, make):
    """Is the user list paginated (50 a page) and searchable by name or email?"""
    admin = make.user("Ada Admin", is_admin=True)
    for n in range(54):
        make.user(f"Pupil {n:02d}", email=f"pupil{n:02d}@school.example")
    make.user("Zed Zimmer", email="zed@elsewhere.example")
    login(admin)
    first = page_text(client.get("/admin/users"))
    assert "56 accounts" in first and "Page 1 of 2" in first and "zed@elsewhere.example" not in first
    second = page_text(client.get("/admin/users?page=2"))
    assert "zed@elsewhere.example" in second
    by_email = page_text(client.get("/admin/users?q=ELSEWHERE"))
    assert "1 account" in by_email and "Zed Zimmer" in by_email and "Pupil" not in by_email
    by_name = page_text(client.get("/admin/users?q=pupil 07"))
    assert "Pupil 07" in by_name and "Pupil 08" not in by_name
    nobody = page_text(client.get("/admin/users?q=nobody-like-this"))
    assert "No account matches." in nobody


def test_granting_and_revoking_site_admin(client, login, school):
    """Does granting make someone a site admin who can open /admin, and revoking take it back?"""
    login(school.site_admin)
    listing = client.get("/admin/users?q=tom").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/admin/users?q=tom"' in listing  # the buttons bring us back here
    assert f'action="/admin/users/{school.teacher.id}/grant-admin"' in listing
    response = client.post(f"/admin/users/{school.teacher.id}/grant-admin", data={"next": "/admin/users?q=tom"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users?q=tom")
    assert "Tom Teacher (%s) is now a site administrator." % school.teacher.email in page_text(
        client.get(response.headers["Location"]))
    assert db.session.get(User, school.teacher.id).is_admin
    login(school.teacher)
    assert client.get("/admin/").status_code == 200
    login(school.site_admin)
    assert client.post(f"/admin/users/{school.teacher.id}/revoke-admin").status_code == 302
    assert not db.session.get(User, school.teacher.id).is_admin
    login(school.teacher)
    assert client.get("/admin/").status_code == 404


def test_admin_cannot_revoke_own_admin_rights(client, login, school):
    """Is an admin refused, with a message, when removing their own administrator rights?"""
    login(school.site_admin)
    response = client.post(f"/admin/users/{school.site_admin.id}/revoke-admin", follow_redirects=True)
    assert response.status_code == 200
    assert "You cannot remove your own administrator rights." in page_text(response)
    assert db.session.get(User, school.site_admin.id).is_admin


def test_admin_cannot_disable_own_account(client, login, school):
    """Is an admin refused, with a message, when disabling their own account?"""
    login(school.site_admin)
    response = client.post(f"/admin/users/{school.site_admin.id}/disable", follow_redirects=True)
    assert "You cannot disable your own account." in page_text(response)
    assert not db.session.get(User, school.site_admin.id).is_disabled


def test_disabling_signs_the_user_out_and_enabling_lets_them_back(app, client, login, school):
    """Does disabling an account end its open session at the next request, refuse sign-in, and does
    re-enabling let the person sign in again?"""
    victim = app.test_client()
    sign_in(victim, school.teacher)
    assert victim.get("/").status_code == 200
    login(school.site_admin)
    response = client.post(f"/admin/users/{school.teacher.id}/disable", follow_redirects=True)
    assert "Tom Teacher (%s) is disabled and signed out everywhere." % school.teacher.email in page_text(response)
    again = victim.get("/")
    assert again.status_code == 302 and "/login" in again.headers["Location"]
    sign_in_form = {"email": school.teacher.email, "password": PASSWORD}
    refused = victim.post("/login", data=sign_in_form)  # the right password: told the account is suspended
    assert refused.status_code == 403 and "This account is suspended." in page_text(refused)
    assert client.post(f"/admin/users/{school.teacher.id}/enable").status_code == 302
    assert not db.session.get(User, school.teacher.id).is_disabled
    assert victim.post("/login", data=sign_in_form).status_code == 302
    assert victim.get("/").status_code == 200


def test_user_action_on_unknown_user_is_404(client, login, school):
    """Does an action on an account id that does not exist give 404?"""
    login(school.site_admin)
    assert client.post("/admin/users/999999/disable").status_code == 404


def test_user_action_never_redirects_off_site(client, login, school):
    """Is a `next` pointing to another site ignored (no open redirect)?"""
    login(school.site_admin)
    response = client.post(f"/admin/users/{school.teacher.id}/grant-admin", data={"next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")


def test_creating_an_organization(client, login, school):
    """Does the form create an organization and open its page, where the site admin names its admins?"""
    login(school.site_admin)
    response = client.post("/admin/orgs", data={"name": "  River   School ", "description": "By the river"})
    assert response.status_code == 302
    org = db.session.scalar(db.select(Organization).where(Organization.name == "River School"))
    assert org is not None and org.description == "By the river"
    assert response.headers["Location"].endswith(f"/orgs/{org.id}")
    page = client.get(response.headers["Location"])
    assert "River School is created. Now name its admins." in page_text(page)
    assert '<option value="admin">Organization admin</option>' in page.get_data(as_text=True)
    listing = page_text(client.get("/admin/orgs"))
    assert "River School" in listing and "Hill School" in listing


@pytest.mark.parametrize("name", ["", "    "])
def test_creating_an_organization_needs_a_name(client, login, school, name):
    """Is an organization with an empty or blank name refused with a message?"""
    login(school.site_admin)
    response = client.post("/admin/orgs", data={"name": name, "description": "x"})
    assert response.status_code == 422
    assert "This field is required." in page_text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Organization)) == 1


def test_admin_link_in_navigation_only_for_site_admins(client, login, school):
    """Is the Administration link shown to site admins and not to org admins?"""
    login(school.site_admin)
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)
    login(school.admin)
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_admin_and_org_pages_speak_chinese(client, login, school):
    """Do the admin dashboard and the org page show in Chinese for a reader who chose it?"""
    school.site_admin.locale = "zh_Hans"
    db.session.commit()
    login(school.site_admin)
    dashboard = page_text(client.get("/admin/"))
    assert "Organizations" not in dashboard and "What do you want to do?" not in dashboard and "机构" in dashboard
    org_page = page_text(client.get(f"/orgs/{school.org.id}"))
    assert "Create classes" not in org_page and "Admins and teachers" not in org_page and "班级" in org_page
