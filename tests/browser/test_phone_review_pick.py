"""Peer review's student pickers on a phone (390 px), in a class with long names and numbers: the reassign
and allocation pages fit the screen, and their search box narrows the choices as the teacher types (and on
the server when the search is sent)."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, OVERFLOW_SCRIPT, PHONE, SCROLLERS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def review_class(live_server):
    """A class of 40 students with long Chinese and English names and long student numbers, all of whom
    handed in a text assignment now past due; peer review on (k = 2), the first round allocated."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.homework import operations as hw_ops
    from lms.homework.models import Accepts
    from lms.reviews import operations as review_ops
    from lms.reviews.models import ReviewAllocation

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"pick-teacher-{tag}@example.org", PASSWORD, "Pick Teacher")
        circle = circle_ops.create_circle(teacher, f"高一（3）班 现代舞 Contemporary Dance {tag}")
        students = []
        for n in range(40):
            name = f"欧阳娜娜{n:02d}号同学（exchange student from Wolfeschlegelsteinhausen）"
            user = account_ops.register_user(f"pick{n}-{tag}@example.org", PASSWORD, name)
            circle_ops.add_member(circle, user, Role.student, display_name=name[:60],
                                  real_name=f"欧阳娜娜娜娜{n}", student_no=f"SR2026-000000000{n:04d}", actor=teacher)
            students.append(user)
        due = utcnow().replace(microsecond=0) - timedelta(hours=1)
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, accepts=Accepts.text,
                                              title="第七周作业 Week 7 combination", instructions_md="Dance.",
                                              due_at=due)
        for user in students:
            hw_ops.submit_homework(assignment, user, text="My reflection.", now=due - timedelta(hours=1))
        settings = review_ops.save_settings(assignment, teacher, is_enabled=True, reviews_per_submission=2,
                                            closes_at=utcnow() + timedelta(days=2))
        assert review_ops.run_round(settings) is not None
        db.session.commit()
        task = db.session.scalars(db.select(ReviewAllocation).where(ReviewAllocation.assignment_id == assignment.id)
                                  .order_by(ReviewAllocation.id)).first()
        n = next(n for n, user in enumerate(students) if user.id not in (task.reviewer_id, task.author_id))
        world = {"teacher": teacher.email, "base": f"/circles/{circle.id}/assignments/{assignment.id}/peer-review",
                 "task": task.id, "number": f"000000000{n:04d}"}  # the end of a student's number, not the pair's
        db.session.remove()
    return world


@pytest.fixture
def phone(chromium, live_server, review_class):
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", review_class["teacher"])
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    yield page
    context.close()


def _fits(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheets applied (a click's page may lack them yet)
    found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
    too_wide = "; reaching past the screen: " + ", ".join(found["wide"])
    assert found["inner"] <= PHONE["width"], f"the phone zoomed out to show {found['inner']} px{too_wide}"
    assert found["page"] <= found["screen"], f"the page is {found['page']} px wide{too_wide}"
    assert not found["offScreen"], "off screen sideways:\n" + "\n".join(found["offScreen"])


@pytest.mark.parametrize("page_name", ["reassign", "allocation"])
def test_the_picker_pages_fit_a_phone(phone, review_class, screenshots, page_name):
    """At 390 px, with 40 long names in the selects, are the reassign and allocation pages no wider than the
    screen, with every field and button on it?"""
    path = (f"{review_class['base']}/allocation/{review_class['task']}/reassign" if page_name == "reassign"
            else f"{review_class['base']}/allocation")
    response = phone.goto(path)
    assert response is not None and response.ok
    with screenshots.on_failure(phone, f"pick-{page_name}"):
        _fits(phone)
        phone.goto(path + "?q=0007")
        _fits(phone)


def test_typing_narrows_the_reviewers_and_searching_asks_the_server(phone, review_class, screenshots):
    """Does typing part of a student number leave only that student offered, and does sending the search
    load the page with only them (the server's search, which works without JavaScript)?"""
    phone.goto(f"{review_class['base']}/allocation/{review_class['task']}/reassign")
    with screenshots.on_failure(phone, "pick-typing"):
        shown = phone.locator("#reviewer_id option:not([hidden])")
        expect(shown).not_to_have_count(1)
        box = phone.locator("input[type=search][name=q]")
        box.fill(review_class["number"])
        expect(shown).to_have_count(1)
        expect(phone.locator("#reviewer_id")).to_have_value(re.compile(r"^\d+$"))
        box.press("Enter")
        phone.wait_for_url(re.compile(rf"\?q={review_class['number']}"))
        expect(phone.locator("#reviewer_id option")).to_have_count(1)
        expect(phone.locator("[data-found]")).to_be_visible()
