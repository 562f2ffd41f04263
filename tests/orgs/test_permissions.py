"""Who may open or use each organization route: site admin, org admin, org teacher, org student,
outsider, anonymous visitor."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.orgs.models import OrgMembership

ROLES = ["site_admin", "admin", "teacher", "student", "outsider", "anonymous"]

#: expected status by role: "ok" is 200 for pages and a redirect back to the org for actions
VIEW = {"site_admin": "ok", "admin": "ok", "teacher": "ok", "student": "ok", "outsider": 404, "anonymous": "login"}
MANAGE = {"site_admin": "ok", "admin": "ok", "teacher": 403, "student": 403, "outsider": 404, "anonymous": "login"}


def _teacher_membership_id(school) -> int:
    return db.session.scalar(db.select(OrgMembership.id).where(OrgMembership.org_id == school.org.id,
                                                               OrgMembership.user_id == school.teacher2.id))


ROUTES = [
    ("show", "GET", lambda s: f"/orgs/{s.org.id}", lambda s, make: None, VIEW),
    ("add_member", "POST", lambda s: f"/orgs/{s.org.id}/members",
     lambda s, make: {"email": make.user("Nina Newcomer").email, "role": "teacher"}, MANAGE),
    ("remove_member", "POST", lambda s: f"/orgs/{s.org.id}/members/{_teacher_membership_id(s)}/remove",
     lambda s, make: {}, MANAGE),
    ("create_classes", "POST", lambda s: f"/orgs/{s.org.id}/classes",
     lambda s, make: {"names": "Physics 9", "teacher_id": s.teacher.id, "kind": "teaching", "join_policy": "code"},
     MANAGE),
    ("assign_teacher", "POST", lambda s: f"/orgs/{s.org.id}/assign-teacher",
     lambda s, make: {"class_id": s.klass.id, "assignee_id": s.teacher2.id}, MANAGE),
]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("name, method, url, data, expected", ROUTES, ids=[r[0] for r in ROUTES])
def test_org_route_permissions(client, login, make, school, who, name, method, url, data, expected):
    """Does each organization route answer each kind of person as the permission rules say?"""
    path, payload = url(school), data(school, make)
    user = school.by_role(who)
    if user is not None:
        login(user)
    response = client.open(path, method=method, data=payload)
    want = expected[who]
    if want == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif want == "ok" and method == "GET":
        assert response.status_code == 200
    elif want == "ok":
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        assert response.headers["Location"].endswith(f"/orgs/{school.org.id}")
    else:
        assert response.status_code == want


def test_org_index_is_open_to_every_signed_in_user(client, login, school):
    """Does /orgs/ answer everyone signed in (an empty page, never a 404) and send visitors to sign in?"""
    assert client.get("/orgs/").status_code == 302
    for user in (school.site_admin, school.admin, school.teacher, school.outsider):
        login(user)
        assert client.get("/orgs/").status_code == 200


def test_unknown_org_is_404_even_for_site_admin(client, login, school):
    """Does an organization id that does not exist give 404, for a site admin too?"""
    login(school.site_admin)
    assert client.get(f"/orgs/{school.org.id + 1000}").status_code == 404
    assert client.post(f"/orgs/{school.org.id + 1000}/classes", data={"names": "X"}).status_code == 404


def test_management_post_without_csrf_is_refused(client, login, school):
    """Is a management form sent without its CSRF token refused, with nothing created?"""
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/classes", csrf=False,
                           data={"names": "Sneaky class", "teacher_id": school.teacher.id, "kind": "teaching",
                                 "join_policy": "code"})
    assert response.status_code == 400
    from lms.circles.models import Circle
    assert db.session.scalar(db.select(Circle).where(Circle.name == "Sneaky class")) is None
