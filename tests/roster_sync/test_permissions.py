"""Who may open each roster sync route: site admin, org admin, org teacher, org student, outsider, visitor."""
from __future__ import annotations

import io

import pytest

from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from lms.roster_sync.models import RosterImport
from tests.fixtures.factories import sign_in
from tests.roster_sync.sample import roster_zip

ROLES = ["site_admin", "admin", "teacher", "student", "outsider", "anonymous"]
#: "ok": 200 for pages, a redirect to the import for uploads and applies
MANAGE = {"site_admin": "ok", "admin": "ok", "teacher": 404, "student": 404, "outsider": 404, "anonymous": "login"}


@pytest.fixture
def previewed(client, login, upload, school):
    """An import of the sample set, previewed by the organization's admin (then signed out)."""
    login(school.admin)
    assert upload(school.org, roster_zip()).status_code == 302
    return db.session.scalar(db.select(RosterImport))


ROUTES = [
    ("index", "GET", lambda s, r: f"/orgs/{s.org.id}/roster", None),
    ("show", "GET", lambda s, r: f"/orgs/{s.org.id}/roster/{r.id}", None),
    ("upload", "POST", lambda s, r: f"/orgs/{s.org.id}/roster", "file"),
    ("apply", "POST", lambda s, r: f"/orgs/{s.org.id}/roster/{r.id}/apply", {}),
]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("name, method, url, data", ROUTES, ids=[r[0] for r in ROUTES])
def test_roster_route_permissions(app, previewed, login, school, who, name, method, url, data):
    """Does each roster sync route answer each kind of person as the permission rules say (a stranger 404)?"""
    client = app.test_client()
    user = school.by_role(who)
    if user is not None:
        sign_in(client, user)
    payload = {"file": (io.BytesIO(roster_zip()), "r.zip")} if data == "file" else data
    response = client.open(url(school, previewed), method=method, data=payload,
                           content_type="multipart/form-data" if data == "file" else None)
    want = MANAGE[who]
    if want == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif want == "ok" and method == "GET":
        assert response.status_code == 200
    elif want == "ok":
        assert response.status_code == 302 and "/roster/" in response.headers["Location"]
    else:
        assert response.status_code == want


def test_import_of_another_organization_is_404(client, login, make, previewed, school):
    """Does an admin of another organization get 404 for this organization's import, under their own org too?"""
    other = org_ops.create_org("Other School")
    other_admin = make.user("Oscar Other")
    org_ops.add_org_member(other, other_admin, OrgRole.admin)
    db.session.commit()
    login(other_admin)
    assert client.get(f"/orgs/{school.org.id}/roster/{previewed.id}").status_code == 404
    assert client.get(f"/orgs/{other.id}/roster/{previewed.id}").status_code == 404
    assert client.post(f"/orgs/{other.id}/roster/{previewed.id}/apply").status_code == 404


def test_org_page_links_to_roster_sync_for_admins_only(client, login, school):
    """Does the organization's page link to roster sync for its admins, and not for its teachers?"""
    login(school.admin)
    assert f"/orgs/{school.org.id}/roster" in client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
    login(school.teacher)
    assert f"/orgs/{school.org.id}/roster" not in client.get(f"/orgs/{school.org.id}").get_data(as_text=True)
