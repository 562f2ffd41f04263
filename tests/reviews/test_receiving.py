"""Receiving reviews: authors read the reviews of their work only once the window has closed or the teacher
released them, never others' reviews; reviewers named or numbered by the anonymity setting; helpful or not;
a flag tells the teachers."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.notifications.models import Notification
from lms.reviews import receiving as rcv
from lms.reviews.models import PeerReview, PeerReviewSettings
from tests.fixtures.app import page_text
from tests.fixtures.homework import ago
from tests.reviews.results import scored, write_review


def _close(review) -> None:
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    settings.closes_at = ago(minutes=1)
    db.session.commit()


def _notified(kind: str) -> set[int]:
    return set(db.session.scalars(db.select(Notification.user_id).where(Notification.kind == kind)))


def test_reviews_hidden_until_the_window_closes(review, client_as):
    """While the window is open and nothing is released, does the author see no review, only when to come back?"""
    _, made, _ = scored(review)
    response = client_as(review.klass.student).get(review.base + "/received")
    assert response.status_code == 200
    text = page_text(response)
    assert "when the review window closes" in text
    assert made[0].overall_comment not in text
    for written in made:
        assert client_as(review.klass.student).post(
            f"{review.base}/received/{written.id}/helpful", data={"helpful": "yes"}).status_code == 404


def test_reviews_visible_after_the_window_closes(review, client_as):
    """Once the window has closed, does the author read every handed-in review (not the draft), numbered, with
    the pinned comments as seek buttons on the video's timeline?"""
    _, made, draft = scored(review, anonymity="double_blind")
    write_review(review, review.klass.student, review.klass.classmate, {"overall": 1},
                 comment="Someone else's work entirely.")
    _close(review)
    html = client_as(review.klass.student).get(review.base + "/received").get_data(as_text=True)
    assert html.count('data-review="') == 3
    assert "Reviewer 1" in html and "Reviewer 3" in html and "Reviewer 4" not in html
    assert 'data-seek="3.0"' in html and "Watch the arms here" in html
    assert f'data-review="{draft.id}"' not in html
    assert "Someone else" not in html
    for name in ("Classmate In Class", "Dancer 0", "Dancer 1"):
        assert name not in html


@pytest.mark.parametrize("anonymity, named", [("double_blind", False), ("authors_named", False),
                                              ("reviewers_named", True)])
def test_reviewers_named_only_when_the_setting_says(review, client_as, anonymity, named):
    """Do authors see their reviewers' names only under "reviewers named"?"""
    scored(review, anonymity=anonymity)
    _close(review)
    text = page_text(client_as(review.klass.student).get(review.base + "/received"))
    assert ("Classmate In Class" in text) is named
    assert ("Reviewer 1" in text) is not named


def test_release_lets_authors_read_before_the_close_and_tells_them(review, client_as):
    """Does the teacher's release show the reviews at once and tell each author with a review, once?"""
    _, made, _ = scored(review)
    teacher = client_as(review.klass.teacher)
    assert client_as(review.klass.student).post(review.base + "/release").status_code == 403
    assert teacher.post(review.base + "/release").status_code == 302
    assert teacher.post(review.base + "/release").status_code == 302
    db.session.expire_all()
    assert db.session.get(PeerReviewSettings, review.assignment.id).released_at is not None
    assert made[0].overall_comment in page_text(client_as(review.klass.student).get(review.base + "/received"))
    rows = db.session.scalars(db.select(Notification).where(Notification.kind == "reviews_available")).all()
    assert [n.user_id for n in rows] == [review.klass.student.id]


def test_others_reviews_are_404(review, client_as):
    """Can a classmate neither read nor answer reviews of someone else's work, even after the close?"""
    _, made, _ = scored(review)
    _close(review)
    classmate = client_as(review.klass.classmate)
    assert made[0].overall_comment not in page_text(classmate.get(review.base + "/received"))
    assert classmate.post(f"{review.base}/received/{made[0].id}/helpful", data={"helpful": "no"}).status_code == 404
    assert classmate.post(f"{review.base}/received/{made[0].id}/flag", data={"reason": "x"}).status_code == 404
    assert client_as(review.klass.stranger).get(review.base + "/received").status_code == 404
    db.session.expire_all()
    assert db.session.get(PeerReview, made[0].id).helpful is None


def test_helpful_and_flag(review, client_as):
    """Does the author mark a review helpful or not, flag one with a reason (the teachers are told once, the
    students not), and withdraw the flag?"""
    _, made, _ = scored(review)
    _close(review)
    author = client_as(review.klass.student)
    assert author.post(f"{review.base}/received/{made[0].id}/helpful", data={"helpful": "yes"}).status_code == 302
    assert author.post(f"{review.base}/received/{made[1].id}/helpful", data={"helpful": "no"}).status_code == 302
    assert author.post(f"{review.base}/received/{made[2].id}/flag", data={"reason": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PeerReview, made[2].id).flagged_at is None
    assert author.post(f"{review.base}/received/{made[2].id}/flag",
                       data={"reason": "Scored 3 but never watched"}).status_code == 302
    author.post(f"{review.base}/received/{made[2].id}/flag", data={"reason": "Edited reason"})
    db.session.expire_all()
    assert [db.session.get(PeerReview, r.id).helpful for r in made] == [True, False, None]
    flagged = db.session.get(PeerReview, made[2].id)
    assert flagged.flagged_at is not None and flagged.flag_reason == "Edited reason"
    assert _notified("review_flagged") == {review.klass.teacher.id, review.klass.owner.id}
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                             .where(Notification.kind == "review_flagged")) == 2
    assert "Edited reason" in page_text(client_as(review.klass.teacher).get(
        f"{review.base}/results/{review.klass.student.id}"))
    author.post(f"{review.base}/received/{made[2].id}/flag", data={"withdraw": "1"})
    db.session.expire_all()
    assert db.session.get(PeerReview, made[2].id).flagged_at is None


def test_staff_have_the_teacher_view_not_this_page(review, client_as):
    scored(review)
    assert client_as(review.klass.teacher).get(review.base + "/received").status_code == 403


def test_no_peer_review_is_404(review, client_as):
    assert client_as(review.klass.student).get(review.base + "/received").status_code == 404


def test_pinned_comments_escape_markup(review, client_as):
    """Is a reviewer's text shown as sanitized markdown, never as live HTML?"""
    _, made, _ = scored(review)
    made[0].overall_comment = "<script>alert(1)</script> **bold**"
    made[0].comments[0].body = "<img src=x onerror=alert(2)>"
    _close(review)
    html = client_as(review.klass.student).get(review.base + "/received").get_data(as_text=True)
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html and "<img src=x onerror" not in html


def test_authors_are_told_once_after_the_window_closes(review):
    """Is an author with a handed-in review told their reviews are available once the window has closed —
    once, and not when the teacher had released them already?"""
    settings, _, _ = scored(review)
    assert rcv.closed_unannounced() == []
    assert rcv.announce_closed(settings) == []
    _close(review)
    assert rcv.closed_unannounced() == [review.assignment.id]
    settings = db.session.get(PeerReviewSettings, review.assignment.id)
    assert rcv.announce_closed(settings) == [review.klass.student.id]
    db.session.commit()
    assert rcv.closed_unannounced() == []
    assert rcv.announce_closed(settings) == []
    assert _notified("reviews_available") == {review.klass.student.id}


def test_a_release_counts_as_the_announcement(review, client_as):
    scored(review)
    client_as(review.klass.teacher).post(review.base + "/release")
    _close(review)
    assert rcv.closed_unannounced() == []


def test_the_periodic_job_announces_a_closed_window_once(review):
    """Does the peer-review job (run every minute by the scheduler) tell the authors when the window has
    closed, and only once however often it runs?"""
    from lms.reviews.tasks import run_review_rounds

    scored(review)
    run_review_rounds()
    assert _notified("reviews_available") == set()
    _close(review)
    run_review_rounds()
    run_review_rounds()
    told = list(db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "reviews_available")))
    assert told == [review.klass.student.id]
    assert rcv.closed_unannounced() == []


def test_the_assignment_page_links_an_author_to_the_reviews_of_their_work(review, client_as):
    """Before the window closes the author's assignment page has no link to reviews; after, it does."""
    scored(review)
    page = f"/circles/{review.klass.circle.id}/assignments/{review.assignment.id}"
    assert "data-reviews-received" not in client_as(review.klass.student).get(page).get_data(as_text=True)
    _close(review)
    html = client_as(review.klass.student).get(page).get_data(as_text=True)
    assert "data-reviews-received" in html and review.base + "/received" in html
