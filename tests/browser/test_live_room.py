"""The lesson room in two browsers: a teacher and a student exchange chat messages, the student raises a hand
and the teacher lowers it from the queue; and the room's panel fits a phone with its host controls open."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from lms.core.types import utcnow
from lms.extensions import db
from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, OVERFLOW_SCRIPT, PHONE, SCROLLERS

pytestmark = pytest.mark.browser


@pytest.fixture
def lesson(live_server):
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.live.models import LessonState, LiveLesson

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"room-teacher-{tag}@example.org", PASSWORD, "Teacher Tan")
        student = account_ops.register_user(f"room-student-{tag}@example.org", PASSWORD, "Sam Account Name")
        circle = circle_ops.create_circle(teacher, f"Optics {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Sam In Class")
        now = utcnow()
        lesson = LiveLesson(circle_id=circle.id, title="Refraction", starts_at=now, state=LessonState.live,
                            went_live_at=now, created_by_id=teacher.id)
        db.session.add(lesson)
        db.session.commit()
        found = {"path": f"/c/{circle.id}/live/{lesson.id}", "teacher": teacher.email, "student": student.email,
                 "id": lesson.id, "app": live_server.app}
        db.session.remove()
    return found


def _open(context, email: str, path: str):
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    expect(page.locator("[data-live-room][data-room-ready]")).to_be_attached()
    return page


def test_chat_and_a_raised_hand_between_teacher_and_student(new_context, lesson, screenshots):
    teacher = _open(new_context(), lesson["teacher"], lesson["path"])
    student = _open(new_context(), lesson["student"], lesson["path"])
    teacher_chat = teacher.locator('[data-list="chat"]')
    student_chat = student.locator('[data-list="chat"]')

    with screenshots.on_failure(student, "student-chats"):
        student.fill("#live-chat-input", "<b>Is the angle measured from the normal?</b>")
        student.locator('[data-compose="chat"] button[type=submit]').click()
        expect(student.locator("#live-chat-input")).to_have_value("")
    with screenshots.on_failure(teacher, "teacher-reads"):
        message = teacher_chat.locator(".live-message").filter(has_text="Is the angle measured from the normal?")
        expect(message).to_have_count(1)
        expect(message.locator(".member-name")).to_have_text("Sam In Class")  # the circle identity
        expect(message.locator(".live-message-body")).to_have_text("<b>Is the angle measured from the normal?</b>")
        expect(message.locator(".live-message-body b")).to_have_count(0)  # shown as text, never as HTML
        expect(teacher.locator("[data-viewers]")).to_have_text("1 watching")  # the student: hosts are not counted
    with screenshots.on_failure(teacher, "teacher-answers"):
        teacher.fill("#live-chat-input", "Yes, always from the normal.")
        teacher.locator('[data-compose="chat"] button[type=submit]').click()
    with screenshots.on_failure(student, "student-reads"):
        reply = student_chat.locator(".live-message").filter(has_text="Yes, always from the normal.")
        expect(reply.locator(".member-name")).to_have_text("Teacher Tan")
        expect(reply.locator(".live-host-badge")).to_have_text("Teacher")  # the circle role, not "Host" (fe14 F12)
        expect(student_chat.locator(".live-message-tools")).to_have_count(0)  # no host tools on a student's page

    with screenshots.on_failure(student, "student-raises-hand"):
        student.get_by_role("tab", name="Hands").click()
        student.locator("[data-hand]").click()
        expect(student.locator("[data-hand]")).to_have_attribute("aria-pressed", "true")
        expect(student.locator("[data-hand-state]")).to_have_text("Your hand is raised.")
    with screenshots.on_failure(teacher, "teacher-lowers-hand"):
        teacher.get_by_role("tab", name="Hands").click()
        queue = teacher.locator('[data-list="hands"] .live-hand')
        expect(queue).to_have_count(1)
        expect(queue.locator(".member-name")).to_have_text("Sam In Class")
        queue.get_by_role("button", name="Lower").click()
        expect(queue).to_have_count(0)
    with screenshots.on_failure(student, "student-hand-lowered"):
        expect(student.locator("[data-hand]")).to_have_attribute("aria-pressed", "false")
        expect(student.locator("[data-hand]")).to_have_text("Raise hand")
        expect(student.locator("[data-hand-state]")).to_have_text("The teacher lowered your hand.")

    with screenshots.on_failure(student, "lesson-ends"):
        student.evaluate("window.heard = []; document.addEventListener('live:stream_state', e => heard.push(e.detail.state))")
        _end(lesson)
        # one end message, in the page's state line, saying where the replay comes (fe14 F10); the room closes
        expect(student.locator("[data-live-state-line]")).to_have_text(
            "The lesson has ended. The replay is being prepared; it appears here within minutes.")
        expect(student.get_by_text("The lesson has ended", exact=False)).to_have_count(1)
        expect(student.locator("[data-room-notice]")).to_be_hidden()
        expect(student.locator("[data-room-status]")).to_have_text("The lesson's room is closed.")
        expect(student.locator("[data-viewers]")).to_be_hidden()
        expect(student.locator("[data-live-calendar]")).to_be_hidden()
        expect(student.locator("#live-chat-input")).to_be_disabled()
        student.wait_for_function("window.heard.includes('ended')")  # what the player listens to


def _end(lesson):
    from lms.live import operations as live_ops
    from lms.live.models import LiveLesson

    with lesson["app"].app_context():
        live_ops.end_lesson(db.session.get(LiveLesson, lesson["id"]), None)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("role, locale", [("teacher", "en-US"), ("student", "zh-CN")])
def test_the_room_fits_a_phone(chromium, live_server, lesson, role, locale):
    """At 390 px, with a long message in the chat and (for the teacher) the moderation controls and the poll
    form open, nothing reaches past the screen."""
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE, user_agent=IPHONE, is_mobile=True,
                                   has_touch=True, locale=locale, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = _open(context, lesson[role], lesson["path"])
        page.fill("#live-chat-input", "A rather long message " + "without-any-breaks-at-all" * 6)
        page.locator('[data-compose="chat"] button[type=submit]').click()
        expect(page.locator('[data-list="chat"] .live-message')).to_have_count(1)
        if role == "teacher":
            page.locator("[data-moderation] summary").click()
            page.locator('[data-tab="poll"]').click()
            expect(page.locator("[data-poll-form]")).to_be_visible()
        found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS + ", .live-room-tabs")
        wide = ", ".join(found["wide"])
        assert found["inner"] <= PHONE["width"], wide
        assert found["page"] <= found["screen"], wide
        assert not found["offScreen"], "off screen:\n" + "\n".join(found["offScreen"])
    finally:
        context.close()
