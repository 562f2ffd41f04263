"""A student records homework with the camera in a real browser, hands it in, and comments at a moment."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _setup(live_server):
    """A circle with a teacher, a student and a published 20-second video assignment, in the live app."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.homework import operations as hw_ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"t-{tag}@example.org", PASSWORD, "Teacher Li")
        student = account_ops.register_user(f"s-{tag}@example.org", PASSWORD, "Chen Jing")
        circle = circle_ops.create_circle(teacher, f"Violin {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Jing")
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, title="Open strings",
                                              due_at=utcnow() + timedelta(days=1), max_video_seconds=20)
        db.session.commit()
        ids = (circle.id, assignment.id, student.email, teacher.email)
        db.session.remove()
    return ids


def test_record_hand_in_and_comment(live_server, new_context, screenshots):
    """Record 2 seconds with the (fake) camera, hand it in once the upload is done, see the server's
    receipt time, then post a comment pinned to the player's time, which the teacher's open page
    shows without a reload."""
    circle_id, assignment_id, email, teacher_email = _setup(live_server)
    page = new_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(page, "sign-in"):
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/circles/{circle_id}/assignments/{assignment_id}")
        expect(page.locator(".window")).to_contain_text("Due in")
        expect(page.locator("[data-submit-button]")).to_be_disabled()
    with screenshots.on_failure(page, "record"):
        page.get_by_role("button", name="Record with the camera").click()
        page.locator("[data-recorder-start]").click()
        expect(page.locator("[data-recorder-time]")).to_have_text(re.compile(r"^0:0[2-9]$"))  # 2 s recorded
        page.locator("[data-recorder-stop]").click()
        page.locator("[data-recorder-use]").click()
        expect(page.locator("[data-video-source] .upload-name")).to_have_text("recording.webm")
    with screenshots.on_failure(page, "hand-in"):
        expect(page.locator("[data-submit-button]")).to_be_enabled(timeout=60_000)
        page.get_by_label("Note (Markdown, optional)").fill("First try")
        page.locator("[data-submit-button]").click()
        expect(page.locator(".flash-success")).to_contain_text("The server received your work at")
    teacher = new_context().new_page()
    with screenshots.on_failure(teacher, "teacher-watches"):
        teacher.goto("/login")
        teacher.get_by_label("Email").fill(teacher_email)
        teacher.get_by_label("Password", exact=True).fill(PASSWORD)
        teacher.get_by_role("button", name="Sign in").click()
        teacher.goto(page.url)  # the student's version page, open on the teacher's screen
        expect(teacher.locator("[data-comment-list] li.comment")).to_have_count(0)
        # its Socket.IO connection has joined the submission's room
        expect(teacher.locator("[data-video-comments]")).to_have_attribute("data-socket-ready", "")
    with screenshots.on_failure(page, "comment"):
        page.get_by_label("Add a comment (Markdown)").fill("Listen to the **A** string here")
        page.get_by_role("button", name="Post").click()
        item = page.locator("[data-comment-list] li.comment")
        expect(item).to_have_count(1)
        expect(item.locator("strong.comment-author")).to_have_text("Jing")
        expect(item.locator(".comment-body strong")).to_have_text("A")
    with screenshots.on_failure(teacher, "teacher-sees-it-live"):
        expect(teacher.locator("[data-comment-list] li.comment .comment-body")).to_contain_text(
            "Listen to the A string here")
    assert errors == []
