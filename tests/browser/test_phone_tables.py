"""Tables on a phone (390 × 844, in Chinese, as issue 8 was tried): every action button can be reached
and tapped, and no page is wider than the screen."""
from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def _class_with_history(live_server) -> dict:
    """A site admin teaching a class of 6 with long Chinese names and numbers, one student removed,
    an invite link, and two more devices signed in."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"phone-t-{tag}@example.org", PASSWORD, "王老师", locale="zh_Hans",
                                            is_admin=True)
        circle = circle_ops.create_circle(teacher, f"高一（3）班 舞蹈 {tag}", require_real_name=True,
                                          require_student_no=True)
        members = []
        for n in range(6):
            student = account_ops.register_user(f"phone-s{n}-{tag}@example.org", PASSWORD, f"学生{n}")
            members.append(circle_ops.add_member(circle, student, Role.student, display_name=f"欧阳娜娜{n}号同学",
                                                 real_name=f"欧阳娜娜{n}", student_no=f"SR2026-00{n}",
                                                 actor=teacher))
        circle_ops.remove_member(members[0], teacher)
        circle_ops.create_invite(circle, teacher, role=Role.student, max_uses=40, expires_at=None)
        for agent in (IPHONE, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"):
            account_ops.start_session(teacher, user_agent=agent, ip="198.51.100.7")
        db.session.commit()
        found = {"teacher": teacher.email, "circle": circle.id}
        db.session.remove()
    return found


def _fits(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheets applied (a click's page may lack them yet)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: the page is {width[0]} px wide on a {width[1]} px screen"


def _reachable(page, selector: str, at_least: int) -> None:
    """Every element matching `selector` is displayed and lies inside the screen's width."""
    found = page.locator(selector)
    assert found.count() >= at_least, f"{page.url}: {found.count()} × {selector}"
    for n in range(found.count()):
        element = found.nth(n)
        assert element.is_visible(), f"{page.url}: {selector} #{n} is hidden"
        box = element.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{page.url}: {selector} #{n} at {box}"


def test_action_buttons_stay_on_a_phone_screen(live_server, chromium, screenshots):
    """At 390 px in Chinese, are Edit/Remove, Readmit, the invite's "turn off", each device's
    "sign out" and the audit log's action links all shown on screen, with no page wider than it?"""
    case = _class_with_history(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, user_agent=IPHONE)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=email]", case["teacher"])
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/login" not in url)
        circle = case["circle"]
        for path, selector, at_least in (
            (f"/c/{circle}/members", "td.actions .button, td.actions button", 10),
            (f"/c/{circle}/members?status=removed", "td.actions button", 1),
            (f"/c/{circle}/enrol", "td.actions button", 1),
            ("/profile/sessions", "td.actions button", 3),
            ("/admin/audit", "td[data-label] a[href*='action=']", 2),
        ):
            page.goto(path)
            with screenshots.on_failure(page, path.strip("/").replace("/", "-").replace("?", "-")):
                _fits(page)
                _reachable(page, selector, at_least)
        page.goto(f"/c/{circle}/members")
        with screenshots.on_failure(page, "student-number-shown"):
            assert page.locator("td", has_text="SR2026-001").is_visible()
    finally:
        context.close()
