"""Chat moderation end to end (issue 17): two students and a teacher chat live; a student reports a message
(the Report dialog of static/js/report.js); the teacher hides it from the circle's review queue with a reason,
and it disappears from both students' open chat screens at once (one student on a 390 px phone)."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, OVERFLOW_SCRIPT, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def chat_circle(live_server):
    """A teaching circle (chat on by default) with a teacher and two students, its main channel made."""
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"mod-teacher-{tag}@example.org", PASSWORD, "Teacher Tan")
        sam = account_ops.register_user(f"mod-sam-{tag}@example.org", PASSWORD, "Sam Account")
        li = account_ops.register_user(f"mod-li-{tag}@example.org", PASSWORD, "Li Account")
        circle = circle_ops.create_circle(teacher, f"Physics {tag}")
        circle_ops.add_member(circle, sam, Role.student, display_name="Sam In Class")
        circle_ops.add_member(circle, li, Role.student, display_name="Li In Class")
        channel = chat_ops.ensure_main_channel(circle)
        db.session.commit()
        found = {"circle_id": circle.id, "path": f"/c/{circle.id}/chat/{channel.id}", "teacher": teacher.email,
                 "sam": sam.email, "li": li.email}
        db.session.remove()
    return found


def _sign_in(page, email: str, path: str):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    expect(page.locator("[data-chat][data-chat-ready]")).to_be_attached()
    return page


def _send(page, text: str):
    page.fill("[data-chat-body]", text)
    page.locator("[data-chat-body]").press("Enter")
    expect(page.locator("[data-chat-body]")).to_have_value("")


def test_a_reported_message_hidden_from_the_queue_disappears_for_both_students(new_context, chromium, live_server,
                                                                              chat_circle, screenshots):
    teacher = _sign_in(new_context().new_page(), chat_circle["teacher"], chat_circle["path"])
    sam = _sign_in(new_context().new_page(), chat_circle["sam"], chat_circle["path"])
    phone = chromium.new_context(base_url=live_server.url, viewport=PHONE, user_agent=IPHONE, is_mobile=True,
                                 has_touch=True, timezone_id="Asia/Shanghai")
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        li = _sign_in(phone.new_page(), chat_circle["li"], chat_circle["path"])
        with screenshots.on_failure(sam, "sam-writes"):
            _send(sam, "Cheap essays for sale, message me")
            _send(sam, "Sorry, wrong chat")
        for page, name in ((li, "li"), (teacher, "teacher")):
            with screenshots.on_failure(page, f"{name}-reads"):
                expect(page.locator(".chat-message").filter(has_text="Cheap essays")).to_have_count(1)

        with screenshots.on_failure(li, "li-reports"):
            message = li.locator(".chat-message").filter(has_text="Cheap essays")
            message.locator('[data-report-kind="chat_message"]').click()
            dialog = li.locator("dialog.report-dialog")
            expect(dialog).to_be_visible()
            dialog.locator('input[name="reason"][value="spam"]').check()
            dialog.locator("textarea[name=details]").fill("Selling homework")
            dialog.locator("[data-report-send]").click()
            expect(dialog.locator(".report-result")).to_contain_text("staff will look at it")
            # the confirmation and one Close: no Send to tap twice, no form left filled in
            expect(dialog.locator("[data-report-send]")).to_be_hidden()
            expect(dialog.locator("fieldset")).to_be_hidden()
            expect(dialog.locator("[data-report-close]")).to_have_text("Close")
            box = dialog.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
            dialog.locator("[data-report-close]").click()
            expect(dialog).to_be_hidden()

        with screenshots.on_failure(li, "queue-on-a-phone"):
            # the queue on the teacher's phone: every button reachable, nothing wider than the screen
            teacher_phone = phone.browser.new_context(base_url=live_server.url, viewport=PHONE, user_agent=IPHONE,
                                                      is_mobile=True, has_touch=True)
            teacher_phone.set_default_timeout(TIMEOUT_MS)
            try:
                small = _sign_in(teacher_phone.new_page(), chat_circle["teacher"], chat_circle["path"])
                small.goto(f"/c/{chat_circle['circle_id']}/moderation")
                expect(small.locator(".moderation-item")).to_have_count(1)
                found = small.evaluate(OVERFLOW_SCRIPT, ".tabs")
                assert found["page"] <= found["screen"], found
                assert not found["offScreen"], "off screen sideways:\n" + "\n".join(found["offScreen"])
            finally:
                teacher_phone.close()

        queue = new_context().new_page()
        _sign_in(queue, chat_circle["teacher"], chat_circle["path"])
        with screenshots.on_failure(queue, "teacher-queue"):
            queue.goto(f"/c/{chat_circle['circle_id']}/moderation")
            item = queue.locator(".moderation-item").filter(has_text="Cheap essays")
            expect(item).to_contain_text("Sam In Class")  # the author by their circle identity
            expect(item).to_contain_text("Selling homework")
            expect(item.locator("[data-age]")).to_contain_text("waiting")
            item.locator("textarea[name=reason]").fill("No selling in class chat")
            item.locator('button[data-action="hide"]').click()
            expect(queue.locator(".flash").filter(has_text="Done")).to_have_count(1)
            expect(queue.locator(".moderation-item").filter(has_text="Cheap essays")).to_have_count(0)

        for page, name in ((sam, "sam"), (li, "li")):
            with screenshots.on_failure(page, f"{name}-sees-it-gone"):
                expect(page.locator(".chat-message").filter(has_text="Cheap essays")).to_have_count(0)
                expect(page.locator(".chat-message").filter(has_text="wrong chat")).to_have_count(1)
    finally:
        phone.close()
