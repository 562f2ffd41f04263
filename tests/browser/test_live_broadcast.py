"""A teacher goes live from the browser with chromium's fake camera and microphone; a student on the lesson page
sees the live video play (hls.js); the teacher stops and the lesson ends for everyone; the replay plays with the
chat in step, and what the student watched is recorded."""
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
    with screenshots.on_failure(student, "replay-offered"):
        # the replay is made at once here (jobs inline): the open page offers it, and its line no longer says
        # that it is being prepared
        expect(student.locator("[data-live-replay-link]")).to_be_visible(timeout=30_000)
        expect(student.locator("[data-live-state-line]")).to_have_text("The lesson has ended.")
    # Two chat lines of the lesson, at 1 s and 100 s of it (live-room writes them during the lesson).
    from lms.accounts.models import User
    from lms.extensions import db
    from lms.live.models import LiveMessage, ReplayView

    with live_server.app.app_context():
        student_id = db.session.scalar(db.select(User.id).where(User.email == student_email))
        for at, body in ((1.0, "Good morning"), (100.0, "See you next week")):
            db.session.add(LiveMessage(lesson_id=lesson_id, user_id=student_id, body=body, offset_seconds=at))
        db.session.commit()
        db.session.remove()

    with screenshots.on_failure(student, "replay"):
        student.goto(lesson_url)  # jobs run inline here: the replay was made when the lesson ended
        replay = student.locator("[data-live-replay]")
        expect(replay.locator("video")).to_be_visible()
        first = replay.locator("li[data-at='1.0']")
        later = replay.locator("li[data-at='100.0']")
        expect(first).to_have_class("live-replay-message future")
        expect(later).to_have_class("live-replay-message future")
        student.evaluate("() => { const v = document.querySelector('[data-live-replay] video'); v.muted = true; "
                         "return v.play(); }")
        expect(first).to_have_class("live-replay-message")  # the video passed 1 s: shown
        expect(later).to_have_class("live-replay-message future")  # not reached yet
        student.wait_for_function("() => document.querySelector('[data-live-replay] video').currentTime > 2.5")
        # Leaving the page reports what was watched (a keepalive request on pagehide; sent here without leaving,
        # so the answer can be awaited).
        with student.expect_response(lambda r: "/replay/progress" in r.url) as reported:
            student.evaluate("() => window.dispatchEvent(new Event('pagehide'))")
        assert reported.value.status == 200

    with live_server.app.app_context():
        view = db.session.scalar(db.select(ReplayView).where(ReplayView.lesson_id == lesson_id,
                                                            ReplayView.user_id == student_id))
        assert view is not None and view.seconds_watched >= 1.5 and view.watched[0][0] < 1.0
        db.session.remove()
    assert errors == []


def _segments(folder) -> list[int]:
    return sorted(int(p.stem) for p in folder.glob("*.ts")) if folder.is_dir() else []


def _wait_for(predicate, timeout: float = 20.0):
    """Poll a server-side state (the lesson's segment files) until it holds; the page cannot show it."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the state did not come"
        time.sleep(0.1)


def test_a_dropped_teacher_connection_resumes_by_itself(live_server, new_context, screenshots, tmp_path, monkeypatch):
    """When the broadcast page's connection drops, does it reconnect by itself and go on live with a new
    recording, and does the server continue the same recording (the segment numbers go on)?"""
    from lms.extensions import db
    from lms.live.models import LessonState, LiveLesson

    live_dir = tmp_path / "live"
    monkeypatch.setitem(live_server.app.config, "LIVE_DIR", str(live_dir))
    circle_id, lesson_id, teacher_email, _student_email = _setup(live_server)
    with live_server.app.app_context():
        folder = live_dir / db.session.get(LiveLesson, lesson_id).stream_path
        db.session.remove()
    teacher = new_context().new_page()
    errors = []
    teacher.on("pageerror", lambda error: errors.append(str(error)))
    with screenshots.on_failure(teacher, "go-live"):
        _sign_in(teacher, teacher_email)
        teacher.goto(f"/c/{circle_id}/live/{lesson_id}/broadcast")
        expect(teacher.locator("[data-go-live]")).to_be_enabled()
        teacher.locator("[data-go-live]").click()
        expect(teacher.locator("[data-broadcast-status]")).to_contain_text("You are live.")
        _wait_for(lambda: len(_segments(folder)) >= 2)
    with screenshots.on_failure(teacher, "drop-and-resume"):
        # The connection under Socket.IO breaks (a network change): the client reconnects by itself.
        teacher.evaluate("() => document.querySelector('[data-broadcast]').broadcast.socket.io.engine.close()")
        expect(teacher.locator("[data-broadcast-status]")).to_contain_text("Reconnected. You are live again.",
                                                                          timeout=20_000)
        first = _segments(folder)[-1]
        # The new recording's segments follow the old ones: the recording goes on as one.
        _wait_for(lambda: _segments(folder)[-1] >= first + 2)
        expect(teacher.locator("[data-on-air]")).to_be_visible()
    numbers = _segments(folder)
    assert numbers == list(range(len(numbers)))
    with live_server.app.app_context():
        lesson = db.session.get(LiveLesson, lesson_id)
        assert lesson.state == LessonState.live and lesson.reconnecting_since is None
        db.session.remove()
    assert errors == []
