"""Roster sync in a browser on a phone (390 px, in Chinese): an org admin uploads the OneRoster sample zip,
reads the preview, applies it and reads the report; no page is wider than the screen."""
from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import PASSWORD
from tests.roster_sync.sample import roster_zip

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _org_admin(live_server) -> dict:
    from lms.accounts import operations as account_ops
    from lms.extensions import db
    from lms.orgs import operations as org_ops
    from lms.orgs.models import OrgRole

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        admin = account_ops.register_user(f"roster-{tag}@example.org", PASSWORD, "教务处 王老师", locale="zh_Hans")
        org = org_ops.create_org(f"第一中学 {tag}")
        org_ops.add_org_member(org, admin, OrgRole.admin)
        db.session.commit()
        found = {"email": admin.email, "org": org.id}
        db.session.remove()
    return found


def _fits(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheets applied (a click's page may lack them yet)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: the page is {width[0]} px wide on a {width[1]} px screen"


def test_org_admin_imports_a_roster_on_a_phone(live_server, chromium, screenshots, tmp_path):
    """Can an org admin on a 390 px phone upload the zip, see the preview, apply it and read the report,
    each page within the screen?"""
    case = _org_admin(live_server)
    zip_path = tmp_path / "hill-school-oneroster.zip"
    zip_path.write_bytes(roster_zip())
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=email]", case["email"])
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"/orgs/{case['org']}")
        page.locator(f"a[href='/orgs/{case['org']}/roster']").click()
        with screenshots.on_failure(page, "roster-index"):
            _fits(page)
        page.set_input_files("input[name=file]", str(zip_path))
        page.locator("#roster-upload button[type=submit]").click()
        page.locator("#roster-lines").wait_for()
        with screenshots.on_failure(page, "roster-preview"):
            assert page.locator("td", has_text="王小明").first.is_visible()
            _fits(page)
        page.locator("#roster-import form button[type=submit]").click()
        page.locator(".flash-success").wait_for()
        with screenshots.on_failure(page, "roster-report"):
            assert page.locator("#roster-import form").count() == 0
            _fits(page)
        page.goto(f"/orgs/{case['org']}/roster")
        with screenshots.on_failure(page, "roster-list"):
            assert page.locator("#roster-imports td", has_text="hill-school-oneroster.zip").is_visible()
            _fits(page)
    finally:
        context.close()
