"""Groups on a phone (390 px, in Chinese), in a class of 40 with long names and numbers: every group page fits
the screen, and the add page's filter narrows the list as the teacher types and ticks only what it shows."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, OVERFLOW_SCRIPT, PHONE, SCROLLERS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def group_class(live_server):
    """40 students with long Chinese and English names and long numbers; a group with a long name holding the
    first 5, another holding the next 5; the other 30 in no group."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db
    from lms.groups import operations as group_ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"groups-teacher-{tag}@example.org", PASSWORD, "Group Teacher")
        circle = circle_ops.create_circle(teacher, f"高一（3）班 现代舞 Contemporary Dance {tag}")
        students, memberships = [], []
        for n in range(40):
            name = f"欧阳娜娜{n:02d}号同学（exchange student from Wolfeschlegelsteinhausen）"
            user = account_ops.register_user(f"grp{n}-{tag}@example.org", PASSWORD, name)
            memberships.append(circle_ops.add_member(circle, user, Role.student, display_name=name[:60],
                                                     real_name=f"欧阳娜娜娜娜{n}",
                                                     student_no=f"SR2026-000000000{n:04d}", actor=teacher))
            students.append(user)
        first = group_ops.create_group(circle, teacher, "第一小组 The Extraordinarily Long-Named Ensemble 1")
        second = group_ops.create_group(circle, teacher, "第二小组 Second")
        group_ops.add_members(first, teacher, [u.id for u in students[:5]])
        group_ops.add_members(second, teacher, [u.id for u in students[5:10]])
        db.session.commit()
        world = {"teacher": teacher.email, "student": students[0].email, "base": f"/c/{circle.id}/groups",
                 "home": f"/c/{circle.id}", "first": first.id, "second": second.id,
                 "member": memberships[0].id}
        db.session.remove()
    return world


def _phone(chromium, live_server, email):
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


@pytest.fixture
def teacher_phone(chromium, live_server, group_class):
    context, page = _phone(chromium, live_server, group_class["teacher"])
    yield page
    context.close()


def _fits(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheets applied (a click's page may lack them yet)
    found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
    too_wide = "; reaching past the screen: " + ", ".join(found["wide"])
    assert found["inner"] <= PHONE["width"], f"the phone zoomed out to show {found['inner']} px{too_wide}"
    assert found["page"] <= found["screen"], f"the page is {found['page']} px wide{too_wide}"
    assert not found["offScreen"], "off screen sideways:\n" + "\n".join(found["offScreen"])


@pytest.mark.parametrize("page_name", ["index", "add", "add_all", "edit", "move"])
def test_group_pages_fit_a_phone(teacher_phone, group_class, screenshots, page_name):
    """At 390 px, with long names of groups and people, is each of the staff's group pages no wider than the
    screen, with every field and button on it?"""
    base, first = group_class["base"], group_class["first"]
    path = {"index": base, "add": f"{base}/{first}/add", "add_all": f"{base}/{first}/add?all=1",
            "edit": f"{base}/{first}/edit", "move": f"{base}/{first}/members/{group_class['member']}/move"}[page_name]
    response = teacher_phone.goto(path)
    assert response is not None and response.ok
    with screenshots.on_failure(teacher_phone, f"groups-{page_name}"):
        _fits(teacher_phone)


def test_a_students_group_fits_a_phone(chromium, live_server, group_class, screenshots):
    """Does a student's home page show their group's card, and do it and their groups page fit 390 px?"""
    context, page = _phone(chromium, live_server, group_class["student"])
    try:
        with screenshots.on_failure(page, "groups-student"):
            page.goto(group_class["home"])
            expect(page.locator(".home-group")).to_be_visible()
            _fits(page)
            page.goto(group_class["base"])
            expect(page.locator(".member-list li")).to_have_count(5)
            _fits(page)
    finally:
        context.close()


def test_filter_ticks_only_what_it_shows(teacher_phone, group_class, screenshots):
    """Does typing part of a student number leave only that student's row, "tick all shown" tick only it, and
    sending the form put just that student in the group?"""
    base, second = group_class["base"], group_class["second"]
    teacher_phone.goto(f"{base}/{second}/add")
    with screenshots.on_failure(teacher_phone, "groups-filter"):
        rows = teacher_phone.locator("[data-pick-row]:not([hidden])")
        expect(rows).to_have_count(30)
        teacher_phone.locator("[data-pick-filter]").fill("0000000000033")
        expect(rows).to_have_count(1)
        teacher_phone.locator("[data-pick-all]").check()
        expect(teacher_phone.locator("input[name=user_ids]:checked")).to_have_count(1)
        teacher_phone.locator("form[data-group-pick] button[type=submit]").click()
        teacher_phone.wait_for_url(lambda url: url.endswith(f"{base}#group-{second}") or f"{base}#" in url)
        expect(teacher_phone.locator(f"#group-{second} .member-list li")).to_have_count(6)
