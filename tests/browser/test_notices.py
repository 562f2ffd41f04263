"""Notices in a real browser: a teacher posts a must-read notice, a student sees it on top of the circle's
home page and confirms it; the teacher's open receipts page and the student's bell follow without reloading."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.test_homework_journey import ZONE, sign_in

pytestmark = pytest.mark.browser


def _people(live_server) -> dict:
    """A teaching circle with its owner (the teacher) and one student, in the live app."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"nt-{tag}@example.org", PASSWORD, "Teacher Wu", timezone=ZONE)
        student = account_ops.register_user(f"ns-{tag}@example.org", PASSWORD, "Lin Mei", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"Choir {tag}", owner_display_name="Mr Wu")
        circle_ops.add_member(circle, student, Role.student, display_name="Mei", real_name="Lin Mei",
                              student_no="S-042")
        db.session.commit()
        people = {"circle_id": circle.id, "teacher": teacher.email, "student": student.email}
        db.session.remove()
    return people


def connected(page) -> None:
    page.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")


def test_must_read_notice_confirmed_live(live_server, new_context, screenshots):
    people = _people(live_server)
    c = people["circle_id"]
    teacher = sign_in(new_context, people["teacher"])
    student = sign_in(new_context, people["student"])

    with screenshots.on_failure(teacher, "post"):
        teacher.goto(f"/c/{c}")
        teacher.locator("nav.tabs").first.get_by_role("link", name="Notices", exact=True).click()
        teacher.get_by_role("link", name="New notice").first.click()
        teacher.get_by_label("Title").fill("Concert dress code")
        teacher.get_by_label("Text (Markdown)").fill("# Dress\n\n- black shirt\n- **no** sneakers")
        teacher.get_by_label("Pin to the top").check()
        teacher.locator("[data-notice-must-read]").check()
        teacher.get_by_role("button", name="Post notice").click()
        expect(teacher.get_by_role("heading", level=2)).to_contain_text("Concert dress code")
        notice_url = teacher.url

    with screenshots.on_failure(student, "home"):
        student.goto(f"/c/{c}")
        first = student.locator("[data-home-section=notices] .notice-item").first
        expect(first).to_contain_text("Concert dress code")
        expect(first).to_contain_text("Must read")
        expect(student.locator("[data-bell-count]")).to_have_text("1")

    with screenshots.on_failure(teacher, "receipts"):
        teacher.goto(notice_url + "/receipts")
        connected(teacher)
        row = teacher.locator("tr", has_text="Mei")
        expect(row).to_contain_text("Lin Mei")
        expect(row).to_contain_text("S-042")
        expect(row.locator("[data-receipt-opened]")).to_have_text("–")

    with screenshots.on_failure(student, "open"):
        student.locator("[data-home-section=notices] .notice-item").first.get_by_role("link").click()
        expect(student.locator(".prose h1")).to_have_text("Dress")
        # opening it read its notification: the next page's bell says so (the page that opened it was
        # counted before it did: the count is read with the session)
        student.goto(f"/c/{c}")
        expect(student.locator("[data-bell-count]")).to_be_hidden()
        student.locator("[data-home-section=notices] .notice-item").first.get_by_role("link").click()
        connected(student)

    with screenshots.on_failure(teacher, "opened live"):
        expect(row.locator("[data-receipt-opened]")).to_contain_text("✓")
        expect(teacher.locator("[data-count=opened]").first).to_have_text("1")
        teacher.get_by_role("button", name=re.compile("Remind those who have not confirmed")).click()
        expect(teacher.locator(".flash")).to_contain_text("Reminded 1 member who has not confirmed it.")

    with screenshots.on_failure(student, "reminded"):
        expect(student.locator("[data-bell-count]")).to_have_text("1")

    with screenshots.on_failure(teacher, "confirmed live"):
        connected(teacher)
        student.get_by_role("button", name="I have read this").click()
        expect(student.locator("[data-notice-confirmed]")).to_be_visible()
        row = teacher.locator("tr", has_text="Mei")
        expect(row.locator("[data-receipt-confirmed]")).to_contain_text("✓")
        expect(teacher.locator("[data-count=read]").first).to_have_text("1")  # the "Confirmed" tab
        expect(teacher.locator("[data-count=unread]").first).to_have_text("0")

    with screenshots.on_failure(student, "new notice"):
        connected(student)
        expect(student.locator("[data-bell-count]")).to_be_hidden()
        other_page = teacher.context.new_page()  # the teacher posts another in a second tab
        other_page.goto(f"/circles/{c}/notices/new")
        other_page.get_by_label("Title").fill("Bus leaves at 8")
        other_page.get_by_role("button", name="Post notice").click()
        expect(other_page.get_by_role("heading", level=2)).to_contain_text("Bus leaves at 8")
        expect(student.locator("[data-bell-count]")).to_have_text("1")

    student.goto(f"/c/{c}")
    items = student.locator("[data-home-section=notices] .notice-item")
    expect(items.first).to_contain_text("Concert dress code")  # pinned, now confirmed
    expect(items.first).not_to_contain_text("Must read")
    assert teacher.errors == [] and student.errors == []
