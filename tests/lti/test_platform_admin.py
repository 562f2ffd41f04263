"""The site admin registers LTI platforms; nobody else sees the pages."""
from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from lms.lti.models import LtiPlatform

FORM = {"name": "Moodle of the school", "issuer": "https://moodle.school.example", "client_id": "abc123",
        "deployment_ids": "1\n2\n1\n", "auth_login_url": "https://moodle.school.example/mod/lti/auth.php",
        "auth_token_url": "https://moodle.school.example/mod/lti/token.php",
        "keyset_url": "https://moodle.school.example/mod/lti/certs.php", "is_enabled": "y", "save": "1"}


def test_admin_registers_and_edits_a_platform(make, client_as):
    admin = make.user(is_admin=True)
    client = client_as(admin)
    page = client.get("/admin/lti")
    assert page.status_code == 200 and "http://localhost/lti/config.json" in page.get_data(as_text=True)
    response = client.post("/admin/lti/new", data=FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    platform = db.session.scalar(sa.select(LtiPlatform))
    assert platform.deployment_ids == ["1", "2"] and platform.is_enabled and not platform.trust_email
    assert client.get(f"/admin/lti/{platform.id}").status_code == 200
    client.post(f"/admin/lti/{platform.id}", data={**FORM, "trust_email": "y", "name": "Moodle"})
    db.session.refresh(platform)
    assert platform.name == "Moodle" and platform.trust_email
    from lms.audit.models import AuditEvent
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "lti_platform_changed")
                                .order_by(AuditEvent.id)).all()
    assert [e.details["change"] for e in events] == ["created", "updated"]
    assert events[1].details["fields"] == "name, trust_email"
    # the same issuer and client id twice is refused
    again = client.post("/admin/lti/new", data=FORM)
    assert again.status_code == 422 and "already registered" in again.get_data(as_text=True)
    bad = client.post("/admin/lti/new", data={**FORM, "client_id": "other", "keyset_url": "not a url"})
    assert bad.status_code == 422


def test_others_get_404(make, client_as):
    make.user(is_admin=True)
    client = client_as(make.user())
    assert client.get("/admin/lti").status_code == 404
    assert client.post("/admin/lti/new", data=FORM).status_code == 404
