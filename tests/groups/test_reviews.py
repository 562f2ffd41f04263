"""Peer review with real groups: the group source the app registers, the allocation's group rule, and the
set-up page offering the rule only where the circle has groups."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from lms.extensions import db
from lms.groups import operations as ops
from lms.reviews.groups import groups_for
from lms.reviews.models import ReviewAllocation
from tests.reviews.conftest import run_periodic, turn_on


def _tasks(review) -> list[ReviewAllocation]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(ReviewAllocation)
                                   .where(ReviewAllocation.assignment_id == review.assignment.id)))


def test_groups_for_answers_the_circles_groups(review):
    """Does peer review's groups_for give user id → group id for the people in a group now, and nobody else?"""
    teacher, students = review.klass.teacher, review.students
    a = ops.create_group(review.klass.circle, teacher, "A")
    ops.add_members(a, teacher, [students[0].id, students[1].id])
    db.session.commit()
    assert groups_for(review.assignment) == {students[0].id: a.id, students[1].id: a.id}


def test_a_round_never_pairs_group_mates(app, review, hw, make):
    """With the group rule on and 12 students split at random into 3 groups, does the first round give every
    on-time work 3 reviews and never pair two members of one group?"""
    circle, teacher = review.klass.circle, review.klass.teacher
    for i in range(7):
        student = make.member(circle, make.user(f"Mover {i}")).user
        hw.submission(review.assignment, student, text="work", now=review.due - timedelta(minutes=30))
    ops.split_randomly(circle, teacher, 3, "Team")
    db.session.commit()
    together = groups_for(review.assignment)
    assert len(together) == 12 and sorted(Counter(together.values()).values()) == [4, 4, 4]
    turn_on(review, separate_groups=True)
    run_periodic(app)
    tasks = _tasks(review)
    assert tasks
    assert all(together[t.reviewer_id] != together[t.author_id] for t in tasks)
    assert set(Counter(t.author_id for t in tasks).values()) == {3}


def test_without_the_rule_group_mates_may_review_each_other(app, review):
    """Is the rule the teacher's choice: with it off, is a group of everyone no obstacle?"""
    everyone = ops.create_group(review.klass.circle, review.klass.teacher, "All")
    ops.add_members(everyone, review.klass.teacher, [s.id for s in review.students])
    db.session.commit()
    turn_on(review)
    run_periodic(app)
    assert len(_tasks(review)) == 15


def test_the_setup_offers_the_group_rule_only_with_groups(review, client_as):
    """Does the peer-review set-up offer "members of one group never review each other" only once the circle
    has people in groups (and say where groups are made before)?"""
    teacher = client_as(review.klass.teacher)
    html = teacher.get(review.base).get_data(as_text=True)
    assert 'name="separate_groups"' not in html
    assert "This circle has no groups." in html
    group = ops.create_group(review.klass.circle, review.klass.teacher, "A")
    ops.add_members(group, review.klass.teacher, [review.students[0].id])
    db.session.commit()
    html = teacher.get(review.base).get_data(as_text=True)
    assert 'name="separate_groups"' in html and "This circle has no groups." not in html
