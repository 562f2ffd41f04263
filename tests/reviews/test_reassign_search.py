"""Choosing a student in a big class: the reassign page and the allocation page's forms (add by hand, give an
extension) narrow their students with a server-side `?q=` (name, real name or student number), so they work
without JavaScript and with 500 students."""
from __future__ import annotations

import re

import pytest

from lms.accounts.models import User
from lms.circles.models import Membership, MembershipStatus, Role
from lms.extensions import db
from lms.reviews.models import AllocationState, ReviewAllocation
from tests.reviews.conftest import run_periodic, turn_on


def _options(html: str, select_id: str) -> list[str]:
    """The values offered by the <select id=select_id> of a page."""
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select {select_id}"
    return re.findall(r'<option[^>]*value="(\d+)"', match.group(1))


@pytest.fixture
def crowd(app, review, make):
    """The review class (five who handed in, k = 2, allocated) and 495 more students, one of them
    "Wang Xiaoming" with student number SR2026-0417 and another with the real name "Li Hua" (shown as
    "Sunny"): 500 students in all."""
    turn_on(review, reviews_per_submission=2)
    run_periodic(app)
    circle = review.klass.circle
    users = [User(email=f"crowd{i}@example.org", password_hash="!", name=f"Crowd {i:03d}") for i in range(495)]
    db.session.add_all(users)
    db.session.flush()
    for i, user in enumerate(users):
        member = Membership(circle_id=circle.id, user_id=user.id, role=Role.student, status=MembershipStatus.active,
                            display_name=f"Crowd {i:03d}", student_no=f"SR2026-{i:04d}")
        db.session.add(member)
    db.session.flush()
    wang = db.session.scalar(db.select(Membership).where(Membership.user_id == users[417].id))
    wang.display_name = "Wang Xiaoming"
    sunny = db.session.scalar(db.select(Membership).where(Membership.user_id == users[9].id))
    sunny.display_name, sunny.real_name = "Sunny", "Li Hua"
    db.session.commit()
    review.wang, review.sunny = users[417], users[9]
    return review


def _reassign_url(review) -> str:
    task = db.session.scalars(db.select(ReviewAllocation).where(
        ReviewAllocation.assignment_id == review.assignment.id,
        ReviewAllocation.state == AllocationState.assigned).order_by(ReviewAllocation.id)).first()
    return f"{review.base}/allocation/{task.id}/reassign", task


def test_the_reassign_page_offers_everyone_but_the_pair(crowd, client_as):
    """Without a search, are all 500 students offered but the task's author and everyone who already reviews
    that author (its reviewer and the other one: k = 2), whom the server would refuse?"""
    url, task = _reassign_url(crowd)
    html = client_as(crowd.klass.teacher).get(url).get_data(as_text=True)
    offered = _options(html, "reviewer_id")
    already = set(db.session.scalars(db.select(ReviewAllocation.reviewer_id).where(
        ReviewAllocation.assignment_id == crowd.assignment.id, ReviewAllocation.author_id == task.author_id)))
    assert task.reviewer_id in already and len(already) == 2
    assert len(offered) == 500 - 1 - len(already)
    assert str(task.author_id) not in offered and not already & {int(o) for o in offered}
    assert 'data-pick-filter="reviewer_id"' in html and 'type="search"' in html


@pytest.mark.parametrize("typed", ["xiaoming", "WANG", "SR2026-0417", "sr2026 0417", "ＳＲ２０２６－０４１７", "20260417"])
def test_the_search_finds_by_name_and_number(crowd, client_as, typed):
    """Does ?q= find the student by any part of the name (any case) or by the number typed any way?"""
    url, _ = _reassign_url(crowd)
    response = client_as(crowd.klass.teacher).get(url, query_string={"q": typed})
    assert response.status_code == 200
    assert _options(response.get_data(as_text=True), "reviewer_id") == [str(crowd.wang.id)]


def test_the_search_finds_by_real_name_and_says_when_nothing_matches(crowd, client_as):
    """Is a student found by their real name (staff see it), and does a search matching nobody say so, with
    no wildcard in what was typed?"""
    teacher = client_as(crowd.klass.teacher)
    url, _ = _reassign_url(crowd)
    assert _options(teacher.get(url, query_string={"q": "li hua"}).get_data(as_text=True),
                    "reviewer_id") == [str(crowd.sunny.id)]
    nothing = teacher.get(url, query_string={"q": "%_"}).get_data(as_text=True)
    assert "No student matches the search." in nothing and 'id="reviewer_id"' not in nothing


def test_a_searched_student_takes_the_task(crowd, client_as):
    """After searching, does posting the form (at the searched URL) reassign the task to the student found?"""
    url, task = _reassign_url(crowd)
    teacher = client_as(crowd.klass.teacher)
    assert teacher.post(url + "?q=wang", data={"reviewer_id": str(crowd.wang.id)}).status_code == 302
    assert db.session.scalar(db.select(ReviewAllocation).where(
        ReviewAllocation.assignment_id == crowd.assignment.id, ReviewAllocation.author_id == task.author_id,
        ReviewAllocation.reviewer_id == crowd.wang.id)) is not None


def test_the_allocation_page_narrows_the_add_and_extension_forms(crowd, client_as):
    """On the allocation page, does ?q= narrow the reviewers to add and the students to extend (not the
    authors, who are the five who handed in), and say how many match?"""
    html = client_as(crowd.klass.teacher).get(f"{crowd.base}/allocation", query_string={"q": "0417"}).get_data(
        as_text=True)
    assert _options(html, "reviewer_id") == [str(crowd.wang.id)]
    assert _options(html, "user_id") == [str(crowd.wang.id)]
    assert len(_options(html, "author_id")) == 5
    assert 'data-found="1"' in html
    everyone = client_as(crowd.klass.teacher).get(f"{crowd.base}/allocation").get_data(as_text=True)
    assert len(_options(everyone, "reviewer_id")) == 500


def test_students_cannot_search(crowd, client_as):
    """A student gets 403 for the reassign page and its search (private fields are matched)."""
    url, _ = _reassign_url(crowd)
    assert client_as(crowd.klass.classmate).get(url, query_string={"q": "SR2026"}).status_code == 403
