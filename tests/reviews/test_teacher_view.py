"""The teacher's view of peer review's results: statistics on known data (median, spread, flags), who may
open the pages, and the CSV export."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from lms.extensions import db
from lms.reviews import stats
from lms.reviews import teacher_view as tv
from lms.reviews.models import PeerReviewSettings
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago
from tests.fixtures.queries import QueryCounter
from tests.reviews.conftest import Review, turn_on
from tests.reviews.results import rubric, scored, write_review

# -- the arithmetic ----------------------------------------------------------------------------


def test_median_and_weighted_median():
    assert stats.median([2, 8, 6]) == 6
    assert stats.median([2, 8]) == 5
    assert stats.median([]) is None
    assert stats.weighted_median([(2, 1), (8, 1), (6, 1)]) == 6
    # a weight of 3 on the lowest pulls the median down to it; an even split averages the two middle values
    assert stats.weighted_median([(2, 3), (8, 1), (6, 1)]) == 2
    assert stats.weighted_median([(2, 1), (8, 1)]) == 5
    # weights of zero do not count; none positive falls back to the plain median
    assert stats.weighted_median([(2, 0), (8, 1), (6, 1)]) == 7
    assert stats.weighted_median([(2, 0), (8, 0), (6, 0)]) == 6


def _facts(n, scores, words=100, seconds=600.0):
    return stats.ReviewFacts(n, 100 + n, scores, words, seconds)


def test_submission_stats_on_known_data():
    """Medians and ranges per criterion; the outlier far from the median total, the one-word review short,
    the review handed in faster than the 90-second video fast."""
    reviews = [_facts(1, {"a": 8, "b": 6}), _facts(2, {"a": 6, "b": 6}, seconds=60),
               _facts(3, {"a": 2, "b": 1}, words=5), _facts(4, {"a": 7, "b": 5})]
    result = stats.submission_stats(reviews, {"a": 10, "b": 10}, video_seconds=90)
    assert result.medians == {"a": 6.5, "b": 5.5}
    assert result.spreads == {"a": 6, "b": 5}
    assert result.total == 12
    assert result.total_spread == 11
    assert result.flags == {2: ["fast"], 3: ["far", "short"]}


def test_far_needs_three_reviews_and_fast_needs_a_duration():
    two = [_facts(1, {"a": 10}), _facts(2, {"a": 0}, seconds=1)]
    assert stats.submission_stats(two, {"a": 10}).flags == {}


def test_accuracy_compares_with_the_reference_per_criterion():
    criteria = {"a": 10, "b": 20}
    assert stats.accuracy({"a": 10, "b": 20}, {"a": 10, "b": 20}, criteria) == 100
    # 2 of 10 off (20 %) and 10 of 20 off (50 %): 100 − 35
    assert stats.accuracy({"a": 8, "b": 10}, {"a": 10, "b": 20}, criteria) == 65
    assert stats.accuracy({}, {"a": 1}, criteria) is None


# -- the pages ---------------------------------------------------------------------------------

PAGES = ["/results", "/results/{author}", "/results.csv"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role, status", [("stranger", 404), ("student", 403), ("classmate", 403),
                                          ("assistant", 200), ("teacher", 200), ("owner", 200)])
def test_who_may_open_the_results(review, client_as, page, role, status):
    """A stranger 404, students 403 (the CSV too), staff the page."""
    scored(review)
    url = review.base + page.format(author=review.klass.student.id)
    assert client_as(getattr(review.klass, role)).get(url).status_code == status


def test_a_non_member_author_is_404(review, client_as):
    scored(review)
    url = f"{review.base}/results/{review.klass.stranger.id}"
    assert client_as(review.klass.teacher).get(url).status_code == 404


def test_the_submission_view_shows_medians_spread_and_flags(review, client_as):
    """With a two-criterion rubric: scores 8/6, 6/6, 2/1 give medians 6 and 6, spreads 6 and 5, a peer score
    of 12 of 20, and the third review flagged far from the others."""
    made_rubric = rubric(review)
    _, made, _ = scored(review, rubric_id=made_rubric.id)
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    view = tv.submission_view(settings, review.klass.student.id)
    keys = [c.key for c in made_rubric.criteria]
    assert [view.stats.medians[k] for k in keys] == [6, 6]
    assert [view.stats.spreads[k] for k in keys] == [6, 5]
    assert view.stats.total == 12 and view.points == 20 and view.peer_fraction == 0.6
    assert view.stats.flags == {made[2].id: ["far"]}
    response = client_as(review.klass.teacher).get(f"{review.base}/results/{review.klass.student.id}")
    html = response.get_data(as_text=True)
    assert f'data-review="{made[2].id}"' in html
    assert 'data-flags="far"' in html
    results_html = client_as(review.klass.teacher).get(review.base + "/results").get_data(as_text=True)
    assert "Far from the other reviewers" in results_html  # the flag as words, not its code
    assert "fewer than 8 words (in Chinese, Japanese and Korean each character counts as a word)" in results_html
    assert "Peer score: 12 of 20." in page_text(response)
    assert "Accept: set the grade to" in html and "data-breakdown" in html
    results = page_text(client_as(review.klass.teacher).get(review.base + "/results"))
    assert "Criterion 1" in results and "Criterion 2" in results
    exported = client_as(review.klass.teacher).get(review.base + "/results.csv").get_data(as_text=True)
    header, student_row = [row for row in csv.reader(io.StringIO(exported.lstrip("\ufeff")))
                           if row and row[0] in ("Student", "Student In Class")]
    assert header[1:3] == ["Real name", "Student number"]
    assert header[6:9] == ["Criterion 1", "Criterion 2", "Peer score"]
    assert student_row[6:9] == ["6", "6", "12"]


def test_the_class_view_counts_given_and_received(review, client_as):
    scored(review)
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    rows = {row.user_id: row for row in tv.class_rows(settings)}
    student, classmate, d0, d1, d2 = review.students
    assert rows[student.id].received == 3 and rows[student.id].view.stats.total == 12
    assert (rows[classmate.id].given, rows[classmate.id].assigned) == (1, 1)
    assert (rows[d2.id].given, rows[d2.id].assigned) == (0, 1)
    assert rows[classmate.id].received == 0
    # without a rubric the scores are out of the assignment's 100 points: 3 is 9 from the median 12, not far
    assert rows[student.id].flags == []


def test_csv_export_guards_formulas(review, client_as, make):
    """The CSV lists every student with the peer score, and a name starting with "=" is not run as a formula."""
    scored(review)
    member = make.member(review.klass.circle, make.user("Evil"), display_name="=HYPERLINK(\"x\")")
    response = client_as(review.klass.teacher).get(review.base + "/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Student"
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Student In Class"][6] == "12"
    assert "'=HYPERLINK(\"x\")" in by_name
    assert member is not None


def test_a_review_faster_than_the_video_is_flagged(klass, hw, make, client_as):
    """On video work (a 5-minute clip), a review handed in 2 minutes after it was started is flagged "fast",
    one that took 10 minutes is not; the teacher's page shows the video with the pinned comments on its
    timeline."""
    due = ago(hours=2).replace(microsecond=0)
    assignment = hw.assignment(klass.circle, accepts="video", due_at=due)
    students = [klass.student, klass.classmate, make.member(klass.circle, make.user("Dancer X")).user]
    for student in students:
        hw.submission(assignment, student, media=hw.media(student, duration=300.0), now=due - timedelta(hours=1))
    work = Review(klass, assignment, students, due)
    scored_settings = turn_on(work)
    quick = write_review(work, klass.classmate, klass.student, {"overall": 50}, minutes=2)
    slow = write_review(work, students[2], klass.student, {"overall": 60}, minutes=10)
    view = tv.submission_view(scored_settings, klass.student.id)
    assert view.video_seconds == 300
    assert view.stats.flags[quick.id] == ["fast"] and slow.id not in view.stats.flags
    html = client_as(klass.teacher).get(f"{work.base}/results/{klass.student.id}").get_data(as_text=True)
    assert 'data-flags="fast"' in html and 'data-seek="3.0"' in html


def test_the_class_view_queries_do_not_grow_with_the_class(review, make, hw):
    """Does the class view read a fixed number of queries, whatever the number of students with reviews?"""
    made = rubric(review)
    scored(review, rubric_id=made.id)
    settings = db.session.get(PeerReviewSettings, review.assignment.id)

    def count() -> int:
        with QueryCounter() as counter:
            db.session.expire_all()
            tv.class_rows(db.session.get(PeerReviewSettings, review.assignment.id))
        return counter.count

    before = count()
    for n in range(3):
        newcomer = make.member(review.klass.circle, make.user(f"Newcomer {n}")).user
        hw.submission(review.assignment, newcomer, text="late work")
        write_review(review, review.klass.student, newcomer, {c.key: 5 for c in made.criteria}, pinned=())
    assert count() == before
    assert len([row for row in tv.class_rows(settings) if row.view is not None]) == 8


def test_too_short_counts_chinese_fairly_and_follows_the_teachers_minimum():
    """A Chinese comment of 12 characters says as much as a dozen English words: not short (it was, under a
    40-character rule); an English one of three words is; with the teacher's minimum of 20 characters, the
    written characters are what count."""
    assert stats.word_count("节奏很好，但是结尾有点拖沓。") == 12
    assert stats.word_count("Good timing, arms late") == 4
    assert stats.word_count("节奏 good 123") == 4
    chinese = stats.ReviewFacts(1, 101, {"a": 5}, stats.word_count("节奏很好，但是结尾有点拖沓。"), chars=14)
    english = stats.ReviewFacts(2, 102, {"a": 5}, stats.word_count("Nice, well done"), chars=15)
    assert stats.submission_stats([chinese, english], {"a": 10}).flags == {2: ["short"]}
    assert stats.submission_stats([chinese, english], {"a": 10}, min_chars=15).flags == {1: ["short"]}


def test_the_results_show_the_staff_identity(review, client_as, make):
    """Do the results show each student with real name and student number (as the rest of the app does for
    staff), and the CSV the same identity, to match it with the gradebook's export?"""
    from lms.circles.models import Membership

    scored(review)
    member = db.session.scalar(db.select(Membership).where(Membership.user_id == review.klass.student.id,
                                                           Membership.circle_id == review.klass.circle.id))
    member.real_name, member.student_no = "Li Hua", "SR2026-007"
    db.session.commit()
    teacher = client_as(review.klass.teacher)
    text = page_text(teacher.get(review.base + "/results"))
    assert "Li Hua · SR2026-007" in text
    exported = teacher.get(review.base + "/results.csv").get_data(as_text=True)
    rows = {row[0]: row for row in csv.reader(io.StringIO(exported.lstrip("\ufeff")))}
    assert rows["Student In Class"][1:3] == ["Li Hua", "SR2026-007"]
