"""Creating, editing, publishing and deleting assignments; the circle's list of assignments."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db
from lms.grading.models import GradeCategory, Rubric
from lms.homework.models import Accepts, Assignment, LatePolicy, PeerVisibility
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago, later
from tests.fixtures.queries import QueryCounter


def _form(**overrides) -> dict:
    data = {"title": "Scales in D", "instructions_md": "Play **slowly**.", "accepts": "video",
            "allow_attachments": "y", "max_video_minutes": "3", "opens_at": "", "due_at": "2031-03-01T20:00",
            "closes_at": "", "late_policy": "accept", "late_penalty_per_day": "", "late_penalty_cap": "100",
            "points": "10", "rubric_id": "0", "category_id": "0", "peer_visibility": "hidden", "status": "published"}
    data.update(overrides)
    return data


def _only(circle) -> Assignment | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Assignment).where(Assignment.circle_id == circle.id))


def test_teacher_creates_an_assignment_in_their_timezone(klass, client_as):
    """Does a teacher in Shanghai who types 20:00 get a due time of 12:00 UTC, shown back as 20:00?"""
    klass.teacher.timezone = "Asia/Shanghai"
    db.session.commit()
    client = client_as(klass.teacher)
    response = client.post(f"/circles/{klass.circle.id}/assignments/new", data=_form())
    assert response.status_code == 302
    assignment = _only(klass.circle)
    assert assignment.due_at == datetime(2031, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert assignment.max_video_seconds == 180 and assignment.points == 10 and assignment.is_published
    assert assignment.published_at is not None and assignment.accepts == Accepts.video
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "3/1/31, 8:00 PM" in page_text(page)  # shown in the teacher's timezone
    assert "<strong>slowly</strong>" in page.get_data(as_text=True)
    edit = client.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/edit")
    assert 'value="2031-03-01T20:00"' in edit.get_data(as_text=True)


@pytest.mark.parametrize("overrides, message", [
    ({"title": ""}, "This field is required."),
    ({"opens_at": "2031-03-02T10:00"}, "The due time must be after the opening time."),
    ({"closes_at": "2031-02-01T10:00"}, "The closing time cannot be before the due time."),
    ({"late_policy": "penalty"}, "Give the penalty per day as a percentage between 0 and 100."),
    ({"late_policy": "penalty", "late_penalty_per_day": "10", "late_penalty_cap": "0"},
     "Give the largest penalty as a percentage between 0 and 100."),
    ({"late_policy": "penalty", "late_penalty_per_day": "10", "due_at": ""}, "A late penalty needs a due time."),
    ({"peer_visibility": "after_due", "due_at": ""}, "Showing classmates' work after the due time needs a due time."),
    ({"max_video_minutes": "600"}, "Videos can be at most 20 minutes long on this site."),
    ({"points": "-1"}, "Number must be between 0 and 100000."),
    ({"late_policy": "sometimes"}, "Not a valid choice."),
    ({"rubric_id": "999999"}, "Not a valid choice."),
])
def test_bad_settings_are_refused_with_a_reason(klass, client_as, overrides, message):
    """Is each inconsistent setting refused with a sentence next to it, and nothing saved?"""
    response = client_as(klass.teacher).post(f"/circles/{klass.circle.id}/assignments/new", data=_form(**overrides))
    assert response.status_code == 422
    assert message in page_text(response)
    assert _only(klass.circle) is None


def test_rubric_and_category_of_another_circle_are_refused(klass, client_as, make):
    """Can a teacher attach another circle's rubric by posting its id? And this circle's is accepted?"""
    other = make.circle()
    foreign = Rubric(circle_id=other.id, title="Foreign")
    mine = Rubric(circle_id=klass.circle.id, title="Tone and rhythm")
    category = GradeCategory(circle_id=klass.circle.id, name="Homework", weight=40)
    db.session.add_all([foreign, mine, category])
    db.session.commit()
    client = client_as(klass.teacher)
    refused = client.post(f"/circles/{klass.circle.id}/assignments/new", data=_form(rubric_id=str(foreign.id)))
    assert refused.status_code == 422 and _only(klass.circle) is None
    client.post(f"/circles/{klass.circle.id}/assignments/new",
                data=_form(rubric_id=str(mine.id), category_id=str(category.id)))
    assignment = _only(klass.circle)
    assert assignment.rubric_id == mine.id and assignment.category_id == category.id
    assert "Rubric: Tone and rhythm" in page_text(client.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))


def test_penalty_settings_are_stored(klass, client_as):
    """Are penalty per day and cap kept as typed, and stated on the assignment page before any upload?"""
    client = client_as(klass.teacher)
    client.post(f"/circles/{klass.circle.id}/assignments/new",
                data=_form(late_policy="penalty", late_penalty_per_day="10", late_penalty_cap="50"))
    assignment = _only(klass.circle)
    assert (assignment.late_policy, assignment.late_penalty_per_day, assignment.late_penalty_cap) == \
        (LatePolicy.penalty, 10, 50)
    text = page_text(client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments/{assignment.id}"))
    assert "Late work is accepted with 10 % off per started day, up to 50 %." in text
    assert "Due in" in text


def test_draft_is_staff_only_until_published(klass, client_as, hw):
    """Is a draft invisible (404) to students and missing from their list until it is published?"""
    assignment = hw.assignment(klass.circle, publish=False, title="Secret plan", due_at=later(days=3))
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    student = client_as(klass.student)
    assert student.get(url).status_code == 404
    assert "Secret plan" not in page_text(student.get(f"/circles/{klass.circle.id}/assignments"))
    assert "Secret plan" in page_text(client_as(klass.assistant).get(f"/circles/{klass.circle.id}/assignments"))
    assert client_as(klass.teacher).post(url + "/publish").status_code == 302
    assert student.get(url).status_code == 200
    assert "Secret plan" in page_text(student.get(f"/circles/{klass.circle.id}/assignments"))


def test_edit_changes_settings_and_cannot_unpublish_after_submissions(klass, client_as, hw):
    """Can a teacher edit an assignment, and is going back to draft refused once work was handed in?"""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text, due_at=later(days=3))
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}/edit"
    client = client_as(klass.teacher)
    assert client.post(url, data=_form(title="Renamed", accepts="text")).status_code == 302
    db.session.expire_all()
    assert assignment.title == "Renamed"
    hw.submission(assignment, klass.student, text="My essay")
    response = client.post(url, data=_form(title="Renamed", accepts="text", status="draft"))
    assert response.status_code == 422
    assert "cannot go back to draft" in page_text(response)
    db.session.expire_all()
    assert assignment.is_published


def test_delete_only_without_submissions(klass, client_as, hw):
    """Is an assignment with submissions kept (with a clear message) while an empty one is deleted?"""
    kept = hw.assignment(klass.circle, accepts=Accepts.text)
    hw.submission(kept, klass.student, text="Work")
    gone = hw.assignment(klass.circle, accepts=Accepts.text)
    kept_id, gone_id = kept.id, gone.id
    client = client_as(klass.teacher)
    response = client.post(f"/circles/{klass.circle.id}/assignments/{kept.id}/delete", follow_redirects=True)
    assert "cannot be deleted" in page_text(response)
    assert client.post(f"/circles/{klass.circle.id}/assignments/{gone.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, kept_id) is not None
    assert db.session.get(Assignment, gone_id) is None


def test_list_shows_each_students_status(klass, client_as, hw):
    """Does a student's list say not submitted / submitted / late / graded (released grades only)?"""
    a_missing = hw.assignment(klass.circle, title="Alpha", accepts=Accepts.text, due_at=later(days=1))
    a_done = hw.assignment(klass.circle, title="Bravo", accepts=Accepts.text, due_at=later(days=2))
    a_late = hw.assignment(klass.circle, title="Charlie", accepts=Accepts.text, due_at=later(days=3))
    a_graded = hw.assignment(klass.circle, title="Delta", accepts=Accepts.text, due_at=later(days=4))
    a_hidden = hw.assignment(klass.circle, title="Echo", accepts=Accepts.text, due_at=later(days=5))
    hw.submission(a_done, klass.student, text="x")
    hw.submission(a_late, klass.student, text="x", now=later(days=4))
    hw.submission(a_graded, klass.student, text="x")
    hw.grade(a_graded, klass.student, released=True)
    hw.submission(a_hidden, klass.student, text="x")
    hw.grade(a_hidden, klass.student, released=False)
    html = client_as(klass.student).get(f"/circles/{klass.circle.id}/assignments").get_data(as_text=True)
    rows = {title: row for row in html.split("<tr")[2:] for title in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
            if f">{title}<" in row}
    assert "Not submitted" in rows["Alpha"]
    assert "Submitted" in rows["Bravo"]
    assert "Late" in rows["Charlie"]
    assert "Graded" in rows["Delta"]
    assert "Submitted" in rows["Echo"] and "Graded" not in rows["Echo"]  # not released yet
    assert a_missing.id


def test_list_issues_a_fixed_number_of_queries(klass, client_as, hw, make):
    """Does the list cost the same number of queries for 2 or 8 assignments and 2 or 8 students?"""
    def count(user) -> int:
        with QueryCounter() as counter:
            assert client_as(user).get(f"/circles/{klass.circle.id}/assignments").status_code == 200
        return counter.count

    def add(n):
        for _ in range(n):
            a = hw.assignment(klass.circle, accepts=Accepts.text)
            hw.submission(a, klass.student, text="x")
            hw.grade(a, klass.student)
            learner = make.user()
            circle_ops.add_member(klass.circle, learner, Role.student)
            db.session.commit()
            hw.submission(a, learner, text="y")

    add(2)
    count(klass.student), count(klass.teacher)  # warm up: first requests load things once per process
    few = (count(klass.student), count(klass.teacher))
    add(6)
    assert (count(klass.student), count(klass.teacher)) == few


def test_due_times_and_late_policy_statement_before_upload(klass, client_as, hw):
    """Does the assignment page say, before any upload, when it is due and what happens after?"""
    base = f"/circles/{klass.circle.id}/assignments/"
    soon = hw.assignment(klass.circle, due_at=later(hours=3, minutes=5))
    refused = hw.assignment(klass.circle, due_at=ago(hours=1), late_policy=LatePolicy.refuse)
    closed = hw.assignment(klass.circle, due_at=ago(days=2), closes_at=ago(days=1))
    future = hw.assignment(klass.circle, opens_at=later(days=2), due_at=later(days=3))
    client = client_as(klass.student)
    assert "Due in 3 hours" in page_text(client.get(base + str(soon.id)))
    text = page_text(client.get(base + str(refused.id)))
    assert "Past due since" in text and "Closed: no more work is accepted." in text
    assert "Hand in" not in text.replace("Hand in a video", "")
    assert "Closed: no more work is accepted." in page_text(client.get(base + str(closed.id)))
    assert "Opens in 2 days" in page_text(client.get(base + str(future.id)))


def test_peer_visibility_choice_is_saved(klass, client_as):
    """Is the classmates' visibility choice stored as chosen?"""
    client_as(klass.owner).post(f"/circles/{klass.circle.id}/assignments/new",
                                data=_form(peer_visibility="after_submit", accepts="text", max_video_minutes=""))
    assignment = _only(klass.circle)
    assert assignment.peer_visibility == PeerVisibility.after_submit
    assert assignment.accepts == Accepts.text and assignment.max_video_seconds is None


def test_a_rubric_whose_total_differs_from_the_points_is_pointed_out(klass, client_as, grading):
    """A teacher picks a 10-point rubric and leaves Points at the default 100: is the assignment saved with the
    100 they sent, and do its page (staff only) and its edit form say the rubric's scores will be scaled and
    how to keep the rubric's points; does the form carry each rubric's total for the script; and is the note
    gone once Points is 10?"""
    rubric = grading.rubric(klass.circle, klass.owner)  # two criteria of 5 points
    client = client_as(klass.teacher)
    base = f"/circles/{klass.circle.id}/assignments"
    client.post(f"{base}/new", data=_form(points="100", rubric_id=str(rubric.id)))
    assignment = _only(klass.circle)
    assert (assignment.points, assignment.rubric_id) == (100, rubric.id)
    note = ("The rubric is worth 10 points and this assignment 100: rubric scores are scaled to the assignment's "
            "points (10 of 10 = 100). To keep the rubric's points, edit the assignment and set Points to 10.")
    assert note in page_text(client.get(f"{base}/{assignment.id}"))
    assert "rubric scores are scaled" not in page_text(client_as(klass.student).get(f"{base}/{assignment.id}"))
    form = client.get(f"{base}/{assignment.id}/edit").get_data(as_text=True)
    assert f'data-rubric-points="{{&#34;{rubric.id}&#34;: 10.0}}"' in form
    assert "rubric scores will be scaled to the assignment's points (10 of 10 = 100)" in form
    client.post(f"{base}/{assignment.id}/edit", data=_form(points="10", rubric_id=str(rubric.id)))
    assert "rubric scores are scaled" not in page_text(client.get(f"{base}/{assignment.id}"))
    form = client.get(f"{base}/{assignment.id}/edit").get_data(as_text=True)
    assert "rubric scores will be scaled" not in form and "data-rubric-note" in form


def test_no_category_is_warned_about_when_the_weights_take_everything(klass, client_as, grading):
    """With weights on and the categories taking 100 %, does the form warn (visibly) that "No category" counts
    0 %, stay quiet once a category is chosen, and stay quiet while the categories leave a share over?"""
    homework = grading.category(klass.circle, klass.owner, "Homework", 40)
    client = client_as(klass.teacher)
    new = f"/circles/{klass.circle.id}/assignments/new"
    quiet = client.get(new).get_data(as_text=True)  # 60 % left for assignments with no category
    assert 'data-category-note role="status" data-uncategorised-weight="60.0" hidden>' in quiet
    grading.category(klass.circle, klass.owner, "Exam", 60)
    warned = client.get(new).get_data(as_text=True)
    assert 'data-category-note role="status" data-uncategorised-weight="0.0">' in warned
    assert "an assignment with no category counts 0 % of the weighted total" in page_text(client.get(new))
    refused = client.post(new, data=_form(title="", category_id=str(homework.id))).get_data(as_text=True)
    assert 'data-uncategorised-weight="0.0" hidden>' in refused
