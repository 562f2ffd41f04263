"""Setting up providers: site admins for the whole site, an organization's admins for their own; the test
connection button reads discovery; the client secret is stored encrypted and never shown back."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.identity.models import IdentityProvider
from lms.orgs.models import OrgMembership, Organization, OrgRole
from tests.fixtures.app import page_text
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET


def _form(issuer: str, **overrides) -> dict:
    data = {"name": "Springfield High", "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "scopes": "email profile", "email_claim": "email", "name_claim": "name", "student_number_claim": "",
            "role_claim": "", "allowed_domains": "school.example\n@Staff.School.example", "is_enabled": "y",
            "save": "1"}
    data.update(overrides)
    return data


@pytest.fixture
def org_setup(make):
    """Springfield with Olga its admin and Tom its teacher; Other Org with its own provider."""
    olga, tom = make.user(name="Olga"), make.user(name="Tom")
    org, other = Organization(name="Springfield"), Organization(name="Other Org")
    db.session.add_all([org, other])
    db.session.flush()
    db.session.add_all([OrgMembership(org_id=org.id, user_id=olga.id, role=OrgRole.admin),
                        OrgMembership(org_id=org.id, user_id=tom.id, role=OrgRole.teacher)])
    db.session.commit()
    return olga, tom, org, other


def test_a_site_admin_tests_the_connection_then_saves_a_provider(client_as, make, openid_provider):
    """Does the test button report the provider's configuration, and saving store the settings with the secret
    encrypted (not in the page, not in the column) and the audit log told?"""
    admin = make.user(is_admin=True)
    client = client_as(admin)
    tested = client.post("/admin/sign-in/new", data=_form(openid_provider.issuer + "/", save="", test="1"))
    assert tested.status_code == 200 and "Connected" in page_text(tested)
    assert db.session.scalar(sa.select(IdentityProvider)) is None
    saved = client.post("/admin/sign-in/new", data=_form(openid_provider.issuer + "/"))
    assert saved.status_code == 302
    provider = db.session.scalar(sa.select(IdentityProvider))
    assert provider.issuer == openid_provider.issuer and provider.org_id is None
    assert provider.scopes == "openid email profile"
    assert provider.allowed_domains == ["school.example", "staff.school.example"]
    assert provider.client_secret == CLIENT_SECRET
    assert CLIENT_SECRET not in provider.client_secret_encrypted
    raw = db.session.execute(sa.text("SELECT client_secret FROM identity_providers")).scalar_one()
    assert CLIENT_SECRET not in raw
    edit_page = client.get(f"/admin/sign-in/{provider.id}").get_data(as_text=True)
    assert CLIENT_SECRET not in edit_page and "…6789" in edit_page
    listing = page_text(client.get("/admin/sign-in"))
    assert "Springfield High" in listing and "http://localhost/login/oidc/callback" in listing

    kept = client.post(f"/admin/sign-in/{provider.id}", data=_form(openid_provider.issuer, client_secret="",
                                                                    is_enabled=""))
    assert kept.status_code == 302
    db.session.refresh(provider)
    assert provider.client_secret == CLIENT_SECRET and provider.is_enabled is False
    from lms.audit.models import AuditEvent

    changes = [e.details["sign_in_change"] for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "sign_in_provider_changed").order_by(AuditEvent.id))]
    assert changes == ["created", "disabled"]


@pytest.mark.parametrize("issuer, message", [
    ("http://127.0.0.1:9/", "Could not reach"),
    ("http://school.example/realms/x", "must use https"),
    ("ftp://school.example", "must be an https://"),
])
def test_a_failing_discovery_is_reported_clearly(client_as, make, issuer, message):
    """Does the test button say why a provider cannot be used (nothing listening, plain http elsewhere than
    this machine, not a web address)?"""
    client = client_as(make.user(is_admin=True))
    response = client.post("/admin/sign-in/new", data=_form(issuer, save="", test="1"))
    assert response.status_code == 422 and message in page_text(response)


def test_a_discovery_naming_another_issuer_is_refused(client_as, make, openid_provider):
    """Is a configuration that names another issuer than the one typed refused (here: localhost for 127.0.0.1)?"""
    client = client_as(make.user(is_admin=True))
    issuer = openid_provider.issuer.replace("127.0.0.1", "localhost")
    response = client.post("/admin/sign-in/new", data=_form(issuer, save="", test="1"))
    assert response.status_code == 422 and "calls itself" in page_text(response)


@pytest.mark.parametrize("who, status", [("olga", 200), ("tom", 404), ("stranger", 404)])
def test_only_the_orgs_admins_manage_its_providers(client_as, make, org_setup, who, status):
    """Who reaches an organization's sign-in settings: its admin yes, its teacher and a stranger 404 (not told the page exists)?"""
    olga, tom, org, _other = org_setup
    person = {"olga": olga, "tom": tom, "stranger": make.user()}[who]
    client = client_as(person)
    assert client.get(f"/orgs/{org.id}/sign-in").status_code == status
    assert client.get(f"/orgs/{org.id}/sign-in/new").status_code == status


def test_an_org_admin_adds_an_exclusive_provider_but_not_to_another_org(client_as, org_setup, openid_provider,
                                                                          add_provider, make):
    """Does Olga's provider belong to Springfield (exclusive allowed), while Other Org's provider and the site
    pages stay out of her reach?"""
    olga, _tom, org, other = org_setup
    foreign = add_provider(org=other, name="Other SSO")
    client = client_as(olga)
    saved = client.post(f"/orgs/{org.id}/sign-in/new", data=_form(openid_provider.issuer, is_exclusive="y",
                                                                   confirm_exclusive="y"))
    assert saved.status_code == 302
    mine = db.session.scalar(sa.select(IdentityProvider).where(IdentityProvider.org_id == org.id))
    assert mine.is_exclusive is True
    assert client.get(f"/orgs/{org.id}/sign-in/{foreign.id}").status_code == 404
    assert client.get(f"/orgs/{other.id}/sign-in/{foreign.id}").status_code == 404
    assert client.get("/admin/sign-in").status_code == 404
    site = client_as(make.user(is_admin=True))
    site.post("/admin/sign-in/new", data=_form(openid_provider.issuer, name="Site SSO", is_exclusive="y"))
    assert db.session.scalar(sa.select(IdentityProvider).where(IdentityProvider.name == "Site SSO")).is_exclusive is False


def test_an_org_login_address_lists_its_provider_first(client, add_provider, org_setup):
    """Does /login/o/<org> lead to the sign-in page with the organization's button before the site's?"""
    _olga, _tom, org, _other = org_setup
    add_provider(name="Site SSO")
    add_provider(org=org, name="Springfield SSO")
    response = client.get(f"/login/o/{org.id}", follow_redirects=True)
    text = page_text(response)
    assert text.index("Sign in with Springfield SSO") < text.index("Sign in with Site SSO")
