"""The API from a browser: a person makes a token on the profile (shown once), uses it, revokes it; the
interactive docs (Swagger UI from the vendored files) run under the site's CSP (no inline script, no
eval), list the operations of the generated document, and call the API with a pasted token."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _token(live_server) -> str:
    from lms.accounts import operations as account_ops
    from lms.api import operations as api_ops
    from lms.circles import operations as circle_ops
    from lms.extensions import db

    with live_server.app.app_context():
        user = account_ops.register_user(f"dev-{uuid.uuid4().hex[:8]}@example.org", PASSWORD, "Dev")
        circle_ops.create_circle(user, "Scripted class")
        _row, secret = api_ops.create_token(user, name="docs", scopes=["circles:read"], days=7)
        db.session.commit()
        db.session.remove()
    return secret


def test_docs_list_the_operations_and_try_one(new_context, live_server, screenshots):
    """Does Swagger UI start under the CSP, show /circles/{circle_id}/members, and with a pasted token
    answer GET /circles with the person's circle?"""
    secret = _token(live_server)
    page = new_context().new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    with screenshots.on_failure(page, "docs"):
        page.goto("/api/v1/docs")
        expect(page.get_by_text("/circles/{circle_id}/members")).to_be_visible()
        page.get_by_role("button", name="Authorize").first.click()
        dialog = page.locator(".modal-ux")
        dialog.locator("input[type=text]").fill(secret)
        dialog.locator("button.authorize").click()
        dialog.get_by_role("button", name="Close").click()
        page.locator("#operations-default-circles").click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        expect(page.locator(".live-responses-table").get_by_text("Scripted class")).to_be_visible()
    assert violations == []


def test_make_use_and_revoke_a_token_on_a_phone(new_context, live_server, screenshots):
    """On a phone: does the profile lead to API tokens, show a new token once, and does Revoke stop it?"""
    import requests

    from lms.accounts import operations as account_ops
    from lms.extensions import db

    email = live_server.unique_email("pat")
    with live_server.app.app_context():
        account_ops.register_user(email, PASSWORD, "Pat Scripter")
        db.session.commit()
        db.session.remove()
    context = new_context()
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.on("dialog", lambda dialog: dialog.accept())
    with screenshots.on_failure(page, "tokens"):
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/profile")
        page.get_by_role("link", name="API tokens").click()
        page.get_by_label("Name:").fill("Gradebook script")
        page.get_by_label("circles:read", exact=False).check()
        page.get_by_role("button", name="Create token").click()
        secret = page.locator("[data-token-secret]").inner_text()
        assert secret.startswith("circles_pat_")
        page.wait_for_load_state("load")  # its stylesheet applied (under load it came after the text: 438 px wide)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        answer = requests.get(f"{live_server.url}/api/v1/circles", headers={"Authorization": f"Bearer {secret}"},
                              timeout=10)
        assert answer.status_code == 200
        page.goto("/profile/api-tokens")
        expect(page.locator("[data-token-secret]")).to_have_count(0)
        expect(page.get_by_text("Gradebook script")).to_be_visible()
        page.get_by_role("button", name="Revoke").click()
        expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
    answer = requests.get(f"{live_server.url}/api/v1/circles", headers={"Authorization": f"Bearer {secret}"},
                          timeout=10)
    assert answer.status_code == 401
