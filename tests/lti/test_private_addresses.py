"""An organization's LTI platform may not make Circles call the server's own network (lms.core.outbound):
its keys and its services; the site admin's platform may."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.lti.launch import LaunchError
from lms.orgs import operations as org_ops
from tests.fixtures.app import page_text
from tests.lti.conftest import INSTRUCTOR


@pytest.fixture
def strict(app, monkeypatch):
    """No host allowed by name: every private address is refused (the tests' default allows loopback)."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ())
    with app.app_context():
        yield


def test_an_orgs_platform_on_a_private_address_cannot_launch(strict, platform, make):
    """The keys URL of an organization's platform is on this machine: the launch is refused before it
    is fetched; the same platform as the site's launches."""
    org = org_ops.create_org("North School")
    platform.record.org_id = org.id
    db.session.commit()
    refused = platform.launch(sub="teacher-1", roles=[INSTRUCTOR], email="t@school.example")
    assert refused.status_code == 502 and "public keys could not be fetched" in page_text(refused)
    platform.record.org_id = None
    db.session.commit()
    assert platform.launch(sub="teacher-1", roles=[INSTRUCTOR], email="t@school.example").status_code == 302


def test_an_orgs_platform_services_are_guarded(strict, platform):
    from lms.lti import services

    platform.record.org_id = org_ops.create_org("North School").id
    db.session.commit()
    with pytest.raises(LaunchError, match="access token"):
        services.access_token(platform.record, [services.NRPS_SCOPE])
