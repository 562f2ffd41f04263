"""Check-ins in a real browser: a member on a 390 px phone checks in with a photo; the teacher's open board
follows without reloading (the Socket.IO push), and the pages fit the phone's width."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.tabs import open_tab
from tests.browser.test_homework_journey import ZONE, sign_in
from tests.browser.test_phone_width import IPHONE, PHONE
from tests.fixtures.images import phone_jpeg

pytestmark = pytest.mark.browser


def _world(live_server) -> dict:
    """A teaching circle in Shanghai time, its owner, two students, and a daily photo check-in open all day."""
    from lms.accounts import operations as account_ops
    from lms.checkins import operations as checkin_ops
    from lms.checkins.models import RequirementKind
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"ct-{tag}@example.org", PASSWORD, "Teacher Wu", timezone=ZONE)
        student = account_ops.register_user(f"cs-{tag}@example.org", PASSWORD, "Lin Mei", timezone=ZONE)
        other = account_ops.register_user(f"co-{tag}@example.org", PASSWORD, "Zhao Lei", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"Dance {tag}", owner_display_name="Mr Wu")
        circle.timezone = ZONE
        circle_ops.add_member(circle, student, Role.student, display_name="Mei", real_name="Lin Mei",
                              student_no="S-042")
        circle_ops.add_member(circle, other, Role.student, display_name="Lei")
        task = checkin_ops.create_task(circle, teacher, title="Daily practice photo",
                                       starts_on=(utcnow().astimezone(circle.zone) - timedelta(days=3)).date(),
                                       requirement=RequirementKind.photo)
        db.session.commit()
        world = {"circle": circle.id, "task": task.id, "teacher": teacher.email, "student": student.email,
                 "today": utcnow().astimezone(circle.zone).date()}
        db.session.remove()
    return world


def _phone(chromium, live_server, email: str):
    context = chromium.new_context(base_url=live_server.url, locale="en-US", viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id=ZONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _fits(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheets applied (a click's page may lack them yet)
    widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= PHONE["width"] and widths[1] <= PHONE["width"], f"page and window widths {widths}"


def test_a_member_checks_in_with_a_photo_and_the_board_follows(live_server, chromium, new_context, screenshots,
                                                                 tmp_path):
    world = _world(live_server)
    base = f"/c/{world['circle']}/checkins/{world['task']}"
    teacher = sign_in(new_context, world["teacher"])
    student = _phone(chromium, live_server, world["student"])
    photo = tmp_path / "practice.jpg"
    photo.write_bytes(phone_jpeg())
    try:
        with screenshots.on_failure(teacher, "board"):
            teacher.goto(base + "/board")
            teacher.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")
            row = teacher.locator("tr[data-board-user]", has_text="Mei")
            expect(row).to_contain_text("Lin Mei")
            expect(row).to_have_class("is-missing")
            expect(teacher.locator("[data-count=done]")).to_have_text("0")
            expect(teacher.locator("[data-count=missing]")).to_have_text("2")

        with screenshots.on_failure(student, "check in"):
            student.goto(f"/c/{world['circle']}")
            open_tab(student, "Check-ins")
            student.get_by_role("link", name="Daily practice photo").first.click()
            _fits(student)
            student.locator("input[name=photos]").set_input_files(str(photo))
            student.get_by_role("button", name="Check in").click()
            expect(student.locator(".flash")).to_contain_text("Checked in")
            expect(student.locator("[data-checkin-me]")).to_contain_text("You checked in today")
            expect(student.locator("[data-streak-current]")).to_have_text("1")
            expect(student.locator(".checkin-photos img")).to_have_count(1)
            # a lazy image: in view, then loaded (measured right away under load it had not arrived yet: CI)
            student.locator(".checkin-photos img").scroll_into_view_if_needed()
            student.wait_for_function("() => { const img = document.querySelector('.checkin-photos img');"
                                      " return img.complete && img.naturalWidth > 0; }")
            _fits(student)

        with screenshots.on_failure(teacher, "board updated"):
            expect(row).to_have_class("is-done")
            expect(row.locator("[data-board-state]")).to_contain_text("✓")
            expect(teacher.locator("[data-count=done]")).to_have_text("1")
            expect(teacher.locator("[data-count=missing]")).to_have_text("1")
            expect(teacher.locator("[data-count=percent]")).to_have_text("50")
            assert not [e for e in teacher.errors if "favicon" not in e], teacher.errors

        with screenshots.on_failure(student, "calendar"):
            student.get_by_role("link", name="My check-in days").click()
            expect(student.locator("td[data-state=done]")).to_have_count(1)
            # the three missed days before today: in this month's calendar, or partly in the month before
            # (the first days of a month in the circle's zone)
            today = world["today"]
            missed_before = 3 - min(3, today.day - 1)
            expect(student.locator("td[data-state=missed]")).to_have_count(3 - missed_before)
            _fits(student)
            if missed_before:
                previous = today.replace(day=1) - timedelta(days=1)
                separator = "&" if "?" in student.url else "?"
                student.goto(f"{student.url}{separator}month={previous:%Y-%m}")
                expect(student.locator("td[data-state=missed]")).to_have_count(missed_before)
    finally:
        student.context.close()


def test_the_teachers_pages_fit_a_phone(live_server, chromium, screenshots):
    world = _world(live_server)
    base = f"/c/{world['circle']}/checkins/{world['task']}"
    teacher = _phone(chromium, live_server, world["teacher"])
    try:
        for path in ("", "/board", "/rates", "/leaderboard", "/edit"):
            with screenshots.on_failure(teacher, path.strip("/") or "task"):
                teacher.goto(base + path)
                expect(teacher.locator("main")).to_be_visible()
                _fits(teacher)
        with screenshots.on_failure(teacher, "new"):
            teacher.goto(f"/c/{world['circle']}/checkins/new")
            _fits(teacher)
    finally:
        teacher.context.close()
