"""Who may open each moderation route: every route × every role. A stranger gets 404 (the circle does not
exist for them), a member without the role 403, the staff and overseers the page."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.moderation.support import make_post, report

ROLES = ["owner", "teacher", "assistant", "student", "stranger", "admin", "org_admin"]


@pytest.fixture
def setup(klass, make, client_as):
    """The klass circle placed in an organization with its own admin; one reported post by the student."""
    org_admin = make.user("Org Admin")
    org = org_ops.create_org("South School")
    org_ops.add_org_member(org, org_admin, OrgRole.admin, klass.admin)
    klass.circle.org_id = org.id
    db.session.commit()
    klass.users["org_admin"] = org_admin
    post = make_post(klass.circle, klass.student)
    report(client_as(klass.classmate), klass.circle, "post", post.id)
    return klass, org, post


QUEUE = {"owner": 200, "teacher": 200, "assistant": 200, "student": 403, "stranger": 404, "admin": 200,
         "org_admin": 200}
SETTINGS = {"owner": 200, "teacher": 200, "assistant": 403, "student": 403, "stranger": 404, "admin": 200,
            "org_admin": 200}
ORG_QUEUE = {"owner": 404, "teacher": 404, "assistant": 404, "student": 404, "stranger": 404, "admin": 200,
             "org_admin": 200}
SITE_QUEUE = {"owner": 404, "teacher": 404, "assistant": 404, "student": 404, "stranger": 404, "admin": 200,
              "org_admin": 404}


@pytest.mark.parametrize("role", ROLES)
def test_circle_queue(role, setup, client_as):
    klass, _org, _post = setup
    assert client_as(klass.users[role]).get(f"/c/{klass.circle.id}/moderation").status_code == QUEUE[role]


@pytest.mark.parametrize("role", ROLES)
def test_settings_page(role, setup, client_as):
    klass, _org, _post = setup
    assert client_as(klass.users[role]).get(f"/c/{klass.circle.id}/moderation/settings").status_code == SETTINGS[role]


@pytest.mark.parametrize("role", ROLES)
def test_org_queue(role, setup, client_as):
    klass, org, _post = setup
    assert client_as(klass.users[role]).get(f"/orgs/{org.id}/moderation").status_code == ORG_QUEUE[role]


def test_an_org_teacher_without_the_admin_role_gets_403(setup, make, client_as):
    klass, org, _post = setup
    teacher = make.user("Org Teacher")
    org_ops.add_org_member(org, teacher, OrgRole.teacher, klass.admin)
    db.session.commit()
    assert client_as(teacher).get(f"/orgs/{org.id}/moderation").status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_site_queue(role, setup, client_as):
    klass, _org, _post = setup
    assert client_as(klass.users[role]).get("/admin/moderation").status_code == SITE_QUEUE[role]


ACT = {"owner": 302, "teacher": 302, "assistant": 302, "student": 403, "stranger": 404, "admin": 302,
       "org_admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_acting_on_a_report(role, setup, client_as):
    klass, _org, post = setup
    response = client_as(klass.users[role]).post(f"/c/{klass.circle.id}/moderation/post/{post.id}/dismiss",
                                                 data={"reason": "fine"})
    assert response.status_code == ACT[role]


REPORT = {"owner": 201, "teacher": 201, "assistant": 201, "student": 422, "stranger": 404, "admin": 403,
          "org_admin": 403}


@pytest.mark.parametrize("role", ROLES)
def test_reporting(role, setup, client_as):
    """Members report (the author of the post cannot report their own: 422); overseers who are not members act
    from the queue instead (403); a stranger gets 404."""
    klass, _org, post = setup
    response = report(client_as(klass.users[role]), klass.circle, "post", post.id)
    assert response.status_code == REPORT[role]


def test_a_circle_of_another_org_is_not_in_an_org_admins_queue(setup, make, client_as):
    klass, org, _post = setup
    other = make.circle()
    other_post = make_post(other, make.member(other).user, "elsewhere")
    report(client_as(make.member(other).user), other, "post", other_post.id)
    page = client_as(klass.users["org_admin"]).get(f"/orgs/{org.id}/moderation").get_data(as_text=True)
    assert "elsewhere" not in page
    assert "elsewhere" in client_as(klass.admin).get("/admin/moderation").get_data(as_text=True)
    assert client_as(klass.users["org_admin"]).get(f"/c/{other.id}/moderation").status_code == 404
