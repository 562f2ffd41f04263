"""Links people receive or share are built from the configured public host, never a request's Host."""
from __future__ import annotations

import re

from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def test_invite_link_on_the_enrol_page_uses_the_configured_host(app, make, client_as, monkeypatch):
    """Does the invite link a teacher copies point to SERVER_NAME even when the page was asked for
    under a forged Host header?"""
    owner = make.user()
    circle = make.circle(owner)
    invite = circle_ops.create_invite(circle, owner, role=Role.student, max_uses=None, expires_at=None)
    db.session.commit()
    client = client_as(owner)
    # the test client keeps cookies per host: hand the teacher's session to the forged one as well
    client.set_cookie("session", client.get_cookie("session", domain="localhost").value, domain="evil.example")
    monkeypatch.setitem(app.config, "SERVER_NAME", "circles.example.org")
    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", "https")
    page = client.get(f"/c/{circle.id}/enrol", headers=FORGED)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.findall(r'value="(https?://[^"]+/i/[^"]+)"', html) == [f"https://circles.example.org/i/{invite.token}"]
    assert "evil.example" not in html
