"""Properties of the peer-review allocation (lms/reviews/allocation.py) on many random classes: sizes, k,
groups, students who did not hand in, and late arrivals in later rounds."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.reviews.allocation import allocate

PROPERTIES = settings(max_examples=300, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow])


def check_rules(result, k, authors, reviewers, *, existing=(), groups=None):
    """The hard rules every result keeps, and its counts add up."""
    groups = groups or {}
    made = set(existing)
    assert len(result.tasks) == len(set(result.tasks)), "a pair made twice in one round"
    for r, a in result.tasks:
        assert r != a, "someone reviews themselves"
        assert (r, a) not in made, "a pair of an earlier round made again"
        assert r in reviewers and a in authors
        if groups.get(r) is not None:
            assert groups[r] != groups.get(a), "group mates review each other"
    every = list(made) + result.tasks
    load = Counter(r for r, _ in every if r in reviewers)
    received = Counter(a for _, a in every if a in authors)
    assert result.load == {r: load[r] for r in reviewers}
    assert result.received == {a: received[a] for a in authors}
    short = {s.author: s.missing for s in result.shortfall}
    assert short == {a: k - received[a] for a in authors if received[a] < k}
    assert result.idle == {r: k - load[r] for r in reviewers if load[r] < k}


def spread(values) -> int:
    values = list(values)
    return max(values) - min(values) if values else 0


classes = st.integers(min_value=1, max_value=60)
ks = st.integers(min_value=1, max_value=6)
seeds = st.integers(min_value=0, max_value=2**32)


@PROPERTIES
@given(n=classes, k=ks, extra=st.integers(min_value=0, max_value=30), seed=seeds)
def test_first_round_covers_everyone_balanced(n, k, extra, seed):
    """With n authors who all review, plus `extra` who did not hand in but may review: does every author
    get k reviews and every reviewer k tasks, balanced within one on both sides, when n ≥ k + 1; and,
    with fewer, everyone they may have, the rest reported?"""
    authors = list(range(n))
    reviewers = authors + list(range(1000, 1000 + extra))
    result = allocate(authors, reviewers, k, seed=seed)
    check_rules(result, k, set(authors), set(reviewers))
    if n >= k + 1:
        assert result.shortfall == []
        assert min(result.received.values()) >= k
        assert min(result.load.values()) >= k
        assert spread(result.load.values()) <= 1
        assert spread(result.received.values()) <= 1
    else:
        # Each author may only have the n - 1 classmates and the extras.
        for a in authors:
            assert result.received[a] >= min(k, n - 1 + extra)
        for r in reviewers:  # a reviewer may review every author but themselves
            assert result.load[r] >= min(k, n - (r in authors))
        assert {s.author for s in result.shortfall} == {a for a in authors if n - 1 + extra < k}
        assert all(s.eligible == n - 1 + extra for s in result.shortfall)


@PROPERTIES
@given(n=classes, k=ks, group_size=st.integers(min_value=1, max_value=8), seed=seeds, data=st.data())
def test_group_mates_never_review_each_other(n, k, group_size, seed, data):
    """With groups (random sizes up to `group_size`, some students in none): is no pair inside a group, and
    does every author get k reviews when the rules leave them at least k possible reviewers?"""
    people = list(range(n))
    groups = {p: data.draw(st.one_of(st.none(), st.integers(0, max(n // group_size, 0))), label=f"g{p}")
              for p in people}
    result = allocate(people, people, k, groups=groups, seed=seed)
    check_rules(result, k, set(people), set(people), groups=groups)
    for a in people:
        mates = sum(1 for p in people if p != a and (groups[a] is None or groups[p] != groups[a]))
        assert result.received[a] >= min(k, mates)
    short = {s.author: s for s in result.shortfall}
    assert all(short[a].eligible < k for a in short)


@PROPERTIES
@given(n=st.integers(min_value=1, max_value=60), late=st.integers(min_value=1, max_value=20), k=ks,
       seed=seeds)
def test_late_arrivals_are_covered_in_a_later_round(n, late, k, seed):
    """After a first round over n on-time authors, `late` people hand in: does the next round give each of
    them k reviews and k tasks, make no pair again, and keep the reviewers' loads within one of each other?"""
    first_authors = list(range(n))
    first = allocate(first_authors, first_authors, k, seed=seed)
    everyone = first_authors + list(range(500, 500 + late))
    second = allocate(everyone, everyone, k, existing=first.tasks, seed=seed + 1)
    check_rules(second, k, set(everyone), set(everyone), existing=first.tasks)
    total = n + late
    if total >= k + 1:
        assert second.shortfall == []
        assert min(second.load.values()) >= k
        if n >= k + 1:
            # Reviewers' loads stay within one; an on-time submission may get a review more than k, as the
            # latecomers' own k tasks must go somewhere.
            assert spread(second.load.values()) <= 1
    else:
        assert all(second.received[a] == total - 1 for a in everyone)


@PROPERTIES
@given(n=st.integers(min_value=2, max_value=40), k=ks, seed=seeds,
       rounds=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=4))
def test_several_hourly_rounds_keep_the_balance(n, k, seed, rounds):
    """Late students arriving over several rounds (a few each hour): is everyone covered after each round
    once the class is big enough, with no pair repeated and loads within one?"""
    people = list(range(n))
    tasks = allocate(people, people, k, seed=seed).tasks
    next_id = 1000
    for i, arriving in enumerate(rounds):
        people += list(range(next_id, next_id + arriving))
        next_id += arriving
        result = allocate(people, people, k, existing=tasks, seed=seed + i + 1)
        check_rules(result, k, set(people), set(people), existing=tasks)
        tasks = tasks + result.tasks
        if n >= k + 1:
            assert result.shortfall == [] and min(result.load.values()) >= k
            assert spread(result.load.values()) <= 1


@PROPERTIES
@given(n=classes, k=ks, seed=seeds)
def test_the_same_seed_gives_the_same_allocation(n, k, seed):
    """Is the allocation reproducible from its seed?"""
    people = list(range(n))
    assert allocate(people, people, k, seed=seed).tasks == allocate(people, people, k, seed=seed).tasks


def test_avoided_pairs_are_not_made_and_do_not_count():
    """Does a pair to avoid (a task taken from a reviewer) stay unmade without counting as a task?"""
    people = list(range(5))
    result = allocate(people, people, 3, avoid=[(0, 1)], seed=3)
    assert (0, 1) not in result.tasks
    assert result.load[0] >= 3 and result.shortfall == []


def test_k_below_one_is_refused():
    with pytest.raises(ValueError):
        allocate([1, 2], [1, 2], 0)


def test_a_task_added_by_hand_does_not_raise_everyone():
    """After a teacher gave one reviewer an extra task by hand, does the next round leave the others at k
    instead of handing everyone a task more to match?"""
    people = list(range(30))
    first = allocate(people, people, 3, seed=1)
    extra = next((r, a) for r in people for a in people if r != a and (r, a) not in set(first.tasks))
    late = list(range(100, 104))
    result = allocate(people + late, people + late, 3, existing=first.tasks, by_hand=[extra], seed=2)
    # The four latecomers review each other; nobody else is raised to match the task by hand.
    assert result.load == {p: 4 if p == extra[0] else 3 for p in people + late}
    assert extra not in result.tasks


def test_two_large_groups_never_mix_and_stay_balanced():
    """With the class split in two groups of 300 (two sections), is every submission reviewed 3 times by the
    other section only, with loads within one?"""
    people = list(range(600))
    groups = {p: p % 2 for p in people}
    result = allocate(people, people, 3, groups=groups, seed=5)
    assert result.shortfall == [] and result.spread <= 1
    assert all(groups[r] != groups[a] for r, a in result.tasks)
