"""A teacher goes live from the browser with chromium's fake camera and microphone; a student on the lesson page
sees the live video play (hls.js); the teacher stops and the lesson ends for everyone."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _setup(live_server):
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.live import operations as live_ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"lt-{tag}@example.org", PASSWORD, "Teacher Wang")
        student = account_ops.register_user(f"ls-{tag}@example.org", PASSWORD, "Li Na")
        circle = circle_ops.create_circle(teacher, f"Optics {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Na")
        lesson = live_ops.create_lesson(circle, teacher, title="Lenses", starts_at=utcnow() + timedelta(minutes=1))
        db.session.commit()
        ids = (circle.id, lesson.id, teacher.email, student.email)
        db.session.remove()
    return ids


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url("/login")


def test_teacher_goes_live_and_a_student_watches(live_server, new_context, screenshots, tmp_path, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "LIVE_DIR", str(tmp_path / "live"))
    circle_id, lesson_id, teacher_email, student_email = _setup(live_server)
    lesson_url = f"/c/{circle_id}/live/{lesson_id}"
    teacher = new_context().new_page()
    errors = []
    teacher.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(teacher, "go-live"):
        _sign_in(teacher, teacher_email)
        teacher.goto(f"{lesson_url}/broadcast")
        go = teacher.locator("[data-go-live]")
        expect(go).to_be_enabled()  # the fake camera and microphone are open in the preview
        go.click()
        expect(teacher.locator("[data-broadcast-status]")).to_contain_text("You are live.")
        expect(teacher.locator("[data-on-air]")).to_be_visible()
        teacher.wait_for_function("() => Number(document.querySelector('[data-broadcast]').dataset.sent || 0) >= 3",
                                  timeout=15_000)  # three one-second pieces taken by the server

    student = new_context().new_page()
    student.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(student, "watch"):
        _sign_in(student, student_email)
        student.goto(lesson_url)
        player = student.locator("[data-live-player]")
        expect(player).to_have_attribute("data-source", "hls.js")
        expect(player).to_have_attribute("data-playing", "1", timeout=20_000)
        # frames are coming: the element's clock moves on
        student.wait_for_function(
            "() => { const v = document.querySelector('[data-live-video]'); return v && v.currentTime > 0.5; }")

    with screenshots.on_failure(teacher, "stop"):
        teacher.once("dialog", lambda dialog: dialog.accept())
        teacher.locator("[data-stop]").click()
        expect(teacher.locator("[data-broadcast-status]")).to_contain_text("The lesson has ended for everyone.",
                                                                          timeout=30_000)
    assert errors == []
