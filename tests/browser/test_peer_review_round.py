"""Issue 13 end to end in a real browser: a teacher turns on peer review with calibration and an example
video (uploaded with the upload widget, processed by ffmpeg, scored with the rubric); three students
practise on it (the classmates' tasks stay locked until then), see how close they came, review each other;
the teacher accepts the peer score, weighted by the reviewers' accuracy, as a student's grade."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, make_clip

pytestmark = pytest.mark.browser

ZONE = "Asia/Shanghai"
PROCESSING_MS = 60_000  # probe, full decode and transcode of a short clip on a slow CI machine
STUDENTS = ("Ana", "Ben", "Cai")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A real 3-second 320×240 H.264/AAC MP4 made by ffmpeg: the teacher's example."""
    return make_clip(tmp_path_factory.mktemp("clips"), "example-tango.mp4", 3)


def _class(live_server) -> dict:
    """A circle with its teacher, three students and a rubric (two criteria of 10: Full 10, Half 5, None 0);
    a text assignment of 10 points with that rubric, due an hour ago, which the three handed in on time."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.grading import operations as grading_ops
    from lms.homework import operations as hw_ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"t-{tag}@example.org", PASSWORD, "Teacher Wu", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"Tango {tag}", owner_display_name="Ms Wu")
        emails = {}
        students = []
        for name in STUDENTS:
            user = account_ops.register_user(f"{name.lower()}-{tag}@example.org", PASSWORD, name, timezone=ZONE)
            circle_ops.add_member(circle, user, Role.student, display_name=name)
            emails[name] = user.email
            students.append(user)
        levels = [{"title": "Full", "points": 10}, {"title": "Half", "points": 5}, {"title": "None", "points": 0}]
        rubric = grading_ops.create_rubric(circle, teacher, "Tango", [
            {"title": "Frame", "levels": levels}, {"title": "Timing", "levels": levels}])
        due = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, title="Basic step", accepts="text",
                                              due_at=due, late_policy="accept", points=10, rubric_id=rubric.id)
        db.session.flush()
        for user in students:
            hw_ops.submit_homework(assignment, user, text=f"{user.name}'s notes on the basic step",
                                   now=due - timedelta(hours=2))
        db.session.commit()
        people = {"circle_id": circle.id, "assignment_id": assignment.id, "teacher": teacher.email, **emails}
        db.session.remove()
    return people


def sign_in(new_context, email: str):
    """A person's own browser, signed in; script errors are kept in `page.errors`."""
    page = new_context(timezone_id=ZONE).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # "Hand in …?" confirmations
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")
    return page


def score(form, frame: str, timing: str) -> None:
    """Choose a level of each criterion of the rubric in `form`."""
    for criterion, level in (("Frame", frame), ("Timing", timing)):
        form.locator("fieldset.review-criterion", has_text=criterion).locator("label.check", has_text=level).click()


def test_a_whole_round_with_calibration(live_server, new_context, screenshots, clip):
    """Can a teacher set up peer review with an example video they scored, three students practise on it
    (tasks locked before), see their accuracy, review each other, and the teacher accept the peer score
    weighted by accuracy as Ana's grade?

    Practice (reference Full / Half): Ana Full / Half → 100; Ben Half / Half → 75; Cai None / None → 25.
    Every review is Full / Full except Cai's, None / None. Ana's work: Ben 10 / 10 (weight 0.75), Cai 0 / 0
    (0.25): the weighted medians are 10 and 10 (plain medians would be 5 and 5). Shares 80 % score received,
    20 % reviewing well (Ana's accuracy 100): 0.8 × 1 + 0.2 × 1 = 1 → 10 of 10 (unweighted: 6)."""
    people = _class(live_server)
    base = f"/circles/{people['circle_id']}/assignments/{people['assignment_id']}"

    # -- 1. the teacher turns peer review on, requires practice and adds a scored example ------------
    teacher = sign_in(new_context, people["teacher"])
    closes = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=2)).replace(second=0, microsecond=0)
    with screenshots.on_failure(teacher, "set-up"):
        teacher.goto(base)
        teacher.get_by_role("link", name="Peer review", exact=True).click()
        form = teacher.locator("form.peer-review-form")
        form.get_by_label("Students review each other's work").check()
        form.get_by_label("Reviews per submission").fill("2")
        form.get_by_label("Review window closes").fill(closes.strftime("%Y-%m-%dT%H:%M"))
        form.get_by_label("Share of the grade from the peer score received (%)").fill("80")
        form.get_by_label("Share of the grade from reviewing well (%)").fill("20")
        form.get_by_role("button", name="Save").click()
        expect(teacher.locator(".flash-success")).to_have_text("Peer review saved.")
        teacher.get_by_role("link", name="Examples for practice").click()
        calibration = teacher.locator("[data-calibration-form]")
        calibration.get_by_label("Students practise on the examples before reviewing classmates").check()
        calibration.get_by_label("Weight each reviewer's scores by their accuracy").check()
        calibration.get_by_role("button", name="Save").click()
        expect(teacher.locator(".flash-success")).to_have_text("Calibration saved.")

    with screenshots.on_failure(teacher, "example"):
        add = teacher.locator("[data-add-example]")
        add.get_by_label("Title").fill("Tango basics")
        add.get_by_label("Example video").set_input_files(clip)
        expect(add.locator(".upload-item")).to_have_attribute("data-state", "ready", timeout=PROCESSING_MS)
        add.get_by_role("button", name="Add the example").click()
        expect(teacher.locator(".flash-success")).to_have_text("The example is added. Now score it with the rubric.")
        expect(teacher.locator("[data-player] video")).to_have_count(1)
        form = teacher.locator("[data-example-form]")
        score(form, "Full", "Half")
        form.get_by_label("Your comment, shown after the practice is handed in (Markdown)").fill("Keep the **frame**.")
        form.get_by_role("button", name="Save the example").click()
        expect(teacher.locator(".flash-success")).to_have_text("The example is saved.")
        expect(teacher.locator('[data-example][data-scored="yes"]')).to_have_count(1)
        screenshots.take(teacher, "examples")

    with screenshots.on_failure(teacher, "allocate"):
        teacher.goto(base + "/peer-review/allocation")
        teacher.get_by_role("button", name="Allocate now").click()
        expect(teacher.locator(".flash-success")).to_have_text("Round 1 allocated 6 review tasks.")

    # -- 2. each student practises, then reviews the two classmates ------------------------------------
    plan = {"Ana": (("Full", "Half"), 100, ("Full", "Full")), "Ben": (("Half", "Half"), 75, ("Full", "Full")),
            "Cai": (("None", "None"), 25, ("None", "None"))}
    for name, (practice, accuracy, review) in plan.items():
        student = sign_in(new_context, people[name])
        with screenshots.on_failure(student, f"{name}-locked"):
            student.goto(base)
            student.get_by_role("link", name="My review tasks").click()
            expect(student.locator("[data-practice]")).to_have_attribute("data-locked", "yes")
            expect(student.locator("li[data-task]")).to_have_count(2)
            expect(student.locator("li[data-task] a")).to_have_count(0)
            student.locator("[data-practice]").get_by_role("link", name="Tango basics").click()
        with screenshots.on_failure(student, f"{name}-practice"):
            expect(student.locator("[data-comparison]")).to_have_count(0)  # nothing of the teacher's yet
            expect(student.locator("[data-player] video")).to_have_count(1)
            form = student.locator("form.review-form")
            score(form, *practice)
            form.get_by_label("Overall comment").fill(f"{name}: the frame holds, the timing drifts.")
            form.get_by_role("button", name="Hand in the practice review").click()
            expect(student.locator(".flash-success")).to_contain_text("Your practice review is handed in.")
            comparison = student.locator("[data-comparison]")
            expect(comparison.locator("[data-accuracy]")).to_have_text(f"Accuracy: {accuracy} of 100.")
            expect(comparison.locator("tbody [data-reference]")).to_have_text(["10 Full", "5 Half"])
            expect(comparison.locator(".prose strong")).to_have_text("frame")
            screenshots.take(student, f"{name}-compared")
        with screenshots.on_failure(student, f"{name}-reviews"):
            student.get_by_role("link", name="My review tasks").click()
            expect(student.locator("[data-practice]")).to_have_attribute("data-locked", "no")
            for n in range(2):
                student.locator("li[data-task] a").nth(n).click()
                form = student.locator("form.review-form")
                score(form, *review)
                form.get_by_label("Overall comment").fill(f"Review by {name}: a clear basic step.")
                form.get_by_role("button", name="Hand in the review").click()
                expect(student.locator(".flash-success")).to_have_text("Your review is handed in. Thank you!")
            expect(student.locator("[data-progress]")).to_have_attribute("data-progress", "2/2")
        assert student.errors == []

    # -- 3. the teacher reads the results and accepts Ana's peer score ------------------------------
    with screenshots.on_failure(teacher, "results"):
        teacher.goto(base + "/peer-review/results")
        for name, (_, accuracy, _) in plan.items():
            expect(teacher.locator("tr", has_text=name).locator("[data-accuracy]")).to_have_text(str(accuracy))
        teacher.get_by_role("link", name="Ana", exact=True).click()
        expect(teacher.locator("[data-median] td").first).to_have_text("10")
        expect(teacher.locator("[data-reviewer-accuracy]")).to_contain_text("Accuracy: 100 of 100.")
        expect(teacher.locator("[data-breakdown] [data-part=grade]")).to_contain_text("= 10")
        teacher.get_by_role("button", name="Accept: set the grade to 10").click()
        expect(teacher.locator(".flash-success")).to_have_text("Ana's grade is now the peer score: 10.")
        screenshots.take(teacher, "accepted")
    assert teacher.errors == []
