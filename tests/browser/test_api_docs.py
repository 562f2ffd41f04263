"""The API's interactive docs: Swagger UI from the vendored files runs under the site's CSP (no inline
script, no eval), lists the operations of the generated document, and calls the API with a pasted token."""
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
