"""Personal access tokens: shown once, stored hashed, scoped, expiring, revocable; the API's errors."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.api import operations as api_ops
from lms.api.models import TOKEN_PREFIX, ApiToken, Scope
from lms.audit.models import AuditEvent
from lms.circles import operations as circle_ops
from lms.circles.models import Membership
from lms.core.types import utcnow
from lms.extensions import db
from tests.fixtures.app import page_text


def test_token_is_shown_once_and_stored_hashed(klass, login):
    """Is the new token on the page that made it, and nowhere after: not in the database, not on the list?"""
    client = login(klass.student)
    response = client.post("/profile/api-tokens", data={"name": "My script", "scopes": ["circles:read"], "days": "30"})
    assert response.status_code == 201
    assert "no-store" in response.headers["Cache-Control"]  # nor kept by a cache or the back button
    html = response.get_data(as_text=True)
    start = html.index(TOKEN_PREFIX)
    secret = html[start:start + len(TOKEN_PREFIX) + 43]
    token = db.session.scalar(db.select(ApiToken))
    assert token.token_hash == ApiToken.hash_token(secret) != secret
    assert token.scopes == ["circles:read"] and token.name == "My script"
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    assert secret not in client.get("/profile/api-tokens").get_data(as_text=True)
    for row in db.session.execute(db.select(ApiToken.__table__)).all():
        assert secret not in repr(row)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "api_token_created"))
    assert event.actor_id == klass.student.id and secret not in repr(event.details)


@pytest.mark.parametrize("data", [{"name": "x", "days": "30"}, {"name": "", "scopes": ["circles:read"], "days": "30"},
                                  {"name": "x", "scopes": ["circles:write"], "days": "30"},
                                  {"name": "x", "scopes": ["circles:read"], "days": "3650"}])
def test_bad_token_forms_make_nothing(klass, login, data):
    """Is a token without a scope, name, with an unknown scope, or living ten years refused? Yes, 422."""
    response = login(klass.student).post("/profile/api-tokens", data=data)
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


def test_every_token_expires_within_a_year(klass):
    """Does the operation itself refuse a lifetime past a year?"""
    with pytest.raises(api_ops.TokenError):
        api_ops.create_token(klass.student, name="x", scopes=["circles:read"], days=400)


def test_missing_scope_is_403(world, api, token_for):
    """Does a token without grades:read get 403 on grades, while its own scope works?"""
    secret = token_for(world.user("owner"), scopes=["circles:read"])
    path = f"/circles/{world.circle.id}/assignments/{world.published.id}/grades"
    response = api(secret, path)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "grades:read" in response.get_json()["detail"]
    assert api(secret, f"/circles/{world.circle.id}").status_code == 200


@pytest.mark.parametrize("scope, path", [
    ("circles:read", "/circles"),
    ("roster:read", "/circles/{c}/members"),
    ("assignments:read", "/circles/{c}/assignments"),
    ("submissions:read", "/circles/{c}/assignments/{a}/submissions"),
    ("grades:read", "/circles/{c}/assignments/{a}/grades"),
])
def test_each_endpoint_needs_its_scope(world, api, token_for, scope, path):
    """Is every endpoint closed to a token with every scope but its own?"""
    path = path.format(c=world.circle.id, a=world.published.id)
    others = [str(s) for s in Scope if str(s) != scope]
    assert api(token_for(world.user("owner"), scopes=others), path).status_code == 403
    assert api(token_for(world.user("owner"), scopes=[scope]), path).status_code == 200


def test_no_token_is_401_problem(world, client):
    """Is a request without a token a 401 problem with a Bearer challenge?"""
    response = client.get("/api/v1/circles")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["status"] == 401 and body["type"] == "about:blank" and body["title"] == "Unauthorized"


def test_a_signed_in_browser_is_not_enough(world, login):
    """Does the session cookie open the API? No: the API reads tokens only."""
    response = login(world.user("owner")).get("/api/v1/circles")
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer circles_pat_forged", "Basic abc", "Bearer "])
def test_wrong_tokens_are_401(world, client, header):
    assert client.get("/api/v1/circles", headers={"Authorization": header}).status_code == 401


def test_expired_token_is_401(world, api):
    """Does a token stop working once its expiry has passed?"""
    token, secret = api_ops.create_token(world.user("owner"), name="old", scopes=["circles:read"], days=1,
                                         now=utcnow() - timedelta(days=2))
    db.session.commit()
    assert api(secret, "/circles").status_code == 401


def test_revoked_token_is_401(world, api, token_for):
    """Does revoking a token stop it at once?"""
    secret = token_for(world.user("owner"))
    assert api(secret, "/circles").status_code == 200
    token = db.session.scalar(db.select(ApiToken))
    api_ops.revoke_token(token, world.user("owner"))
    db.session.commit()
    assert api(secret, "/circles").status_code == 401


def test_disabled_account_token_is_401(world, api, token_for):
    secret = token_for(world.user("teacher"))
    world.user("teacher").is_disabled = True
    db.session.commit()
    assert api(secret, "/circles").status_code == 401


def test_token_of_a_removed_member(world, api, token_for):
    """After the student is removed from the circle, does their old token still reach it? No: 404, and
    the circle leaves their list."""
    secret = token_for(world.user("student"))
    assert api(secret, f"/circles/{world.circle.id}").status_code == 200
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == world.user("student").id))
    circle_ops.remove_member(membership, world.user("owner"))
    db.session.commit()
    assert api(secret, f"/circles/{world.circle.id}").status_code == 404
    assert api(secret, f"/circles/{world.circle.id}/assignments/{world.published.id}/grades").status_code == 404
    assert api(secret, "/circles").get_json()["items"] == []


def test_last_used_is_noted(world, api, token_for):
    secret = token_for(world.user("owner"))
    api(secret, "/circles")
    assert db.session.scalar(db.select(ApiToken)).last_used_at is not None


def test_api_messages_follow_accept_language(world, client):
    """Is the detail of an API error translated for the caller's language?"""
    english = client.get("/api/v1/circles").get_json()["detail"]
    chinese = client.get("/api/v1/circles", headers={"Accept-Language": "zh-CN"}).get_json()["detail"]
    assert english.startswith("Send a personal access token")
    assert chinese  # the translator's catalog decides the words; until then it is the English text


# -- the pages --------------------------------------------------------------------------------

def test_owner_revokes_own_token_on_the_page(klass, login, token_for):
    secret = token_for(klass.student)
    token = db.session.scalar(db.select(ApiToken))
    client = login(klass.student)
    assert "test" in page_text(client.get("/profile/api-tokens"))
    response = client.post(f"/users/{klass.student.id}/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "api_token_revoked"))
    assert event.actor_id == klass.student.id and event.target_id == token.id


@pytest.mark.parametrize("who, expected", [("admin", 302), ("orgadmin", 302), ("owner", 404), ("stranger", 404),
                                           ("classmate", 404)])
def test_who_may_revoke_someone_elses_token(world, client_as, token_for, who, expected):
    """Who sees and revokes the student's token? Site admins and the admin of the student's school;
    not their teacher, a classmate or a stranger (404: the page is not advertised)."""
    from lms.orgs.models import Organization, OrgRole
    from lms.orgs import operations as org_ops

    org = db.session.get(Organization, world.circle.org_id)
    org_ops.add_org_member(org, world.user("student"), OrgRole.student)
    db.session.commit()
    token_for(world.user("student"))
    token = db.session.scalar(db.select(ApiToken))
    client = client_as(world.user(who))
    page = client.get(f"/users/{world.user('student').id}/api-tokens")
    assert page.status_code == (200 if expected == 302 else 404)
    response = client.post(f"/users/{world.user('student').id}/api-tokens/{token.id}/revoke")
    assert response.status_code == expected
    assert (db.session.get(ApiToken, token.id).revoked_at is not None) == (expected == 302)


def test_org_admin_does_not_reach_people_outside_the_school(world, client_as, token_for):
    """The student is in the org admin's class but not in the school's members: no access to their tokens."""
    token_for(world.user("student"))
    response = client_as(world.user("orgadmin")).get(f"/users/{world.user('student').id}/api-tokens")
    assert response.status_code == 404


def test_org_admin_does_not_reach_a_site_admins_tokens(world, client_as, token_for):
    """A site admin who is also a member of the school: their tokens are out of the org admin's reach."""
    from lms.orgs import operations as org_ops
    from lms.orgs.models import Organization, OrgRole

    org_ops.add_org_member(db.session.get(Organization, world.circle.org_id), world.user("admin"), OrgRole.teacher)
    db.session.commit()
    token_for(world.user("admin"))
    token = db.session.scalar(db.select(ApiToken))
    client = client_as(world.user("orgadmin"))
    assert client.get(f"/users/{world.user('admin').id}/api-tokens").status_code == 404
    assert client.post(f"/users/{world.user('admin').id}/api-tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_site_admin_finds_a_persons_tokens_from_the_accounts_list(klass, login):
    html = login(klass.admin).get("/admin/users").get_data(as_text=True)
    assert f"/users/{klass.student.id}/api-tokens" in html


def test_token_events_read_on_the_audit_log(klass, login, token_for):
    """Do making and revoking a token read as words on the site's audit log, without the secret?"""
    secret = token_for(klass.student)
    api_ops.revoke_token(db.session.scalar(db.select(ApiToken)), klass.admin)
    db.session.commit()
    response = login(klass.admin).get("/admin/audit")
    assert response.status_code == 200
    text = page_text(response)
    assert "API token created" in text and "API token revoked" in text and "circles:read" in text
    assert secret not in response.get_data(as_text=True)
