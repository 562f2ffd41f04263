"""Calibration: the teacher's scored example videos, students' practice reviews compared with the teacher's
reference, the lock on classmates' tasks until the practice is handed in, and the accuracy figure that sets
the reviewing share of the grade and weighs reviewers in the medians — all through the app's routes."""
from __future__ import annotations

import csv as csv_module
import io
import re
from dataclasses import dataclass

import pytest

from lms.extensions import db
from lms.grading import operations as grading_ops
from lms.grading.models import Grade, GradeChange
from lms.reviews import calibration as cal
from lms.reviews.models import AllocationState, PeerReviewSettings, PracticeReview, ReviewAllocation, ReviewExample
from lms.uploads.access import Rendition
from tests.fixtures.app import page_text
from tests.reviews.results import rubric, write_review
from tests.reviews.conftest import turn_on
from tests.reviews.test_reviewing import MP4, ready_video

#: the rubric's levels: Full, Half, None → their positions in the form
FULL, HALF, NONE = "0", "1", "2"


@dataclass
class Calibrated:
    review: object
    rubric: object
    example: ReviewExample | None = None

    @property
    def klass(self):
        return self.review.klass

    @property
    def base(self) -> str:
        return self.review.base

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.rubric.criteria]

    def practice_url(self, example=None) -> str:
        return f"{self.base}/practice/{(example or self.example).id}"

    def scores(self, first: str, second: str) -> dict:
        return {f"score-{self.keys[0]}": first, f"score-{self.keys[1]}": second}


def set_up(review, client_as, hw, *, weigh: bool = True, score: bool = True, **shares) -> Calibrated:
    """The assignment's rubric (two criteria of 10 points; levels Full 10, Half 5, None 0) is the reviewers';
    peer review on, its window open; the teacher requires practice (and weighs by accuracy unless told not
    to), adds one example video through the page and scores it Full / Half (10 and 5) with a comment."""
    made = rubric(review)
    review.assignment.rubric_id = made.id
    db.session.commit()
    turn_on(review, **shares)
    setup = Calibrated(review, made)
    teacher = client_as(review.klass.teacher)
    data = {"calibration_required": "y"}
    if weigh:
        data["weight_by_accuracy"] = "y"
    assert teacher.post(f"{review.base}/examples/calibration", data=data).status_code == 302
    media = ready_video(hw, review.klass.teacher)
    response = teacher.post(f"{review.base}/examples/add", data={"title": "Tango basics", "media_id": media.id})
    assert response.status_code == 302, page_text(response)
    setup.example = db.session.scalar(db.select(ReviewExample).where(ReviewExample.assignment_id == review.assignment.id))
    if score:
        response = teacher.post(f"{review.base}/examples/{setup.example.id}",
                                data={"title": "Tango basics", "teacher_comment": "Watch the **frame**.",
                                      **setup.scores(FULL, HALF)})
        assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    return setup


def practise(client, setup: Calibrated, first: str, second: str, overall: str = "Good posture, late turn."):
    return client.post(setup.practice_url(), data={**setup.scores(first, second), "overall": overall})


def task(review, reviewer, author) -> ReviewAllocation:
    allocation = ReviewAllocation(assignment_id=review.assignment.id, reviewer_id=reviewer.id, author_id=author.id,
                                  round=1, state=AllocationState.assigned)
    db.session.add(allocation)
    db.session.commit()
    return allocation


# -- the teacher's examples ---------------------------------------------------------------------

def test_the_teacher_adds_scores_and_orders_examples(review, client_as, hw):
    """Does the teacher's example get the reference from the rubric's radios, show as scored, and can it be
    moved and removed; is a fourth example refused?"""
    setup = set_up(review, client_as, hw)
    example = db.session.get(ReviewExample, setup.example.id)
    assert {k: v["points"] for k, v in example.criterion_scores.items()} == {setup.keys[0]: 10, setup.keys[1]: 5}
    assert example.teacher_comment == "Watch the **frame**."
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    assert settings.calibration_required and settings.weight_by_accuracy
    teacher = client_as(review.klass.teacher)
    page = teacher.get(f"{review.base}/examples")
    assert page.status_code == 200 and 'data-scored="yes"' in page.get_data(as_text=True)
    for title in ("Second", "Third"):
        media = ready_video(hw, review.klass.teacher)
        assert teacher.post(f"{review.base}/examples/add", data={"title": title, "media_id": media.id}).status_code == 302
    media = ready_video(hw, review.klass.teacher)
    refused = teacher.post(f"{review.base}/examples/add", data={"title": "Fourth", "media_id": media.id},
                           follow_redirects=True)
    assert "at most 3 examples" in page_text(refused)
    third = db.session.scalar(db.select(ReviewExample).where(ReviewExample.title == "Third"))
    teacher.post(f"{review.base}/examples/{third.id}/move", data={"step": "up"})
    db.session.expire_all()
    assert [e.title for e in cal.examples_of(review.assignment)] == ["Tango basics", "Third", "Second"]
    teacher.post(f"{review.base}/examples/{third.id}/remove")
    assert [e.title for e in cal.examples_of(review.assignment)] == ["Tango basics", "Second"]


def test_an_example_video_must_be_the_teachers_own_finished_upload(review, client_as, hw):
    """Is a student's upload, or an upload still arriving, refused as an example's video?"""
    set_up(review, client_as, hw)
    teacher = client_as(review.klass.teacher)
    for media in (hw.media(review.klass.student), hw.media(review.klass.teacher, state="uploading")):
        teacher.post(f"{review.base}/examples/add", data={"title": "Not mine", "media_id": media.id})
    assert db.session.scalar(db.select(ReviewExample).where(ReviewExample.title == "Not mine")) is None


@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 403), ("assistant", 403), ("owner", 302)])
def test_who_may_add_an_example(review, client_as, hw, role, status):
    """May only the circle's owner and teachers add examples (a stranger gets 404, other members 403)?"""
    setup = set_up(review, client_as, hw)
    user = getattr(review.klass, role)
    media = ready_video(hw, user)
    response = client_as(user).post(f"{review.base}/examples/add", data={"title": "Mine", "media_id": media.id})
    assert response.status_code == status
    response = client_as(user).get(f"{review.base}/examples/{setup.example.id}")
    assert response.status_code == (200 if role == "owner" else status)


# -- practice -----------------------------------------------------------------------------------

def test_practice_flow_shows_the_comparison_only_after_hand_in(review, client_as, hw):
    """Before handing in, does the practice page (and its draft answer) hold none of the teacher's scores or
    comment; after it, does the student see their score against the teacher's per criterion and 75 of 100
    (|5 − 10| / 10 = 0.5 and |5 − 5| / 10 = 0: 100 × (1 − 0.25))?"""
    setup = set_up(review, client_as, hw)
    student = client_as(review.klass.student)
    tasks_page = student.get(f"{review.base}/tasks")
    assert 'data-locked="yes"' in tasks_page.get_data(as_text=True)
    before = student.get(setup.practice_url())
    html = before.get_data(as_text=True)
    assert before.status_code == 200
    assert "data-comparison" not in html and "frame" not in html and "Teacher's score" not in html
    assert " checked" not in html  # the teacher's levels are not pre-selected
    draft = student.post(setup.practice_url() + "/draft", json={"scores": {setup.keys[0]: HALF}, "overall": "Hm"},
                         headers={"X-CSRFToken": student.csrf_token()})
    assert draft.status_code == 200 and draft.get_json() == {"saved": True}
    missing = practise(student, setup, HALF, "")
    assert missing.status_code == 422 and "Score every criterion" in page_text(missing)
    done = practise(student, setup, HALF, HALF)
    assert done.status_code == 302
    after = student.get(setup.practice_url())
    text = page_text(after)
    assert "Accuracy: 75 of 100." in text and "frame" in text
    rows = re.findall(r'<td data-mine>([^<]*)<.*?<td data-reference>([^<]*)<.*?<td data-difference>([^<]*)<',
                      after.get_data(as_text=True), re.S)
    assert [tuple(x.strip() for x in row) for row in rows] == [("5", "10", "-5"), ("5", "5", "0")]
    practice = db.session.scalar(db.select(PracticeReview).where(PracticeReview.reviewer_id == review.klass.student.id))
    assert practice.accuracy == 75
    again = practise(student, setup, FULL, HALF)  # handed in: final
    assert again.status_code == 422 and "This practice review is handed in." in page_text(again)
    db.session.expire_all()
    assert db.session.get(PracticeReview, practice.id).accuracy == 75


def test_changing_the_reference_rescores_handed_in_practice(review, client_as, hw):
    """When the teacher rescores the example Half / Half, does a practice of Half / Half become 100?"""
    setup = set_up(review, client_as, hw)
    practise(client_as(review.klass.student), setup, HALF, HALF)
    client_as(review.klass.teacher).post(f"{review.base}/examples/{setup.example.id}",
                                         data={"title": "Tango basics", **setup.scores(HALF, HALF)})
    db.session.expire_all()
    practice = db.session.scalar(db.select(PracticeReview).where(PracticeReview.reviewer_id == review.klass.student.id))
    assert practice.accuracy == 100


@pytest.mark.parametrize("role, status", [("stranger", 404), ("teacher", 403), ("assistant", 403), ("student", 200)])
def test_who_may_practise(review, client_as, hw, role, status):
    """Does a stranger get 404 and staff 403 on the practice page, a student of the circle the page?"""
    setup = set_up(review, client_as, hw)
    assert client_as(getattr(review.klass, role)).get(setup.practice_url()).status_code == status


def test_a_student_cannot_open_anothers_practice(review, client_as, hw):
    """Can the classmate open the student's handed-in practice (the teacher's view of it)? The teacher can."""
    setup = set_up(review, client_as, hw)
    practise(client_as(review.klass.student), setup, HALF, HALF)
    url = f"{review.base}/examples/{setup.example.id}/practice/{review.klass.student.id}"
    assert client_as(review.klass.classmate).get(url).status_code == 403
    assert client_as(review.klass.stranger).get(url).status_code == 404
    shown = client_as(review.klass.teacher).get(url)
    assert shown.status_code == 200 and "Accuracy: 75 of 100." in page_text(shown)


def test_an_unscored_example_is_not_offered(review, client_as, hw):
    """Before the teacher scores the example, is it left out (404 to the student, no lock), and may the
    student not fetch its video?"""
    setup = set_up(review, client_as, hw, score=False)
    student = client_as(review.klass.student)
    assert student.get(setup.practice_url()).status_code == 404
    assert 'data-practice' not in student.get(f"{review.base}/tasks").get_data(as_text=True)
    example = db.session.get(ReviewExample, setup.example.id)
    assert not cal.may_fetch_example_media(review.klass.student, example.id, example.media, Rendition.mp4)
    assert cal.may_fetch_example_media(review.klass.assistant, example.id, example.media, Rendition.mp4)


def test_the_example_video_is_served_to_those_who_practise(review, client_as, hw):
    """Does the student get the video from the practice page's URL; may a stranger, or the student the
    original upload, not have it?"""
    setup = set_up(review, client_as, hw)
    student = client_as(review.klass.student)
    html = student.get(setup.practice_url()).get_data(as_text=True)
    src = re.search(r'data-mp4="([^"]+)"', html).group(1)
    served = student.get(src)
    assert served.status_code == 200 and served.get_data() == MP4
    served.close()
    example = db.session.get(ReviewExample, setup.example.id)
    assert not cal.may_fetch_example_media(review.klass.stranger, example.id, example.media, Rendition.mp4)
    assert not cal.may_fetch_example_media(review.klass.student, example.id, example.media, Rendition.original)
    assert cal.may_fetch_example_media(review.klass.teacher, example.id, example.media, Rendition.original)
    other = hw.media(review.klass.teacher)
    assert not cal.may_fetch_example_media(review.klass.teacher, example.id, other, Rendition.mp4)


# -- the lock -----------------------------------------------------------------------------------

def test_classmates_tasks_stay_locked_until_the_practice_is_handed_in(review, client_as, hw):
    """With practice required, is the task page refused with the reason (and its draft JSON too) until the
    student hands in the practice, and open after?"""
    setup = set_up(review, client_as, hw)
    allocation = task(review, review.klass.student, review.klass.classmate)
    student = client_as(review.klass.student)
    url = f"/circles/{review.klass.circle.id}/reviews/tasks/{allocation.id}"
    refused = student.get(url)
    assert refused.status_code == 403 and "Practise on your teacher's examples first" in page_text(refused)
    assert student.post(url + "/draft", json={"overall": "x"},
                        headers={"X-CSRFToken": student.csrf_token()}).status_code == 403
    tasks_page = student.get(f"{review.base}/tasks").get_data(as_text=True)
    assert f'href="{url}"' not in tasks_page
    practise(student, setup, FULL, HALF)
    assert student.get(url).status_code == 200
    assert f'href="{url}"' in student.get(f"{review.base}/tasks").get_data(as_text=True)


def test_without_the_requirement_tasks_are_open(review, client_as, hw):
    """When the teacher does not require practice, is the task open while the practice is offered?"""
    setup = set_up(review, client_as, hw)
    client_as(review.klass.teacher).post(f"{review.base}/examples/calibration", data={})
    allocation = task(review, review.klass.student, review.klass.classmate)
    student = client_as(review.klass.student)
    assert student.get(f"/circles/{review.klass.circle.id}/reviews/tasks/{allocation.id}").status_code == 200
    assert 'data-locked="no"' in student.get(f"{review.base}/tasks").get_data(as_text=True)
    assert student.get(setup.practice_url()).status_code == 200


# -- the accuracy figure and the grade ----------------------------------------------------------

def graded_round(review, client_as, hw, *, weigh: bool):
    """Scenario (rubric 10 + 10; example reference 10 / 5; score share 60 %, reviewing share 20 %).

    Practice on the example: classmate 10/5 → 100; Dancer 0 5/0 → 100 × (1 − (0.5 + 0.5) / 2) = 50;
    Dancer 1 0/0 → 100 × (1 − (1 + 0.5) / 2) = 25; the student 10/0 → 100 × (1 − (0 + 0.5) / 2) = 75.
    The student's work is reviewed by the classmate 10/5, Dancer 0 5/5 and Dancer 1 0/0. The student reviewed
    Dancer 0's work 10/10, which the teacher graded 10/0 themselves: agreement 100 × (1 − (0 + 1) / 2) = 50,
    so the student's figure is (75 + 50) / 2 = 62.5."""
    setup = set_up(review, client_as, hw, weigh=weigh, score_share=60, reviewing_share=20)
    student, classmate, d0, d1, _ = review.students
    for who, first, second in ((classmate, FULL, HALF), (d0, HALF, NONE), (d1, NONE, NONE), (student, FULL, NONE)):
        assert practise(client_as(who), setup, first, second).status_code == 302
    k1, k2 = setup.keys
    for reviewer, scores in ((classmate, {k1: 10, k2: 5}), (d0, {k1: 5, k2: 5}), (d1, {k1: 0, k2: 0})):
        write_review(review, reviewer, student, scores)
    write_review(review, student, d0, {k1: 10, k2: 10})
    grading_ops.grade_submission(review.assignment, d0, review.klass.teacher, criterion_scores={k1: 10, k2: 0})
    db.session.commit()
    return setup


def accept(review, client_as, student) -> Grade:
    response = client_as(review.klass.teacher).post(
        f"/circles/{review.klass.circle.id}/assignments/{review.assignment.id}/grade/{student.id}/peer")
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.scalar(db.select(Grade).where(Grade.assignment_id == review.assignment.id,
                                                    Grade.student_id == student.id))


def test_accuracy_figures_combine_examples_and_the_teachers_grades(review, client_as, hw):
    """Are the figures 100, 50, 25 from practice alone, and 62.5 for the student (practice 75, agreement 50);
    do the results page and the CSV show them?"""
    setup = graded_round(review, client_as, hw, weigh=True)
    student, classmate, d0, d1, d2 = review.students
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    figures = cal.accuracy_figures(settings)
    assert {who.id: figures[who.id].accuracy for who in (student, classmate, d0, d1)} == {
        student.id: 62.5, classmate.id: 100, d0.id: 50, d1.id: 25}
    assert figures[student.id].examples == [75] and figures[student.id].graded == [50]
    assert d2.id not in figures
    teacher = client_as(review.klass.teacher)
    page = teacher.get(f"{review.base}/results").get_data(as_text=True)
    row = re.search(rf'<tr data-student="{student.id}">.*?</tr>', page, re.S).group(0)
    assert re.search(r"<td data-accuracy>62\.5</td>", row)
    csv = teacher.get(f"{review.base}/results.csv").get_data(as_text=True)
    lines = {row[0]: row for row in csv_module.reader(io.StringIO(csv.lstrip("\ufeff")))}
    assert lines["Student In Class"][-2:] == ["62.5", "Far from the other reviewers"] and lines["Student In Class"][-4] == "15"
    one = teacher.get(f"{review.base}/results/{student.id}")
    assert "Accuracy: 62.5 of 100." in page_text(one)
    assert setup.example is not None


def test_grade_with_calibration_weights(review, client_as, hw):
    """Weighted by accuracy (weights 1, 0.5, 0.25; half of the total 1.75 is 0.875): criterion 1's values 0,
    5, 10 reach it at 10 (running 0.25, 0.75, 1.75); criterion 2's 0, 5, 5 at 5. Peer score 15 of 20.
    Reviewing well is the student's figure, 0.625. Accepting gives each criterion 0.8 × median + 0.2 × 0.625
    × 10: 8 + 1.25 = 9.25 and 4 + 1.25 = 5.25, 14.5 of 20 → 72.5 of 100
    (= 0.2 × 0.75 + 0.6 × 0.75 + 0.2 × 0.625)."""
    setup = graded_round(review, client_as, hw, weigh=True)
    student = review.students[0]
    grade = accept(review, client_as, student)
    k1, k2 = setup.keys
    assert grade.criterion_scores == {k1: 9.25, k2: 5.25}
    assert grade.score == pytest.approx(72.5)
    assert db.session.scalar(db.select(GradeChange.action).where(GradeChange.grade_id == grade.id)) == "peer_accepted"
    # a grade made from the peer score is not the teacher's judgement: it changes nobody's figure
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    assert cal.accuracy_figures(settings)[review.students[1].id].accuracy == 100


def test_grade_without_weights_uses_plain_medians(review, client_as, hw):
    """Not weighted: medians 5 and 5, peer 10 of 20; reviewing well is still the figure 0.625:
    0.8 × 5 + 0.2 × 0.625 × 10 = 5.25 per criterion, 10.5 of 20 → 52.5."""
    setup = graded_round(review, client_as, hw, weigh=False)
    grade = accept(review, client_as, review.students[0])
    assert grade.criterion_scores == {setup.keys[0]: 5.25, setup.keys[1]: 5.25}
    assert grade.score == pytest.approx(52.5)


def test_a_reviewer_without_a_figure_weighs_the_class_mean():
    """Figures 100 and 50 and a reviewer with none: weights 1, 0.5 and the mean 0.75."""
    figures = {1: cal.Figure(examples=[100]), 2: cal.Figure(graded=[50]), 3: cal.Figure()}
    assert cal.weights_from(figures) == {1: 1.0, 2: 0.5, 3: 0.75}
    assert cal.weights_from({3: cal.Figure()}) == {}


def test_practice_ends_with_the_reviewers_window(review, client_as, hw):
    """After the review window closes, is a practice refused with the reason on the page, what was typed kept
    (422, not a bare 403; its page still readable), and does a student with an extension still practise?"""
    from lms.reviews.models import ReviewExtension
    from tests.fixtures.homework import ago, later

    setup = set_up(review, client_as, hw)
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    settings.closes_at = ago(minutes=30)
    db.session.add(ReviewExtension(assignment_id=review.assignment.id, user_id=review.klass.classmate.id,
                                   closes_at=later(days=1)))
    db.session.commit()
    student = client_as(review.klass.student)
    opened = student.get(setup.practice_url())
    assert opened.status_code == 200 and "data-window-closed" in opened.get_data(as_text=True)
    refused = practise(student, setup, FULL, HALF)
    assert refused.status_code == 422 and "practice reviews can no longer be written" in page_text(refused)
    assert 'name="overall"' in refused.get_data(as_text=True) and "checked" in refused.get_data(as_text=True)
    assert practise(client_as(review.klass.classmate), setup, FULL, HALF).status_code == 302


def test_the_assignment_page_leads_to_practice_before_tasks_exist(review, client_as, hw):
    """Before any task is allocated, does a student find "My review tasks" on the assignment page once a
    scored example waits for practice (and not while it is unscored)?"""
    show = f"/circles/{review.klass.circle.id}/assignments/{review.assignment.id}"
    setup = set_up(review, client_as, hw, score=False)
    student = client_as(review.klass.student)
    assert "data-review-tasks" not in student.get(show).get_data(as_text=True)
    client_as(review.klass.teacher).post(f"{review.base}/examples/{setup.example.id}",
                                         data={"title": "Tango basics", **setup.scores(FULL, HALF)})
    assert "data-review-tasks" in student.get(show).get_data(as_text=True)
    page = student.get(f"{review.base}/tasks").get_data(as_text=True)
    assert 'data-practice data-locked="yes"' in page and setup.practice_url() in page
