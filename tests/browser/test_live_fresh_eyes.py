"""What a person sees of the fresh-eyes fixes: the broadcast page carries the room (viewer count, chat,
moderation), the elapsed time and a microphone switch, and fits a phone; a student's page follows the lesson
going live (header badge, state line) in its own language's words; a removed student is told so and let back
in without a reload; a cancellation reaches an open page."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.core.types import utcnow
from lms.extensions import db
from tests.browser.conftest import PASSWORD
from tests.browser.test_phone_width import OVERFLOW_SCRIPT, PHONE, SCROLLERS, resize

pytestmark = pytest.mark.browser


def _setup(live_server, starts_in=timedelta(minutes=1)):
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.live import operations as live_ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"fe-t-{tag}@example.org", PASSWORD, "Teacher Wang")
        teacher.locale = "zh_Hans"  # whoever causes a change, each page words it in its own language
        student = account_ops.register_user(f"fe-s-{tag}@example.org", PASSWORD, "Li Na")
        circle = circle_ops.create_circle(teacher, f"Optics {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Na")
        lesson = live_ops.create_lesson(circle, teacher, title="Lenses", starts_at=utcnow() + starts_in)
        db.session.commit()
        found = {"path": f"/c/{circle.id}/live/{lesson.id}", "teacher": teacher.email, "student": student.email,
                 "id": lesson.id, "student_id": student.id}
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
    return page


def test_broadcast_page_moderates_and_the_student_page_follows(live_server, new_context, screenshots, tmp_path,
                                                               monkeypatch):
    monkeypatch.setitem(live_server.app.config, "LIVE_DIR", str(tmp_path / "live"))
    lesson = _setup(live_server)
    errors = []
    student = _open(new_context(), lesson["student"], lesson["path"])
    student.on("pageerror", lambda error: errors.append(str(error)))
    expect(student.locator("[data-live-room][data-room-ready]")).to_be_attached()
    expect(student.locator("[data-live-state-badge]")).to_have_text("Scheduled")

    teacher = _open(new_context(), lesson["teacher"], lesson["path"] + "/broadcast")
    teacher.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(teacher, "broadcast-room"):
        expect(teacher.locator(".live-broadcast-room [data-live-room][data-room-ready]")).to_be_attached()
        # the student, not the teacher ("1 人在看": the teacher reads Chinese)
        expect(teacher.locator("[data-viewers]")).to_have_text(re.compile(r"^1\D"))
        go = teacher.locator("[data-go-live]")
        expect(go).to_be_enabled()
        go.click()
        expect(teacher.locator("[data-on-air]")).to_be_visible()
        expect(teacher.locator("[data-elapsed]")).to_contain_text("0:0")  # "Live for 0:03" (in Chinese here)
        mic = teacher.locator("[data-mic-mute]")
        mic.click()
        expect(mic).to_have_attribute("aria-pressed", "true")
        assert teacher.evaluate("() => document.querySelector('[data-broadcast]').broadcast.stream"
                                ".getAudioTracks().every(t => !t.enabled)")
        mic.click()
        expect(mic).to_have_attribute("aria-pressed", "false")

    with screenshots.on_failure(student, "goes-live"):
        # no reload: the header follows, worded in English although the teacher reads Chinese
        expect(student.locator("[data-live-state-badge]")).to_have_text("Live now")
        expect(student.locator("[data-live-state-line]")).to_have_text("The lesson is live.")
        expect(student.locator("[data-room-status]")).to_have_text("The lesson is live.")

    with screenshots.on_failure(teacher, "remove"):
        student.fill("#live-chat-input", "Hello")
        student.locator('[data-compose="chat"] button[type=submit]').click()
        message = teacher.locator('[data-list="chat"] .live-message').filter(has_text="Hello")
        teacher.once("dialog", lambda dialog: dialog.accept())
        message.locator(".live-message-tools button.danger").last.click()  # Remove (after Delete)
    with screenshots.on_failure(student, "removed"):
        expect(student.locator("[data-live-status]")).to_have_text("You were removed from this lesson.")
        expect(student.locator("[data-room-notice]")).to_have_text("You were removed from this lesson.")
        expect(student.locator("[data-live-video]")).to_be_hidden()
    with screenshots.on_failure(teacher, "readmit"):
        teacher.locator(".live-room details summary").first.click()
        teacher.locator('[data-list="removed"]').get_by_role("button").first.click()
    with screenshots.on_failure(student, "readmitted"):
        expect(student.locator("[data-live-room][data-room-ready]")).to_be_attached()
        expect(student.locator("#live-chat-input")).to_be_enabled()

    with screenshots.on_failure(teacher, "phone"):
        resize(teacher, PHONE)
        found = teacher.evaluate(OVERFLOW_SCRIPT, SCROLLERS + ", .live-room-tabs")
        wide = ", ".join(found["wide"])
        assert found["inner"] <= PHONE["width"], wide
        assert found["page"] <= found["screen"], wide
        assert not found["offScreen"], "off screen:\n" + "\n".join(found["offScreen"])
    assert errors == []


def test_a_cancellation_reaches_an_open_page(live_server, new_context, screenshots):
    lesson = _setup(live_server, starts_in=timedelta(days=2, hours=2, minutes=30))
    student = _open(new_context(), lesson["student"], lesson["path"])
    with screenshots.on_failure(student, "countdown"):
        expect(student.locator("[data-live-room][data-room-ready]")).to_be_attached()
        expect(student.locator("[data-live-countdown]")).to_have_text("Starts in 2 days 2 h")
    from lms.live import operations as live_ops
    from lms.live.models import LiveLesson

    with live_server.app.app_context():
        owner = db.session.get(LiveLesson, lesson["id"])
        live_ops.cancel_lesson(owner, owner.created_by)
        db.session.commit()
        db.session.remove()
    with screenshots.on_failure(student, "cancelled"):
        # said once, in the state line (fe14 F10: not again by the room and the player)
        expect(student.locator("[data-live-state-line]")).to_have_text("This lesson was cancelled.")
        expect(student.locator("[data-live-state-badge]")).to_have_text("Cancelled")
        expect(student.get_by_text("This lesson was cancelled.")).to_have_count(1)
        expect(student.locator("[data-room-notice]")).to_be_hidden()
        expect(student.locator("[data-live-status]")).to_be_hidden()
