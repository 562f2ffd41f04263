"""Live lessons' schedule and attendance pages on a phone (390 px), in Chinese and English, with long
titles and names: nothing reaches past the screen (tables scroll inside their .table-wrap), and the
countdown ticks."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.core.types import utcnow
from lms.extensions import db
from tests.browser.conftest import PASSWORD
from tests.browser.test_phone_width import OVERFLOW_SCRIPT, PHONE, SCROLLERS, signed_in_phones

pytestmark = pytest.mark.browser

LONG_TITLE = "第七周直播课：现代舞基础组合讲解与答疑 Week 7 live: contemporary combination, questions and answers"


@pytest.fixture(scope="module")
def world(live_server):  # noqa: F811
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.live import operations as live_ops
    from lms.live.models import LiveAttendance

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"live-teacher-{tag}@example.org", PASSWORD, "欧阳老师")
        student = account_ops.register_user(f"live-student-{tag}@example.org", PASSWORD, "Maximilian Alexander")
        circle = circle_ops.create_circle(teacher, f"高一（3）班 现代舞与芭蕾基础训练 {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Maximilian Alexander von Humboldt-Schmidt")
        upcoming = live_ops.create_lesson(circle, teacher, title=LONG_TITLE, starts_at=utcnow() + timedelta(hours=3),
                                          description="A " + "very-long-unbroken-word" * 8)
        past = live_ops.create_lesson(circle, teacher, title=LONG_TITLE + " (1)", starts_at=utcnow() + timedelta(minutes=1))
        db.session.flush()
        past.state, past.went_live_at = "ended", utcnow() - timedelta(minutes=90)
        past.ended_at = past.went_live_at + timedelta(minutes=90)
        db.session.add(LiveAttendance(lesson_id=past.id, user_id=student.id, joined_at=past.went_live_at,
                                      last_seen_at=past.ended_at, left_at=past.ended_at))
        db.session.commit()
        world = {"circle": circle.id, "upcoming": upcoming.id, "past": past.id, "student_id": student.id,
                 "people": {"teacher": teacher.email, "student": student.email}}
        db.session.remove()
    before = live_server.app.config.get("LIVE_RTMP_URL")
    live_server.app.config["LIVE_RTMP_URL"] = "rtmp://circles-live.example.org/live"  # OBS offered
    yield world
    live_server.app.config["LIVE_RTMP_URL"] = before


@pytest.fixture(scope="module")
def phone(chromium, live_server, world):
    with signed_in_phones(chromium, live_server, world["people"]) as _phone:
        yield _phone


PATHS = {
    "teacher": ["/c/{circle}/live", "/c/{circle}/live/new", "/c/{circle}/live/{upcoming}",
                "/c/{circle}/live/{upcoming}/edit", "/c/{circle}/live/{past}/attendance", "/c/{circle}/live/attendance",
                "/c/{circle}/live/attendance/{student_id}", "/c/{circle}"],
    "student": ["/c/{circle}/live", "/c/{circle}/live/{upcoming}", "/c/{circle}/live/{past}",
                "/c/{circle}/live/attendance/{student_id}", "/c/{circle}"],
}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("role", ["student", "teacher"])
def test_live_pages_fit_a_phone(world, phone, locale, role):
    page = phone(role, locale)
    for path in PATHS[role]:
        response = page.goto(path.format(**world))
        assert response is not None and response.ok, path
        found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
        too_wide = f"{path}: " + ", ".join(found["wide"])
        assert found["inner"] <= PHONE["width"], too_wide
        assert found["page"] <= found["screen"], too_wide
        assert not found["offScreen"], f"{path} off screen:\n" + "\n".join(found["offScreen"])


def test_the_countdown_ticks(world, phone):
    page = phone("student", "en-US")
    page.goto(f"/c/{world['circle']}/live/{world['upcoming']}")
    expect(page.locator(".live-countdown-line [data-live-countdown]")).to_contain_text("Starts in 2 h ")  # in hours and minutes, not a clock


def test_the_stream_key_fits_a_phone(world, phone):
    """A new stream key (long, unbroken) is shown once, wrapped inside the screen."""
    page = phone("teacher", "en-US")
    page.goto(f"/c/{world['circle']}/live/{world['upcoming']}")
    page.locator(".live-obs summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a stream key").click()
    key = page.locator("[data-stream-key]")
    expect(key).to_be_visible()
    expect(key).to_contain_text("?key=")
    found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
    assert found["page"] <= found["screen"], ", ".join(found["wide"])
    assert not found["offScreen"], "\n".join(found["offScreen"])
