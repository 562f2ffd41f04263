"""The gaps around an organization's provider: "only way in" keeps its admins a way in and is confirmed; the
test button keeps the typed secret; providers are deleted unless someone relies on them alone; the student
number and role claims reach the organization; Entra's missing email_verified and multi-tenant issuer."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.circles.models import Membership, Role
from lms.extensions import db
from lms.identity import oidc
from lms.identity import operations as ops
from lms.identity.models import ExternalIdentity, IdentityProvider
from lms.orgs.models import OrgMembership, Organization, OrgRole
from tests.accounts.helpers import session_user_id
from tests.fixtures.app import page_text
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET

PASSWORD = "correct horse battery"


def _form(issuer: str, **overrides) -> dict:
    data = {"name": "Springfield SSO", "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "scopes": "openid email profile", "email_claim": "email", "name_claim": "name",
            "student_number_claim": "", "role_claim": "", "allowed_domains": "", "is_enabled": "y", "save": "1"}
    data.update(overrides)
    return data


@pytest.fixture
def springfield(make):
    """Springfield with Olga its admin (a password) and Pat its student (a password)."""
    olga = make.user(name="Olga", email="olga@school.example", password=PASSWORD)
    pat = make.user(name="Pat", email="pat@school.example", password=PASSWORD)
    org = Organization(name="Springfield")
    db.session.add(org)
    db.session.flush()
    db.session.add_all([OrgMembership(org_id=org.id, user_id=olga.id, role=OrgRole.admin),
                        OrgMembership(org_id=org.id, user_id=pat.id, role=OrgRole.student)])
    db.session.commit()
    return org, olga, pat


def _provider(org=None, **settings) -> IdentityProvider:
    provider = IdentityProvider(org_id=org.id if org else None, name=settings.pop("name", "Springfield SSO"),
                                issuer=settings.pop("issuer", "https://login.school.example"), client_id=CLIENT_ID,
                                student_number_claim="student_number", role_claim="school_role", **settings)
    provider.client_secret = CLIENT_SECRET
    db.session.add(provider)
    db.session.commit()
    return provider


def test_only_way_in_asks_for_confirmation_and_keeps_the_admins_password(client_as, app, springfield,
                                                                          openid_provider):
    """Turning "only way in" on without ticking the box saves nothing and the page says what it does; ticked,
    it saves. Then the student is refused the password form while the org admin who set it still signs in."""
    org, olga, pat = springfield
    client = client_as(olga)
    page = page_text(client.get(f"/orgs/{org.id}/sign-in/new"))
    assert "keep their password sign-in" in page and "1 member has not linked this provider yet" in page
    refused = client.post(f"/orgs/{org.id}/sign-in/new", data=_form(openid_provider.issuer, is_exclusive="y"))
    assert refused.status_code == 422 and "Tick this box" in page_text(refused)
    assert db.session.scalar(sa.select(IdentityProvider)) is None
    saved = client.post(f"/orgs/{org.id}/sign-in/new",
                        data=_form(openid_provider.issuer, is_exclusive="y", confirm_exclusive="y"))
    assert saved.status_code == 302
    assert db.session.scalar(sa.select(IdentityProvider)).is_exclusive is True

    student = app.test_client()
    assert student.post("/login", data={"email": pat.email, "password": PASSWORD}).status_code == 403
    admin = app.test_client()
    ok = admin.post("/login", data={"email": olga.email, "password": PASSWORD})
    assert ok.status_code == 302 and session_user_id(admin) == olga.id


def test_saving_an_exclusive_provider_again_needs_no_new_confirmation(client_as, springfield):
    org, olga, _pat = springfield
    provider = _provider(org, is_exclusive=True)
    response = client_as(olga).post(f"/orgs/{org.id}/sign-in/{provider.id}",
                                    data=_form(provider.issuer, client_secret="", is_exclusive="y", name="Renamed"))
    assert response.status_code == 302
    db.session.refresh(provider)
    assert provider.name == "Renamed" and provider.is_exclusive


def test_testing_the_connection_keeps_the_typed_secret(client_as, make, openid_provider):
    """After "Test the connection" the secret typed is still in the form, so Save stores it."""
    client = client_as(make.user(is_admin=True))
    tested = client.post("/admin/sign-in/new", data=_form(openid_provider.issuer, save="", test="1"))
    assert tested.status_code == 200 and "Connected" in page_text(tested)
    field = re.search(r'<input[^>]*name="client_secret"[^>]*>', tested.get_data(as_text=True)).group(0)
    assert f'value="{CLIENT_SECRET}"' in field and 'type="password"' in field
    # a fresh edit page never shows a stored secret
    provider = _provider()
    page = client.get(f"/admin/sign-in/{provider.id}").get_data(as_text=True)
    assert CLIENT_SECRET not in page


def test_a_provider_someone_relies_on_alone_is_not_deleted(client_as, make, springfield):
    """A provider whose link is an account's only way in cannot be deleted (the page says why); once that
    account has a password it can, the link staying (issuer kept, provider gone) and the log told."""
    org, olga, _pat = springfield
    provider = _provider(org)
    ann = User(email="ann@school.example", name="Ann", password_hash="")
    db.session.add(ann)
    db.session.flush()
    db.session.add(ExternalIdentity(user_id=ann.id, provider_id=provider.id, issuer=provider.issuer, subject="ann"))
    db.session.commit()
    client = client_as(olga)
    assert "cannot be deleted" in page_text(client.get(f"/orgs/{org.id}/sign-in/{provider.id}"))
    refused = client.post(f"/orgs/{org.id}/sign-in/{provider.id}/delete", follow_redirects=True)
    assert "1 account can sign in only with Springfield SSO (Ann)" in page_text(refused)
    assert db.session.get(IdentityProvider, provider.id) is not None

    from lms.accounts.operations import set_password

    set_password(ann, PASSWORD)
    db.session.commit()
    provider_id = provider.id
    assert client.post(f"/orgs/{org.id}/sign-in/{provider_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(IdentityProvider, provider_id) is None
    link = db.session.scalar(sa.select(ExternalIdentity))
    assert link.provider_id is None and link.issuer == "https://login.school.example"
    from lms.audit.models import AuditEvent

    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sign_in_provider_changed")
                             .order_by(AuditEvent.id.desc())).details["sign_in_change"] == "deleted"


def test_a_roster_made_account_has_no_usable_password(springfield):
    """An account a roster import made (a "!" mark, no password) counts no password as a way in."""
    org, _olga, _pat = springfield
    provider = _provider(org)
    kim = User(email="kim@school.example", name="Kim", password_hash="!roster:0123")
    db.session.add(kim)
    db.session.flush()
    identity = ExternalIdentity(user_id=kim.id, provider_id=provider.id, issuer=provider.issuer, subject="kim")
    db.session.add(identity)
    db.session.commit()
    assert ops.ways_in(kim) == 1
    with pytest.raises(ops.IdentityError):
        ops.unlink_identity(identity, kim)


@pytest.fixture
def claims():
    def _claims(sub="t-1", **extra):
        return {"iss": "https://login.school.example", "sub": sub, "email": f"{sub}@school.example",
                "email_verified": True, "name": "Tess Teach", **extra}
    return _claims


def test_the_role_claim_makes_a_teacher_of_the_org(springfield, claims):
    """A role claim naming a teacher (a list, as Entra's `roles`) makes the new account a teacher of the
    organization; a student claim raises nobody's role; an admin stays admin."""
    org, olga, pat = springfield
    provider = _provider(org)
    user, created = ops.sign_in_with(provider, claims(school_role=["School.Teacher"]))
    assert created
    role = db.session.scalar(sa.select(OrgMembership.role).where(OrgMembership.user_id == user.id))
    assert role == OrgRole.teacher
    # Pat, a student of the org, signs in with a teacher claim: promoted; Olga stays admin
    db.session.add(ExternalIdentity(user_id=pat.id, provider_id=provider.id, issuer=provider.issuer, subject="pat"))
    db.session.add(ExternalIdentity(user_id=olga.id, provider_id=provider.id, issuer=provider.issuer, subject="olga"))
    db.session.flush()
    ops.sign_in_with(provider, claims(sub="pat", school_role="teacher"))
    ops.sign_in_with(provider, claims(sub="olga", school_role="student"))
    roles = dict(db.session.execute(sa.select(OrgMembership.user_id, OrgMembership.role)
                                    .where(OrgMembership.org_id == org.id)).all())
    assert roles[pat.id] == OrgRole.teacher and roles[olga.id] == OrgRole.admin


def test_the_student_number_claim_fills_missing_numbers_in_the_orgs_circles(make, springfield, claims):
    """The student number claim (normalised: full-width to ASCII, upper case) fills Pat's number in the
    organization's circles where it is missing, never where the staff set one, never outside the org."""
    org, olga, pat = springfield
    provider = _provider(org)
    teacher = make.user()
    empty = make.circle(owner=teacher)
    empty.org_id = org.id
    numbered = make.circle(owner=teacher)
    numbered.org_id = org.id
    elsewhere = make.circle(owner=teacher)
    db.session.flush()
    for circle, number in ((empty, None), (numbered, "STAFF-1"), (elsewhere, None)):
        db.session.add(Membership(circle_id=circle.id, user_id=pat.id, role=Role.student, display_name="Pat",
                                  student_no=number))
    db.session.add(ExternalIdentity(user_id=pat.id, provider_id=provider.id, issuer=provider.issuer, subject="pat"))
    db.session.commit()
    ops.sign_in_with(provider, claims(sub="pat", student_number="ｓ－１００１"))
    db.session.commit()
    numbers = dict(db.session.execute(sa.select(Membership.circle_id, Membership.student_no)
                                      .where(Membership.user_id == pat.id)).all())
    assert numbers == {empty.id: "S-1001", numbered.id: "STAFF-1", elsewhere.id: None}


def test_the_student_number_and_role_come_through_the_real_provider(app, springfield, add_provider, oidc_sign_in,
                                                                      make):
    """Through oidc-provider: Ann's `student_number` claim S-1001 fills her number in a circle of the org."""
    org, _olga, _pat = springfield
    ann = make.user(email="ann@school.example", name="Ann")
    circle = make.circle(owner=make.user())
    circle.org_id = org.id
    db.session.add(Membership(circle_id=circle.id, user_id=ann.id, role=Role.student, display_name="Ann"))
    db.session.commit()
    provider = add_provider(org=org, name="Springfield SSO")
    oidc_sign_in(app.test_client(), provider, "ann")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Membership.student_no).where(Membership.user_id == ann.id)) == "S-1001"
    assert db.session.scalar(sa.select(OrgMembership.role).where(OrgMembership.user_id == ann.id)) == OrgRole.student


def test_entra_without_email_verified_is_trusted_only_for_listed_domains(springfield, claims):
    """No `email_verified` (Entra): refused without allowed domains, accepted with them (or with xms_edov);
    `email_verified` false is refused whatever the domains."""
    org, _olga, _pat = springfield
    open_provider = _provider(None, name="Entra any")
    with pytest.raises(ops.IdentityError, match="not verified"):
        ops.sign_in_with(open_provider, {k: v for k, v in claims(sub="e1").items() if k != "email_verified"})
    user, created = ops.sign_in_with(open_provider, {**{k: v for k, v in claims(sub="e2").items()
                                                        if k != "email_verified"}, "xms_edov": True})
    assert created
    listed = _provider(org, name="Entra school", issuer="https://login.microsoftonline.com/tid/v2.0",
                       allowed_domains=["school.example"])
    entra = {k: v for k, v in claims(sub="e3").items() if k != "email_verified"}
    entra["iss"] = listed.issuer
    assert ops.sign_in_with(listed, entra)[1] is True
    with pytest.raises(ops.IdentityError, match="not verified"):
        ops.sign_in_with(listed, {**entra, "sub": "e4", "email": "e4@school.example", "email_verified": False})


def test_entras_multi_tenant_issuer_is_explained(monkeypatch):
    """Discovery of login.microsoftonline.com/common/v2.0 names the issuer with {tenantid}: the message says
    to use the tenant's own issuer."""
    class Answer:
        status_code = 200

        @staticmethod
        def json():
            return {"issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
                    "authorization_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                    "token_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                    "jwks_uri": "https://login.microsoftonline.com/common/discovery/v2.0/keys"}

    monkeypatch.setattr(oidc.requests.Session, "get", lambda *a, **k: Answer())
    with pytest.raises(oidc.OIDCError, match="tenant's own issuer"):
        oidc.discover("https://login.microsoftonline.com/common/v2.0", fresh=True)
