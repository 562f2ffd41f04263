"""SpeedGrader as a teacher sees it in a real browser: the video fills its column on a wide screen and fits
on a phone, and rubric points read as the rubric gives them."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, make_clip
from tests.browser.test_homework_journey import ZONE, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips"), "etude.mp4", 2)


def _graded_video(live_server, clip) -> dict:
    """A teacher, a student whose 2-second video (ready to play) is graded with a rubric of 20 points (9 + 8)
    on an assignment worth 100 points."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db
    from lms.grading import operations as grading_ops
    from lms.homework import operations as hw_ops
    from lms.storage import get_storage, new_key
    from lms.uploads.models import Media, MediaKind, MediaState

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"t-{tag}@example.org", PASSWORD, "Teacher Wu", timezone=ZONE)
        student = account_ops.register_user(f"s-{tag}@example.org", PASSWORD, "Zhang Yunni", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"Cello {tag}")
        circle_ops.add_member(circle, student, Role.student, display_name="Yunni")
        levels = [{"title": "Good", "points": 10}, {"title": "Fair", "points": 9}, {"title": "Weak", "points": 8}]
        rubric = grading_ops.create_rubric(circle, teacher, "Etude", [{"title": "Tone", "levels": levels},
                                                                      {"title": "Rhythm", "levels": levels}])
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, title="Etude", accepts="video",
                                              points=100, rubric_id=rubric.id)
        key = new_key("mp4", ".mp4")
        get_storage().put_file(key, clip, "video/mp4")
        media = Media(owner_id=student.id, kind=MediaKind.video, state=MediaState.ready, filename="etude.mp4",
                      bytes=clip.stat().st_size, mp4_key=key, duration=2.0, width=320, height=240)
        db.session.add(media)
        db.session.flush()
        hw_ops.submit_homework(assignment, student, media=media)
        tone, rhythm = rubric.criteria
        grading_ops.grade_submission(assignment, student, teacher, criterion_scores={str(tone.id): 9,
                                                                                     str(rhythm.id): 8})
        # a class of 16 as the tester had: one more with work (after Yunni by name), fourteen with nothing
        others = {}
        for n, name in enumerate(["Zoe"] + [f"Pupil {n:02d}" for n in range(14)]):
            user = account_ops.register_user(f"p{n}-{tag}@example.org", PASSWORD, name, timezone=ZONE)
            circle_ops.add_member(circle, user, Role.student, display_name=name)
            others[name] = user
        theirs = Media(owner_id=others["Zoe"].id, kind=MediaKind.video, state=MediaState.ready, filename="zoe.mp4",
                       bytes=clip.stat().st_size, mp4_key=key, duration=2.0, width=320, height=240)
        db.session.add(theirs)
        db.session.flush()
        hw_ops.submit_homework(assignment, others["Zoe"], media=theirs)
        db.session.commit()
        base = f"/circles/{circle.id}/assignments/{assignment.id}/grade"
        found = {"teacher": teacher.email, "url": f"{base}/{student.id}?filter=all", "zoe": f"{base}/{others['Zoe'].id}"}
        db.session.remove()
    return found


def _video_box(page) -> dict:
    video = page.locator(".sg-work video")
    expect(video).to_have_count(1)
    page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle())
    return video.bounding_box()


def test_video_fills_its_column_and_rubric_reads_in_its_own_points(live_server, new_context, screenshots, clip):
    """On a 1400 px wide window, is the video far wider than the 396 px it was (filling the work column at
    16:9), on a 390 px phone does it fit the screen, and does the rubric read 17 / 20 with the assignment's
    85 / 100 beside it?"""
    people = _graded_video(live_server, clip)
    teacher = sign_in(new_context, people["teacher"])
    with screenshots.on_failure(teacher, "wide"):
        teacher.set_viewport_size({"width": 1400, "height": 900})
        teacher.goto(people["url"])
        box = _video_box(teacher)
        column = teacher.locator(".sg-work").bounding_box()
        assert box["width"] >= 600, box
        assert box["width"] >= column["width"] - 60, (box, column)  # the column, less the card's padding
        assert abs(box["height"] - box["width"] * 9 / 16) < 2, box
        expect(teacher.locator("[data-rubric-total]")).to_have_text("17")
        expect(teacher.locator(".sg-total")).to_have_text("Rubric: 17 / 20")
        expect(teacher.locator(".sg-scaled")).to_have_text("Score: 85 / 100")
        teacher.locator("fieldset.criterion", has_text="Tone").locator("label.level", has_text="Good").click()
        expect(teacher.locator("[data-rubric-total]")).to_have_text("18")
        expect(teacher.locator("[data-total]")).to_have_text("90")
    with screenshots.on_failure(teacher, "phone"):
        teacher.set_viewport_size({"width": 390, "height": 844})
        teacher.reload()
        box = _video_box(teacher)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["width"] >= 300, box


def test_laptop_shows_the_whole_video_and_the_grading_beside_it(live_server, new_context, screenshots, clip):
    """On a 1366×768 laptop, does the video (its controls are inside its box) end within the first screen
    at 16:9, with the grading panel beside it starting on that screen?"""
    people = _graded_video(live_server, clip)
    teacher = sign_in(new_context, people["teacher"])
    with screenshots.on_failure(teacher, "laptop"):
        teacher.set_viewport_size({"width": 1366, "height": 768})
        teacher.goto(people["url"])
        box = _video_box(teacher)
        assert box["y"] + box["height"] <= 768, box
        assert box["height"] >= 280, box
        assert abs(box["width"] - box["height"] * 16 / 9) < 3, box
        grade = teacher.locator(".sg-grade").bounding_box()
        assert grade["x"] >= box["x"] + box["width"] and grade["y"] < 400, (grade, box)
        expect(teacher.locator(".sg-list")).to_be_visible()
        expect(teacher.locator(".sg-chooser")).to_be_hidden()
        teacher.set_viewport_size({"width": 1366, "height": 620})  # a shorter window: the video follows
        teacher.wait_for_function("() => document.querySelector('.sg-work video').getBoundingClientRect().bottom <= 620")
        smaller = _video_box(teacher)
        assert abs(smaller["width"] - smaller["height"] * 16 / 9) < 3, smaller


def test_phone_puts_the_video_first_and_a_compact_chooser(live_server, new_context, screenshots, clip):
    """On a 390×844 phone with 16 students, is the video on the first screen (not under the name list), is the
    list a chooser naming the current student with previous/next beside it, and does choosing open a student?"""
    people = _graded_video(live_server, clip)
    teacher = sign_in(new_context, people["teacher"])
    with screenshots.on_failure(teacher, "phone"):
        teacher.set_viewport_size({"width": 390, "height": 844})
        teacher.goto(people["url"])
        box = _video_box(teacher)
        assert box["y"] + box["height"] <= 844 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        expect(teacher.locator(".sg-list")).to_be_hidden()
        chooser = teacher.locator(".sg-chooser select")
        expect(chooser).to_be_visible()
        expect(chooser.locator("option:checked")).to_have_text("Yunni — Graded")
        expect(chooser.locator("option")).to_have_count(16)
        following = teacher.locator(".sg-nav a[rel=next]")
        expect(following).to_be_visible()
        nav = teacher.locator(".sg-nav").bounding_box()
        assert nav["y"] < box["y"] and nav["x"] + nav["width"] <= 390, nav
        grade = teacher.locator(".sg-grade").bounding_box()
        assert grade["y"] > box["y"] and grade["y"] < teacher.locator(".sg-students").bounding_box()["y"]
        teacher.locator(".sg-grade button[name=save_next]").scroll_into_view_if_needed()
        expect(following).to_be_in_viewport()  # previous/next stay at hand while grading
        chooser.select_option(label="Zoe — To grade")
        teacher.wait_for_url(f"**{people['zoe']}?filter=all")
        expect(teacher.locator(".sg-chooser select option:checked")).to_have_text("Zoe — To grade")
        assert teacher.errors == []


def test_assignment_form_proposes_the_rubrics_points_and_warns_of_no_category(live_server, new_context, screenshots):
    """On the new-assignment form, does choosing a 20-point rubric put 20 in Points (left at the default) with a
    note saying so, does typing other points turn the note into how scores will be scaled (and a new rubric
    then leaves the typed points alone), and with categories taking 100 % does "No category" show a warning
    that goes when a category is chosen?"""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.extensions import db
    from lms.grading import operations as grading_ops

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"t-{tag}@example.org", PASSWORD, "Teacher Lin", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"Piano {tag}")
        levels = [{"title": "Good", "points": 10}, {"title": "Weak", "points": 4}]
        grading_ops.create_rubric(circle, teacher, "Etude", [{"title": "Tone", "levels": levels},
                                                             {"title": "Rhythm", "levels": levels}])
        grading_ops.create_rubric(circle, teacher, "Scales", [{"title": "Evenness", "levels": levels}])
        grading_ops.save_category(circle, teacher, "Homework", 40)
        grading_ops.save_category(circle, teacher, "Exam", 60)
        db.session.commit()
        email, url = teacher.email, f"/circles/{circle.id}/assignments/new"
        db.session.remove()
    page = sign_in(new_context, email)
    with screenshots.on_failure(page, "form"):
        page.goto(url)
        points, rubric, category = page.get_by_label("Points"), page.get_by_label("Rubric"), page.get_by_label("Grade category")
        note, warning = page.locator("[data-rubric-note]"), page.locator("[data-category-note]")
        expect(points).to_have_value("100")
        expect(note).to_be_hidden()
        rubric.select_option(label="Etude")
        expect(points).to_have_value("20")
        expect(note).to_have_text("Points set to the rubric's total, 20. Type other points to scale the rubric's "
                                  "scores to them.")
        rubric.select_option(label="Scales")
        expect(points).to_have_value("10")
        points.fill("50")
        expect(note).to_contain_text("The rubric is worth 10 points and this assignment 50: rubric scores will be "
                                     "scaled")
        rubric.select_option(label="Etude")
        expect(points).to_have_value("50")
        expect(note).to_contain_text("The rubric is worth 20 points and this assignment 50")
        rubric.select_option(label="No rubric")
        expect(note).to_be_hidden()
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("an assignment with no category counts 0 % of the weighted total")
        category.select_option(label="Exam")
        expect(warning).to_be_hidden()
        category.select_option(label="No category")
        expect(warning).to_be_visible()
        assert page.errors == []
