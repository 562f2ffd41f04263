"""An organization's school sign-in provider may not be on the server's own network (lms.core.outbound);
the site admin's may."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.identity import oidc
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.fixtures.app import page_text


@pytest.fixture
def strict(app, monkeypatch):
    """No host allowed by name: every private address is refused (the tests' default allows loopback)."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ())
    with app.app_context():
        yield


def test_an_orgs_provider_on_a_private_address_is_refused_with_the_reason(strict, client_as, make, openid_provider):
    """Its admin's "Test the connection" names the problem; the site admin's own provider connects."""
    org = org_ops.create_org("North School")
    admin = make.user()
    org_ops.add_org_member(org, admin, OrgRole.admin)
    db.session.commit()
    form = {"name": "North SSO", "issuer": openid_provider.issuer, "client_id": "c", "client_secret": "s",
            "scopes": "openid email profile", "email_claim": "email", "name_claim": "name",
            "student_number_claim": "", "role_claim": "", "allowed_domains": "", "is_enabled": "y", "test": "1"}
    refused = client_as(admin).post(f"/orgs/{org.id}/sign-in/new", data=form)
    assert refused.status_code == 422 and "private network" in page_text(refused)
    assert "LMS_OUTBOUND_ALLOWED_HOSTS" in page_text(refused)  # the setting, by the name the admin sets
    site = client_as(make.user(is_admin=True)).post("/admin/sign-in/new", data=form)
    assert site.status_code == 200 and "Connected" in page_text(site)
    with pytest.raises(oidc.OIDCError, match="private network"):
        oidc.discover(openid_provider.issuer, guarded=True)
