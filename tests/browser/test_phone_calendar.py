"""The calendar on a phone (390 px), in Chinese and English, with long titles and circle names: the month
grid, the list and the feed address page fit the screen, and the month view lists the month's events
under the grid (the grid shows them as dots)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from lms.core.types import utcnow
from lms.extensions import db
# the live server and browser of tests/browser, and its phone measurement
from tests.browser.conftest import PASSWORD
from tests.browser.test_phone_width import OVERFLOW_SCRIPT, PHONE, SCROLLERS, signed_in_phones

pytestmark = pytest.mark.browser

LONG_TITLE = "第七周作业：现代舞基础组合练习视频与书面反思报告 Week 7: contemporary combination with a written reflection"
LONG_CIRCLE = "高一（3）班 现代舞与芭蕾基础训练 Contemporary Dance and Ballet Foundations"


@pytest.fixture(scope="module")
def world(live_server):  # noqa: F811
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.homework import operations as hw_ops

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"cal-teacher-{tag}@example.org", PASSWORD, "欧阳老师")
        student = account_ops.register_user(f"cal-student-{tag}@example.org", PASSWORD, "Maximilian")
        circle = circle_ops.create_circle(teacher, f"{LONG_CIRCLE} {tag}")
        circle_ops.add_member(circle, student, Role.student)
        now = utcnow()
        for n in range(4):  # several on one day, and on days across the month
            hw_ops.create_assignment(circle, teacher, publish=True, title=f"{LONG_TITLE} {n}",
                                     due_at=now + timedelta(hours=1 + n * 12), closes_at=now + timedelta(days=2 + n))
        db.session.commit()
        first_due = (now + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Shanghai"))
        world = {"circle": circle.id, "month": f"{first_due.year:04d}-{first_due.month:02d}", "people": {"teacher": teacher.email, "student": student.email}}
        db.session.remove()
    return world


@pytest.fixture(scope="module")
def phone(chromium, live_server, world):
    with signed_in_phones(chromium, live_server, world["people"]) as _phone:
        yield _phone


PATHS = ["/c/{circle}/calendar?month={month}", "/c/{circle}/calendar?view=agenda&month={month}",
         "/calendar?month={month}", "/calendar?view=agenda&month={month}",
         "/calendar/subscribe"]


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("role", ["student", "teacher"])
def test_calendar_pages_fit_a_phone(world, phone, locale, role):
    """At 390 px, is each calendar page no wider than the screen, every link and button on screen?"""
    page = phone(role, locale)
    for path in PATHS:
        response = page.goto(path.format(**world))
        assert response is not None and response.ok, path
        found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
        too_wide = f"{path}: " + ", ".join(found["wide"])
        assert found["inner"] <= PHONE["width"], too_wide
        assert found["page"] <= found["screen"], too_wide
        assert not found["offScreen"], f"{path} off screen:\n" + "\n".join(found["offScreen"])


def test_the_month_view_lists_the_events_under_the_grid_on_a_phone(world, phone):
    """On a phone the grid shows dots; the month's events are listed under it, readable and tappable."""
    page = phone("student", "en-US")
    page.goto(f"/c/{world['circle']}/calendar?month={world['month']}")  # the month of the first due time
    expect(page.locator(".cal-grid")).to_be_visible()
    listed = page.locator(".cal-agenda-narrow .cal-event").first
    expect(listed).to_be_visible()
    expect(listed).to_contain_text("Week 7")
    listed.click()
    page.wait_for_url("**/assignments/*")
