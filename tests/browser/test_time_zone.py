"""One zone per viewer in a real browser: times the server writes and times the script writes agree on
the profile's zone even when the browser runs in another, and the page names that zone."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

PROFILE_ZONE = "Asia/Shanghai"
BROWSER_ZONE = "America/New_York"  # 13 hours behind Shanghai in January


def _submission_with_comment(live_server) -> dict:
    """A text hand-in received at 11:30 UTC on 15 January 2026 and a teacher's comment written at 12:00
    UTC: 19:30 and 20:00 in Shanghai, 06:30 and 07:00 in New York."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db
    from lms.homework import operations as hw_ops
    from lms.homework.models import Accepts

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"tz-t-{tag}@example.org", PASSWORD, "Teacher Wu",
                                            timezone=PROFILE_ZONE)
        student = account_ops.register_user(f"tz-s-{tag}@example.org", PASSWORD, "Lin Mei", timezone=PROFILE_ZONE)
        circle = circle_ops.create_circle(teacher, f"Erhu {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Mei")
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, title="Scales", accepts=Accepts.text)
        submission = hw_ops.submit_homework(assignment, student, text="I practised for an hour.")
        submission.submitted_at = datetime(2026, 1, 15, 11, 30, tzinfo=timezone.utc)
        comment = hw_ops.add_video_comment(submission, teacher, "Steadier bow, please.")
        comment.created_at = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
        db.session.commit()
        found = {"teacher": teacher.email,
                 "url": f"/circles/{circle.id}/assignments/{assignment.id}/submissions/{submission.id}"}
        db.session.remove()
    return found


def test_server_and_script_times_share_the_profile_zone(live_server, new_context, screenshots):
    """In a browser set to New York, does a Shanghai teacher read both the server-written receipt time
    and the script-written comment times in Shanghai time, with the zone named on the page?"""
    case = _submission_with_comment(live_server)
    page = new_context(timezone_id=BROWSER_ZONE).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(case["teacher"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")

    page.goto(case["url"])
    with screenshots.on_failure(page, "times"):
        # a new comment makes the script draw the whole list again from the JSON endpoint
        page.get_by_label("Add a comment (Markdown)").fill("And listen to the recording.")
        page.get_by_role("button", name="Post").click()
        comments = page.locator("[data-comment-list] > li")
        expect(comments).to_have_count(2)
        expect(comments.filter(has_text="Steadier bow")).to_contain_text("1/15/26, 8:00\u202fPM")
        expect(page.locator("main")).to_contain_text("received Jan 15, 2026, 7:30:00\u202fPM")
        expect(page.locator("[data-time-zone-note]")).to_contain_text(
            "Times are shown in Asia/Shanghai (GMT+08:00).")
        expect(page.locator('meta[name="time-zone"]')).to_have_attribute("content", PROFILE_ZONE)
        assert "7:00" not in comments.filter(has_text="Steadier bow").inner_text()


def test_late_day_end_is_in_the_viewers_zone_on_the_assignment_page(live_server, new_context, screenshots):
    """A New York student of a Shanghai class, in a New York browser: does the assignment page give the due time
    and the late day's end both in New York time, the class's clock once and labelled, never a bare "there"?"""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db
    from lms.homework import operations as hw_ops
    from lms.homework.models import Accepts

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"tz-lt-{tag}@example.org", PASSWORD, "Teacher Wu", timezone=PROFILE_ZONE)
        student = account_ops.register_user(f"tz-ls-{tag}@example.org", PASSWORD, "David", timezone=BROWSER_ZONE)
        circle = circle_ops.create_circle(teacher, f"Jazz {tag}")
        circle.timezone = PROFILE_ZONE
        circle_ops.add_member(circle, student, Role.student, display_name="David")
        # 18:00 in Shanghai on 2 December 2030 is 05:00 in New York
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, title="Solo", accepts=Accepts.text,
                                              due_at=datetime(2030, 12, 2, 10, 0, tzinfo=timezone.utc))
        db.session.commit()
        email, url = student.email, f"/circles/{circle.id}/assignments/{assignment.id}"
        db.session.remove()

    page = new_context(timezone_id=BROWSER_ZONE).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")
    page.goto(url)
    with screenshots.on_failure(page, "late-day"):
        window = page.locator("section.window")
        expect(window).to_contain_text("(12/2/30, 5:00\u202fAM)")
        expect(window).to_contain_text("each late day ends at 5:00\u202fAM your time, 6:00\u202fPM Asia/Shanghai (GMT+08:00).")
        assert " there." not in window.inner_text()
        expect(page.locator("[data-time-zone-note]")).to_contain_text("America/New_York")
