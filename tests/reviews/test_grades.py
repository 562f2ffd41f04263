"""Grades from peer review (lms/grading/peer.py): the final grade from the score received, reviewing well and
the teacher's part; calibration weights in the medians; accepting the peer score writes a grade with history."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.grading import peer
from lms.grading.models import Grade, GradeChange
from lms.reviews import stats
from tests.fixtures.app import page_text
from tests.reviews.results import rubric, scored, write_review


def test_final_fraction_with_shares():
    """Teacher's part 20 %, score received 60 %, reviewing well 20 % (the docstring's example)."""
    assert stats.final_fraction(0.8, 0.5, score_share=60, reviewing_share=20, teacher=0.9) == pytest.approx(0.76)
    # accepting the peer score: it stands for the teacher's part too
    assert stats.final_fraction(0.8, 0.5, score_share=60, reviewing_share=20) == pytest.approx(0.74)
    assert stats.final_fraction(0.8, None, score_share=0, reviewing_share=0) == pytest.approx(0.8)
    assert stats.final_fraction(None, 1.0, score_share=50, reviewing_share=50) is None
    assert stats.completion(2, 3) == pytest.approx(2 / 3) and stats.completion(0, 0) == 1


def test_calibration_weights_move_the_median():
    """A reviewer with accuracy 90 outweighs two with 20: the weighted median follows the accurate one, and
    so does the final grade."""
    reviews = [stats.ReviewFacts(1, 1, {"a": 9}, 100, None, 0.9), stats.ReviewFacts(2, 2, {"a": 2}, 100, None, 0.2),
               stats.ReviewFacts(3, 3, {"a": 3}, 100, None, 0.2)]
    plain = stats.submission_stats(reviews, {"a": 10})
    weighted = stats.submission_stats(reviews, {"a": 10}, weighted=True)
    assert plain.total == 3 and weighted.total == 9
    accuracy = stats.accuracy({"a": 7}, {"a": 9}, {"a": 10})
    assert accuracy == 80
    final = stats.final_fraction(weighted.total / 10, accuracy / 100, score_share=70, reviewing_share=30)
    assert final == pytest.approx(0.7 * 0.9 + 0.3 * 0.8)


def _with_rubric(review, **values):
    made = rubric(review)
    review.assignment.rubric_id = made.id
    db.session.commit()
    _, reviews, _ = scored(review, rubric_id=None, **values)
    return made, reviews


def test_accepting_the_peer_score_writes_a_rubric_grade_with_history(review):
    """The assignment's rubric (10 + 10) is the reviewers': medians 6 and 6 become the criterion scores, 12 of
    20 scaled to the assignment's 100 points; the history says the peer score was accepted."""
    made, _ = _with_rubric(review)
    grade = peer.accept_peer_score(review.assignment, review.klass.student, review.klass.teacher)
    db.session.commit()
    assert grade.score == 60
    assert grade.criterion_scores == {c.key: 6 for c in made.criteria}
    history = db.session.scalars(db.select(GradeChange).where(GradeChange.grade_id == grade.id)).all()
    assert [(h.action, h.score, h.changed_by_id) for h in history] == [("peer_accepted", 60, review.klass.teacher.id)]


def test_reviewing_share_counts_completion(review):
    """With a reviewing share of 20 % and none of the author's own review tasks handed in, each criterion gets
    0.8 × its median: 4.8 + 4.8 of 20, 48 of 100."""
    made, _ = _with_rubric(review, score_share=80, reviewing_share=20)
    write_review(review, review.klass.student, review.klass.classmate, {made.criteria[0].key: 1}, submitted=False)
    grade = peer.accept_peer_score(review.assignment, review.klass.student, review.klass.teacher)
    assert grade.score == 48
    assert sorted(grade.criterion_scores.values()) == [4.8, 4.8]


def test_without_a_rubric_the_score_is_the_final_fraction(review):
    """Totals 14, 12, 3 out of 100: peer 0.12; score share 60, reviewing 20 with no task (completion 1):
    0.8 × 0.12 + 0.2 × 1 = 0.296 → 29.6."""
    scored(review, score_share=60, reviewing_share=20)
    grade = peer.accept_peer_score(review.assignment, review.klass.student, review.klass.teacher)
    assert grade.score == pytest.approx(29.6)


def test_no_review_no_peer_grade(review):
    from lms.grading.operations import GradingError

    scored(review)
    with pytest.raises(GradingError):
        peer.accept_peer_score(review.assignment, review.klass.classmate, review.klass.teacher)


@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 403), ("classmate", 403),
                                          ("assistant", 302), ("teacher", 302), ("owner", 302)])
def test_who_may_accept_the_peer_score(review, client_as, role, status):
    """A stranger 404, students 403, whoever grades the assignment (assistants too) sets the grade."""
    scored(review)
    url = f"/circles/{review.klass.circle.id}/assignments/{review.assignment.id}/grade/{review.klass.student.id}/peer"
    assert client_as(getattr(review.klass, role)).post(url).status_code == status
    db.session.expire_all()
    grade = db.session.scalar(db.select(Grade).where(Grade.assignment_id == review.assignment.id,
                                                     Grade.student_id == review.klass.student.id))
    assert (grade is not None and grade.score == 12) is (status == 302)


def test_the_student_page_explains_the_grade_before_accepting(review, client_as):
    """Totals 14, 12, 3 of 100, score share 60, reviewing 20, the author's own one task not handed in
    (reviewing well 0): does the page show 12 % × 80 % = 9.6 %, 0 % × 20 %, the grade 9.6 that accepting then
    sets, and warn that 3 of the 4 planned reviews came in?"""
    from tests.reviews.results import write_review as write

    scored(review, score_share=60, reviewing_share=20, reviews_per_submission=4)
    write(review, review.klass.student, review.klass.classmate, {"overall": 5}, submitted=False)
    teacher = client_as(review.klass.teacher)
    url = f"{review.base}/results/{review.klass.student.id}"
    page = teacher.get(url)
    text = page_text(page)
    assert "Peer score received: 12 of 100 (12 %) × 80 % of the grade = 9.6 %" in text
    assert "Reviewing well (share of their review tasks handed in): 0 % × 20 % of the grade = 0 %" in text
    assert "Grade: 9.6 % of 100 points = 9.6" in text
    assert "Only 3 reviews of the 4 planned came in" in text
    assert "Accept: set the grade to 9.6" in text
    accept = f"/circles/{review.klass.circle.id}/assignments/{review.assignment.id}/grade/{review.klass.student.id}/peer"
    assert teacher.post(accept).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(Grade.score).where(Grade.assignment_id == review.assignment.id,
                                                          Grade.student_id == review.klass.student.id)) == 9.6


def test_accepting_for_the_class_keeps_hand_grades_unless_asked(review, client_as):
    """One action accepts the peer score for every student with reviews; a student the teacher graded by hand
    keeps that grade unless the box is ticked; students without reviews get no grade."""
    from lms.grading.operations import grade_submission
    from tests.reviews.results import write_review as write

    scored(review)
    student, classmate, d0, d1, d2 = review.students
    write(review, student, classmate, {"overall": 50})
    grade_submission(review.assignment, classmate, review.klass.teacher, score=77)
    db.session.commit()
    teacher = client_as(review.klass.teacher)
    results = teacher.get(f"{review.base}/results").get_data(as_text=True)
    url = f"/circles/{review.klass.circle.id}/assignments/{review.assignment.id}/grade/peer-all"
    assert f'action="{url}"' in results and "Accept the peer score for all 2 students with reviews" in page_text(
        teacher.get(f"{review.base}/results"))

    def scores():
        db.session.expire_all()
        return dict(db.session.execute(db.select(Grade.student_id, Grade.score)
                                       .where(Grade.assignment_id == review.assignment.id)).all())

    done = teacher.post(url)
    assert done.status_code == 302
    assert scores() == {student.id: 12, classmate.id: 77}
    assert "1 student you graded yourself keeps that grade" in page_text(teacher.get(done.headers["Location"]))
    assert teacher.post(url, data={"include_hand_graded": "yes"}).status_code == 302
    assert scores() == {student.id: 12, classmate.id: 50}
    assert client_as(review.klass.student).post(url).status_code == 403
