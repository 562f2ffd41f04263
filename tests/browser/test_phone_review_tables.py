"""Peer review's result tables on a phone (390 px, in Chinese, long criterion titles): the practice result
(how close a student came to the teacher's scores) and the teacher's page of one student's reviews scroll
inside their own box (.table-wrap), never the page."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, OVERFLOW_SCRIPT, PHONE, SCROLLERS

pytestmark = pytest.mark.browser

#: six criteria with long titles: the tables are wider than a phone
TITLES = [f"第{n}项 Musicality and timing on the counts（节奏与音乐性）{n}" for n in range(1, 7)]


@pytest.fixture(scope="module")
def scored_class(live_server):
    """A class of four who handed in; the assignment's rubric of six long criteria is the reviewers'; an
    example scored by the teacher that one student practised on (handed in); that student's work reviewed
    by the three others."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.grading import operations as grading_ops
    from lms.homework import operations as hw_ops
    from lms.homework.models import Accepts
    from lms.reviews import calibration as cal
    from lms.reviews import operations as review_ops
    from lms.reviews import reviewing as rv
    from lms.reviews.models import AllocationState, PeerReview, ReviewAllocation, ReviewComment
    from lms.uploads.models import Media, MediaKind, MediaState

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"prt-{tag}@example.org", PASSWORD, "王老师", locale="zh_Hans")
        circle = circle_ops.create_circle(teacher, f"高一（3）班 现代舞 {tag}")
        students = []
        for n in range(4):
            name = f"欧阳娜娜{n}号同学（exchange student）"
            user = account_ops.register_user(f"prs{n}-{tag}@example.org", PASSWORD, name, locale="zh_Hans")
            circle_ops.add_member(circle, user, Role.student, display_name=name, real_name=f"欧阳娜娜{n}",
                                  student_no=f"SR2026-000000{n:04d}", actor=teacher)
            students.append(user)
        levels = [{"title": "Full", "points": 10}, {"title": "Half", "points": 5}, {"title": "None", "points": 0}]
        rubric = grading_ops.create_rubric(circle, teacher, "舞蹈 Dance", [{"title": t, "levels": levels}
                                                                          for t in TITLES])
        due = utcnow().replace(microsecond=0) - timedelta(hours=1)
        assignment = hw_ops.create_assignment(circle, teacher, publish=True, accepts=Accepts.text,
                                              title="第七周作业 Week 7", instructions_md="Dance.", due_at=due)
        assignment.rubric_id = rubric.id
        for user in students:
            hw_ops.submit_homework(assignment, user, text="My reflection.", now=due - timedelta(hours=1))
        settings = review_ops.save_settings(assignment, teacher, is_enabled=True, reviews_per_submission=3,
                                            closes_at=utcnow() + timedelta(days=2))
        media = Media(owner_id=teacher.id, kind=MediaKind.video, state=MediaState.ready, filename="example.mp4",
                      bytes=1000, received_at=utcnow(), duration=3.0, max_seconds=60)
        db.session.add(media)
        db.session.flush()
        view = rv.rubric_for(settings)
        example = cal.add_example(settings, teacher, title="Tango basics", media=media)
        cal.update_example(example, teacher, view, title="Tango basics", scores={c.key: "0" for c in view.criteria},
                           comment="Watch the frame.")
        practice = cal.practice_for(example, students[0])
        cal.save_practice(practice, view, scores={c.key: "1" for c in view.criteria}, overall="Good posture.")
        cal.submit_practice(practice, example, view, settings)
        now = utcnow()
        for reviewer in students[1:]:
            task = ReviewAllocation(assignment_id=assignment.id, reviewer_id=reviewer.id, author_id=students[0].id,
                                    round=1, state=AllocationState.submitted)
            db.session.add(task)
            db.session.flush()
            written = PeerReview(allocation_id=task.id, overall_comment="节奏很好，结尾有点拖沓。",
                                 criterion_scores={c.key: {"level": 1, "points": 5.0} for c in view.criteria},
                                 started_at=now - timedelta(minutes=10), submitted_at=now)
            db.session.add(written)
            db.session.flush()
            db.session.add(ReviewComment(review_id=written.id, at_seconds=1.0, body="看这里"))
        db.session.commit()
        base = f"/circles/{circle.id}/assignments/{assignment.id}/peer-review"
        world = {"teacher": teacher.email, "student": students[0].email,
                 "practice": f"{base}/practice/{example.id}", "submission": f"{base}/results/{students[0].id}"}
        db.session.remove()
    return world


def _phone(chromium, live_server, email: str, *, locale: str = "zh-CN", accept_downloads: bool = False):
    """A phone (390 px, touch) signed in as `email`: its context and page."""
    context = chromium.new_context(base_url=live_server.url, locale=locale, viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id="Asia/Shanghai",
                                   accept_downloads=accept_downloads)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def _fits(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheets applied (a click's page may lack them yet)
    found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
    too_wide = "; reaching past the screen: " + ", ".join(found["wide"])
    assert found["inner"] <= PHONE["width"], f"the phone zoomed out to show {found['inner']} px{too_wide}"
    assert found["page"] <= found["screen"], f"the page is {found['page']} px wide{too_wide}"
    assert not found["offScreen"], "off screen sideways:\n" + "\n".join(found["offScreen"])


@pytest.mark.parametrize("who, page_name, table", [("student", "practice", "[data-comparison] table"),
                                                    ("teacher", "submission", "[data-summary] table")])
def test_peer_review_tables_fit_a_phone(chromium, live_server, scored_class, screenshots, who, page_name, table):
    """At 390 px, does the practice result (the student's) and the teacher's page of one student's reviews
    keep the page within the screen, their wide table scrolling in its own box?"""
    context, page = _phone(chromium, live_server, scored_class[who])
    try:
        response = page.goto(scored_class[page_name])
        assert response is not None and response.ok
        with screenshots.on_failure(page, f"review-table-{page_name}"):
            shown = page.locator(table)
            shown.wait_for(state="visible")
            assert page.locator(f".table-wrap > {table.split()[-1]}").count() >= 1
            _fits(page)
    finally:
        context.close()
