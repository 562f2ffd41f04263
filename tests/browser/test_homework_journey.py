"""Issue 4 end to end in a real browser: a teacher sets video homework with a rubric, a student uploads
and hands it in, the teacher grades it in SpeedGrader with comments pinned to moments, and the student
reads the feedback only once it is released."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, make_clip
from tests.browser.tabs import open_tab

pytestmark = pytest.mark.browser

ZONE = "Asia/Shanghai"  # the people's timezone, and their browsers'
PROCESSING_MS = 60_000  # probe, full decode and transcode of a 4-second clip on a slow CI machine
INSTRUCTIONS = "Play the **G major** scale, slowly."
RUBRIC = ("Intonation", [("In tune", 5), ("Mostly in tune", 3), ("Out of tune", 0)],
          "Rhythm", [("Steady", 5), ("Uneven", 2), ("Lost", 0)])


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A real 4-second 320×240 H.264/AAC MP4 made by ffmpeg."""
    return make_clip(tmp_path_factory.mktemp("clips"), "g-major-scale.mp4", 4)


def _people(live_server) -> dict:
    """A teaching circle with its owner (the teacher) and one student, in the live app."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"t-{tag}@example.org", PASSWORD, "Teacher Li", timezone=ZONE)
        student = account_ops.register_user(f"s-{tag}@example.org", PASSWORD, "Chen Jing", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"Violin {tag}", owner_display_name="Ms Li")
        circle_ops.add_member(circle, student, Role.student, display_name="Jing")
        db.session.commit()
        people = {"circle_id": circle.id, "teacher": teacher.email, "student": student.email}
        db.session.remove()
    return people


def _receipt_time(live_server, assignment_id: int):
    from lms.extensions import db
    from lms.homework.models import Submission

    with live_server.app.app_context():
        submitted_at = db.session.scalar(db.select(Submission.submitted_at)
                                         .where(Submission.assignment_id == assignment_id))
        db.session.remove()
    return submitted_at


def sign_in(new_context, email: str):
    """A person's own browser, signed in; it records script errors, console errors and failed requests."""
    page = new_context(timezone_id=ZONE).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("response", lambda r: page.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: page.errors.append(f"{m.text} {m.location.get('url')}")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("dialog", lambda dialog: dialog.accept())  # "Release …?" confirmations
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")
    return page


def tab(page, name: str) -> None:
    open_tab(page, name)


def test_video_homework_from_assignment_to_released_feedback(live_server, new_context, screenshots, clip):
    """Can a teacher set video homework with a rubric, a student hand in an uploaded video on time, the
    teacher grade it with comments pinned to moments, and the student read all of it (comments that seek
    the player, rubric scores, total, overall comment) once released, and none of it before?"""
    people = _people(live_server)

    # -- 1. the teacher makes a rubric, then sets and publishes the assignment ----------------------
    teacher = sign_in(new_context, people["teacher"])
    with screenshots.on_failure(teacher, "rubric"):
        teacher.get_by_role("link", name=re.compile(r"^Violin ")).click()
        tab(teacher, "Grades")
        teacher.get_by_role("link", name="Rubrics", exact=True).click()
        teacher.get_by_role("link", name="New rubric").click()
        form = teacher.locator("form.rubric-form")
        form.get_by_label("Title").fill("Scales")
        for index in range(2):
            title, levels = RUBRIC[2 * index], RUBRIC[2 * index + 1]
            criterion = form.locator("fieldset.criterion").nth(index)
            criterion.get_by_label("Criterion", exact=True).fill(title)
            for row, (level, points) in enumerate(levels):
                line = criterion.locator("table.levels tbody tr").nth(row)
                line.get_by_label("Level", exact=True).fill(level)
                line.get_by_label("Points", exact=True).fill(str(points))
        form.get_by_role("button", name="Save rubric").click()
        expect(teacher.locator(".flash-success")).to_contain_text("Rubric “Scales” saved.")
        row = teacher.locator("table tbody tr", has_text="Scales")
        expect(row.locator("td")).to_have_text(["Scales", "Intonation · Rhythm", "10", re.compile("Delete")])

    due_local = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=1)).replace(hour=18, minute=0, second=0,
                                                                           microsecond=0)
    with screenshots.on_failure(teacher, "assignment"):
        tab(teacher, "Assignments")
        teacher.get_by_role("link", name="New assignment").click()
        form = teacher.locator("form.assignment-form")
        form.get_by_label("Title").fill("G major scale")
        form.get_by_label("Instructions (Markdown)").fill(INSTRUCTIONS)
        form.get_by_label("Students hand in").select_option("video")
        form.get_by_label("Due", exact=True).fill(due_local.strftime("%Y-%m-%dT%H:%M"))
        form.get_by_label("Late work").select_option("penalty")
        form.get_by_label("Penalty per started day late (%)").fill("10")
        form.get_by_label("Largest penalty (%)").fill("50")
        form.get_by_label("Points").fill("10")
        form.get_by_label("Rubric").select_option(label="Scales")
        form.get_by_label("Classmates' work").select_option("after_submit")
        form.get_by_label("Status").select_option("published")
        form.get_by_role("button", name="Save").click()
        expect(teacher.locator(".flash-success")).to_have_text("The assignment is published.")
        screenshots.take(teacher, "assignment-published")
        assignment_url = teacher.url
        assignment_id = int(re.search(r"/assignments/(\d+)$", assignment_url).group(1))

    # -- 2. the student reads it, uploads a video and hands it in ------------------------------------
    student = sign_in(new_context, people["student"])
    due_text = format_datetime(due_local, "short", tzinfo=ZoneInfo(ZONE), locale="en")
    with screenshots.on_failure(student, "student-reads"):
        student.get_by_role("link", name=re.compile(r"^Violin ")).click()
        tab(student, "Assignments")
        student.get_by_role("link", name="G major scale").click()
        window = student.locator(".window")
        # "Due in 19 hours" or "Due in 1 day", by the time of day the test runs.
        due_line = re.compile(rf"^Due in \d+ (hours|days?) \({re.escape(due_text)}\)\.$")
        expect(window.locator("p").first).to_have_text(due_line)
        expect(window).to_contain_text("Late work is accepted with 10 % off per started day, up to 50 %.")
        expect(window).to_contain_text("10 points · Rubric: Scales")
        expect(student.locator(".prose strong")).to_have_text("G major")
        expect(student.get_by_role("link", name="Classmates' work")).to_have_count(0)  # not before handing in
        expect(student.locator("[data-submit-button]")).to_be_disabled()

    with screenshots.on_failure(student, "student-uploads"):
        uploader = student.locator("[data-video-source] [data-uploader]")
        uploader.get_by_label("Choose a video").set_input_files(clip)
        item = uploader.locator(".upload-item")
        expect(item.locator(".upload-name")).to_have_text("g-major-scale.mp4")
        expect(item.locator(".upload-bar")).to_have_js_property("value", 100, timeout=PROCESSING_MS)
        expect(item.locator(".upload-percent")).to_have_text("100%")
        expect(student.locator("[data-submit-button]")).to_be_enabled(timeout=PROCESSING_MS)
        screenshots.take(student, "uploaded")
        student.get_by_role("button", name="Hand in").click()
        flash = student.locator(".flash-success")
        expect(flash).to_contain_text("Handed in. The server received your work at")
        received = _receipt_time(live_server, assignment_id)
        expect(flash).to_have_text("Handed in. The server received your work at "
                                   f"{format_datetime(received, 'medium', tzinfo=ZoneInfo(ZONE), locale='en')}.")
        student.goto(assignment_url)
        expect(student.locator("table.versions tbody tr")).to_have_count(1)
        expect(student.locator("table.versions")).to_contain_text("Submitted")
        expect(student.get_by_role("link", name="Classmates' work")).to_be_visible()

    # -- 3. the teacher grades it in SpeedGrader ----------------------------------------------------
    with screenshots.on_failure(teacher, "speedgrader"):
        teacher.goto(assignment_url)
        expect(teacher.locator("tr", has_text="Jing")).to_contain_text("Submitted")
        teacher.get_by_role("link", name="Grade", exact=True).click()
        expect(teacher.locator(".sg-name")).to_have_text("Jing")
        work = teacher.locator(".sg-work")
        player = work.locator("[data-player]")
        video = player.locator("video")
        expect(video).to_have_count(1, timeout=PROCESSING_MS)
        teacher.wait_for_function("v => v.readyState >= 1 && v.duration > 3.5", arg=video.element_handle())
        comments = work.locator("[data-comment-list] li.comment")
        for n, (at, text) in enumerate([(1, "Bow *straighter* here"), (3, "Lovely last note")], start=1):
            player.evaluate("(p, at) => p.circlesPlayer.seek(at, false)", at)
            teacher.wait_for_function("([v, at]) => !v.seeking && Math.abs(v.currentTime - at) < 0.2",
                                      arg=[video.element_handle(), at])
            expect(work.locator("[data-pin-label]")).to_have_text(f"at 0:0{at}")
            work.get_by_label("Add a comment (Markdown)").fill(text)
            work.get_by_role("button", name="Post").click()
            expect(comments).to_have_count(n)
        expect(comments.locator("button.seek")).to_have_text(["0:01", "0:03"])
        expect(comments.nth(0).locator(".comment-body em")).to_have_text("straighter")
        expect(player.locator(".player-marker")).to_have_count(2)

        grade = teacher.locator("form.grade-form")
        for criterion, level in (("Intonation", "Mostly in tune"), ("Rhythm", "Steady")):
            grade.locator("fieldset.criterion", has_text=criterion).locator("label.level", has_text=level).click()
        expect(grade.locator("[data-rubric-total]")).to_have_text("8")  # the rubric and the assignment: 10 points
        grade.get_by_label("Overall comment (Markdown)").fill("Good work. Practise **shifting** slowly.")
        grade.get_by_role("button", name="Save", exact=True).click()
        expect(teacher.locator(".flash-success")).to_have_text("Grade saved for Jing.")
        expect(teacher.locator(".sg-state")).to_contain_text("Final score: 8 of 10.")
        expect(teacher.locator(".sg-state")).to_contain_text("Not released: the student does not see it yet.")
        screenshots.take(teacher, "graded")

    # -- ... and before release the student sees none of it ------------------------------------------
    with screenshots.on_failure(student, "before-release"):
        tab(student, "Assignments")
        expect(student.locator("table.assignments tbody tr")).to_contain_text("Submitted")
        expect(student.locator("table.assignments tbody tr")).not_to_contain_text("Graded")
        student.get_by_role("link", name="G major scale").click()
        expect(student.get_by_role("link", name="Read your feedback")).to_have_count(0)
        with student.expect_response(re.compile(r"/comments$")) as listed:  # comments.js asks for the list
            student.get_by_role("link", name="Open").click()
        assert listed.value.json() == {"comments": []}
        expect(student.locator("[data-player] video")).to_have_count(1)
        expect(student.get_by_text("Your teacher's feedback appears here once your grade is released.")).to_be_visible()
        expect(student.get_by_role("link", name="Read your grade and your teacher's overall comment")).to_have_count(0)
        expect(student.locator("[data-comment-list] li.comment")).to_have_count(0)
        expect(student.locator("body")).not_to_contain_text("Lovely last note")
        tab(student, "Grades")
        expect(student.locator("table.my-grades tbody td").first).to_have_text("Submitted")
        student.get_by_role("link", name="G major scale").click()
        expect(student.locator(".feedback-grade")).to_contain_text("Your teacher has not released a grade yet.")
        expect(student.locator("[data-comment-list] li.comment")).to_have_count(0)
        for secret in ("Lovely last note", "straighter", "shifting", "Mostly in tune"):
            expect(student.locator("body")).not_to_contain_text(secret)

    with screenshots.on_failure(teacher, "release"):
        teacher.get_by_role("button", name="Release to the student").click()
        expect(teacher.locator(".flash-success")).to_have_text("1 grade released; the student was told.")
        expect(teacher.locator(".sg-state")).to_contain_text("Released")

    # -- 4. the student reads the feedback ------------------------------------------------------------
    with screenshots.on_failure(student, "feedback"):
        tab(student, "Assignments")
        expect(student.locator("table.assignments tbody tr")).to_contain_text("Graded")
        student.get_by_role("link", name="G major scale").click()
        expect(student.get_by_role("link", name="Read your feedback")).to_be_visible()
        student.get_by_role("link", name="Open").click()  # the version's page shows the comments now too
        expect(student.locator("[data-comment-list] li.comment .comment-body")).to_have_text(
            ["Bow straighter here", "Lovely last note"])
        student.get_by_role("link", name="Read your grade and your teacher's overall comment").click()
        page = student.locator(".feedback-page")
        comments = page.locator("[data-comment-list] li.comment")
        expect(comments).to_have_count(2)
        expect(comments.nth(0)).to_contain_text("Ms Li")
        expect(comments.nth(0).locator(".comment-body")).to_have_text("Bow straighter here")
        expect(comments.nth(1).locator(".comment-body")).to_have_text("Lovely last note")
        video = page.locator("[data-player] video")
        student.wait_for_function("v => v.readyState >= 1", arg=video.element_handle())
        video.evaluate("v => { window.seekedAt = []; "
                       "v.addEventListener('seeked', () => seekedAt.push(v.currentTime)); }")
        for at in (3, 1):
            comments.locator("button.seek", has_text=f"0:0{at}").click()
            student.wait_for_function("at => seekedAt.length && Math.abs(seekedAt.at(-1) - at) < 0.3", arg=at)
            now = video.evaluate("v => v.currentTime")  # it plays on from there
            assert at - 0.3 < now < at + 1.05, (at, now)
        expect(page.locator("[data-player] .player-marker")).to_have_count(2)
        scores = page.locator("table.rubric-scores tbody tr")
        expect(scores).to_have_count(2)
        expect(scores.nth(0)).to_contain_text("Intonation")
        expect(scores.nth(0)).to_contain_text("Mostly in tune")
        expect(scores.nth(0)).to_contain_text("3 / 5")
        expect(scores.nth(1)).to_contain_text("Rhythm")
        expect(scores.nth(1)).to_contain_text("Steady")
        expect(scores.nth(1)).to_contain_text("5 / 5")
        expect(page.locator(".final-score")).to_have_text("8 / 10")
        expect(page.locator(".feedback-grade .prose strong")).to_have_text("shifting")
        expect(page.locator(".feedback-grade")).to_contain_text("Good work. Practise shifting slowly.")
        screenshots.take(student, "feedback")

    assert teacher.errors == []
    assert student.errors == []
