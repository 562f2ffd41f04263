"""The top bar on a phone (390 × 844): an organization's admin and its teachers reach their school from
every page (one school by its name, several through "My schools"); the site icon is found, no 404."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _schools(live_server) -> dict:
    """Grace administers one school (its name is long); David teaches in two; Lin is only a student."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.extensions import db
    from lms.orgs import operations as org_ops
    from lms.orgs.models import OrgRole

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        grace = account_ops.register_user(f"grace-{tag}@example.org", PASSWORD, "Grace Admin")
        david = account_ops.register_user(f"david-{tag}@example.org", PASSWORD, "David Okafor")
        lin = account_ops.register_user(f"lin-{tag}@example.org", PASSWORD, "Lin")
        sunrise = org_ops.create_org(f"Sunrise Dance & Arts School of the Eastern District {tag}", "")
        hill = org_ops.create_org(f"Hill School {tag}", "")
        org_ops.add_org_member(sunrise, grace, OrgRole.admin)
        org_ops.add_org_member(sunrise, david, OrgRole.teacher)
        org_ops.add_org_member(hill, david, OrgRole.teacher)
        org_ops.add_org_member(hill, lin, OrgRole.student)
        circle_ops.create_circle(grace, "Parents' Corner 家长角")
        db.session.commit()
        found = {"grace": grace.email, "david": david.email, "lin": lin.email, "sunrise": sunrise.name,
                 "sunrise_id": sunrise.id}
        db.session.remove()
    return found


def _phone(chromium, live_server):
    return chromium.new_context(base_url=live_server.url, locale="en-US", viewport=PHONE)


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")


def _on_screen(page, link) -> None:
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide on a {width[1]} px screen"


def test_org_admin_reaches_her_school_from_the_top_bar_on_a_phone(live_server, chromium, screenshots):
    """At 390 px, does Grace see her school's name in the top bar, from a page other than home, and does it
    open the school's page? Does David (two schools) get "My schools" to the list, and Lin (a student) neither?"""
    case = _schools(live_server)
    context = _phone(chromium, live_server)
    try:
        page = context.new_page()
        _sign_in(page, case["grace"])
        page.goto("/profile")
        link = page.locator("header.topbar nav").get_by_role("link", name=case["sunrise"])
        with screenshots.on_failure(page, "grace-top-bar"):
            _on_screen(page, link)
            link.click()
            page.wait_for_url(f"**/orgs/{case['sunrise_id']}")
            expect(page.get_by_role("heading", level=1)).to_contain_text(case["sunrise"])
    finally:
        context.close()

    context = _phone(chromium, live_server)
    try:
        page = context.new_page()
        _sign_in(page, case["david"])
        link = page.locator("header.topbar nav").get_by_role("link", name="My schools")
        with screenshots.on_failure(page, "david-top-bar"):
            _on_screen(page, link)
            link.click()
            page.wait_for_url("**/orgs/")
            expect(page.locator("main")).to_contain_text(case["sunrise"])
    finally:
        context.close()

    context = _phone(chromium, live_server)
    try:
        page = context.new_page()
        _sign_in(page, case["lin"])
        expect(page.locator("header.topbar .nav-org")).to_have_count(0)
    finally:
        context.close()


def test_home_page_on_a_laptop_has_no_404_and_the_join_card_lines_up(live_server, chromium, screenshots):
    """At 1366 px, does the first page load ask for nothing that is 404 (the icon included, which the page's
    <link rel="icon"> names), and does "Join with a code" start on the grid's left edge instead of sitting
    alone in the middle under it?"""
    case = _schools(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1366, "height": 900})
    missing: list[str] = []
    context.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    try:
        page = context.new_page()
        _sign_in(page, case["grace"])
        with screenshots.on_failure(page, "home-laptop"):
            icon = page.evaluate("fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])")
            assert icon == [200, "image/svg+xml; charset=utf-8"] or (icon[0] == 200 and "svg" in icon[1])
            grid = page.locator("ul.circle-list").first.bounding_box()
            join = page.locator("section", has=page.get_by_role("heading", name="Join with a code")).bounding_box()
            assert abs(join["x"] - grid["x"]) <= 1, (join, grid)
        assert missing == []
    finally:
        context.close()
