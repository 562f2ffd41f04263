"""The tool's key rotation (several keys in the JWKS, each with its kid; a new one signs, the old one stays
until it expires) and platforms registered by an organization's admins (their courses become the
organization's circles; such a platform signs in only the organization's members)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from lms.accounts.models import User
from lms.circles.models import Role
from lms.core.types import utcnow
from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.lti import keys, services, tasks
from lms.lti.models import LtiContext, LtiPlatform, LtiToolKey
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgMembership, OrgRole
from tests.lti.conftest import CLIENT_ID, INSTRUCTOR, ISSUER, LEARNER

FORM = {"name": "Moodle of the school", "issuer": "https://moodle.school.example", "client_id": "abc123",
        "deployment_ids": "1", "auth_login_url": "https://moodle.school.example/mod/lti/auth.php",
        "auth_token_url": "https://moodle.school.example/mod/lti/token.php",
        "keyset_url": "https://moodle.school.example/mod/lti/certs.php", "is_enabled": "y", "save": "1"}


def _kids(client) -> list[str]:
    data = client.get("/lti/jwks.json").get_json()
    assert all(k["kid"] and k["kty"] == "RSA" and k["alg"] == "RS256" and "d" not in k for k in data["keys"])
    return [k["kid"] for k in data["keys"]]


def test_admin_rotates_the_tool_key_and_the_old_one_stays_until_it_expires(app, make, client_as, platform_record):
    admin = db.session.scalar(sa.select(User).where(User.is_admin.is_(True)))
    client = client_as(admin)
    first = _kids(client)
    assert len(first) == 1
    page = client.get("/admin/lti").get_data(as_text=True)
    assert first[0] in page and "/admin/lti/rotate-key" in page

    assert client.post("/admin/lti/rotate-key", data={}).status_code == 302
    both = _kids(client)
    assert len(both) == 2 and both[0] == first[0]
    current = keys.tool_key()
    assert current.kid == both[1]  # the new key signs
    token = services.client_assertion(platform_record)
    header = jwt.decode(token, KeySet.import_key_set(client.get("/lti/jwks.json").get_json()))
    assert header.header["kid"] == current.kid and header.claims["iss"] == CLIENT_ID
    old = db.session.scalar(sa.select(LtiToolKey).where(LtiToolKey.kid == first[0]))
    assert old.retire_at is not None and old.retire_at > utcnow() + timedelta(days=6)
    assert first[0] in client.get("/admin/lti").get_data(as_text=True)

    # its time over: the periodic job withdraws it
    old.retire_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    tasks.withdraw_tool_keys()
    assert _kids(client) == [current.kid]
    # only site admins rotate
    assert client_as(make.user()).post("/admin/lti/rotate-key").status_code in (403, 404)


def test_the_flask_command_rotates(app, platform_record):
    keys.tool_key()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lti", "rotate-key", "--keep-days", "2"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    published = keys.published_keys()
    assert len(published) == 2 and published[0].retire_at is not None and published[1].retire_at is None
    assert published[1].kid in result.output and published[0].kid in result.output


def _org_with_admin(make):
    org = org_ops.create_org("North School")
    admin = make.user()
    org_ops.add_org_member(org, admin, OrgRole.admin)
    db.session.commit()
    return org, admin


def test_an_org_admin_registers_a_platform_for_their_org(make, client_as):
    make.user(is_admin=True)
    org, admin = _org_with_admin(make)
    client = client_as(admin)
    assert client.get(f"/orgs/{org.id}/lti").status_code == 200
    assert client.post(f"/orgs/{org.id}/lti/new", data=FORM).status_code == 302
    platform = db.session.scalar(sa.select(LtiPlatform))
    assert platform.org_id == org.id
    assert "Moodle of the school" in client.get(f"/orgs/{org.id}/lti").get_data(as_text=True)
    assert client.get(f"/orgs/{org.id}/lti/{platform.id}").status_code == 200
    # another org's admin, a teacher of the org, a stranger: no page; the site pages stay the site admin's
    other, other_admin = org_ops.create_org("South School"), make.user()
    org_ops.add_org_member(other, other_admin, OrgRole.admin)
    teacher = make.user()
    org_ops.add_org_member(org, teacher, OrgRole.teacher)
    db.session.commit()
    assert client_as(other_admin).get(f"/orgs/{other.id}/lti/{platform.id}").status_code == 404
    assert client_as(other_admin).get(f"/orgs/{org.id}/lti").status_code == 404
    assert client_as(teacher).get(f"/orgs/{org.id}/lti").status_code == 404
    assert client.get("/admin/lti").status_code in (403, 404)


def test_launches_from_an_org_platform_land_in_the_org(platform, new_platform, make):
    org, _admin = _org_with_admin(make)
    platform.record.org_id = org.id
    db.session.commit()
    assert platform.launch(sub="teacher-1", roles=[INSTRUCTOR], email="t@school.example").status_code == 302
    circle = db.session.scalar(sa.select(LtiContext)).circle
    assert circle.org_id == org.id

    def org_role(sub):
        user = db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == ISSUER,
                                                                   ExternalIdentity.subject == sub)).user
        return db.session.scalar(sa.select(OrgMembership.role).where(OrgMembership.org_id == org.id,
                                                                     OrgMembership.user_id == user.id))

    assert org_role("teacher-1") == OrgRole.teacher
    assert new_platform().launch(sub="student-1", roles=[LEARNER]).status_code == 302
    assert org_role("student-1") == OrgRole.student
    assert circle.membership_of(db.session.scalar(sa.select(ExternalIdentity).where(
        ExternalIdentity.subject == "student-1")).user).role == Role.student


def test_an_org_platform_cannot_sign_in_someone_outside_the_org(platform, new_platform, make):
    """An org admin picks the platform's keys: its launches must not reach accounts of people outside the
    organization, neither through an identity another registration linked nor by email."""
    outsider = make.user("Out Sider", "outsider@school.example")
    platform.record.trust_email = True
    db.session.commit()
    assert platform.launch(sub="teacher-1", roles=[INSTRUCTOR]).status_code == 302  # a site-wide platform
    assert new_platform().launch(sub="student-9", roles=[LEARNER]).status_code == 302
    org, _admin = _org_with_admin(make)
    platform.record.org_id = org.id
    db.session.commit()
    refused = new_platform().launch(sub="student-9", roles=[LEARNER])
    assert refused.status_code == 403 and "another organization" in refused.get_data(as_text=True)
    # by email: a new account instead of the outsider's
    new_platform().launch(sub="student-10", roles=[LEARNER], email="outsider@school.example")
    identity = db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.subject == "student-10"))
    assert identity.user_id != outsider.id
