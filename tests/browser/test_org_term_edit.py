"""The school admin mends a typo in a term's name and dates from the term's page, then deletes an empty term
(fresh-eyes trial, issue 19)."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.browser.conftest import PASSWORD, TIMEOUT_MS

pytestmark = pytest.mark.browser


def _school(live_server) -> dict:
    """An org admin; a term typed "Autunm 2026" ending 20 Dec, and an empty "Spring 2072" added by mistake."""
    from lms.accounts import operations as account_ops
    from lms.extensions import db
    from lms.orgs import operations as org_ops
    from lms.orgs.console import terms as term_ops
    from lms.orgs.models import OrgRole

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        admin = account_ops.register_user(f"term-admin-{tag}@example.org", PASSWORD, "Olga Admin")
        org = org_ops.create_org(f"Hill School {tag}")
        org_ops.add_org_member(org, admin, OrgRole.admin)
        autumn = term_ops.create_term(org, "Autunm 2026", date(2026, 9, 1), date(2026, 12, 20))
        wrong = term_ops.create_term(org, "Spring 2072", date(2072, 1, 12), date(2072, 6, 30))
        db.session.commit()
        found = {"admin": admin.email, "org": org.id, "autumn": autumn.id, "wrong": wrong.id}
        db.session.remove()
    return found


def test_an_admin_mends_a_term_and_deletes_an_empty_one(live_server, chromium, screenshots):
    """Does the admin correct the term's name and last day in its "Name and dates" form and see them on the
    terms list, then delete the empty term (after confirming) and no longer find it there?"""
    case = _school(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        with screenshots.on_failure(page, "term-edit"):
            page.goto("/login")
            page.fill("input[name=email]", case["admin"])
            page.fill("input[name=password]", PASSWORD)
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_url(lambda url: "/login" not in url)
            page.goto(f"/orgs/{case['org']}/terms/{case['autumn']}")
            edit = page.locator("#edit-term")
            edit.get_by_label("Name").fill("Autumn 2026")
            edit.get_by_label("Last day").fill("2026-12-22")
            edit.get_by_role("button", name="Save").click()
            page.wait_for_selector(".flash-success")
            assert page.locator("h1").inner_text().startswith("Autumn 2026")
            page.goto(f"/orgs/{case['org']}/terms/{case['wrong']}")
            page.get_by_role("button", name="Delete the term").click()
            page.wait_for_url(f"**/orgs/{case['org']}/terms")
            table = page.locator("#terms").inner_text()
            assert "Autumn 2026" in table and "Dec 22, 2026" in table
            assert "Spring 2072" not in table and "Autunm" not in table
    finally:
        context.close()
