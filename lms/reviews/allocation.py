"""Who reviews whom: the allocation of peer reviews, a pure function over ids (no database, no Flask).

`allocate` gives every author (someone whose work is to be reviewed) `k` reviews and every reviewer `k`
tasks, balanced to within one on both sides, under three hard rules: nobody reviews themselves, no
(reviewer, author) pair is made twice (pairs of earlier rounds included), and, when groups are given,
nobody reviews a member of their own group.

How (O(n·k) for n people):

1. Targets. Each author needs `k` minus the reviews it already has; each reviewer `k` minus the tasks it
   already has. The round makes T = the larger of the two totals; the side with the smaller total takes
   the extra by water filling (the least loaded first), so with more reviewers than authors (students
   who did not hand in may review) every reviewer still gets `k` tasks and authors get `k` or `k + 1`
   reviews. Nobody is given more than the partners they may be paired with.
2. Construction. The authors' slots, in a shuffled order, pass after pass (an author with 3 reviews to
   get appears in 3 passes), are cut into consecutive runs, one per reviewer (in another shuffled order),
   as long as that reviewer's target. With everyone both author and reviewer this is the shifted circular
   assignment: each run holds distinct authors, each author's slots fall to distinct reviewers, and the
   loads are exact by construction.
3. Repair. A slot that breaks a rule (a reviewer drew themselves, a group mate, an earlier partner, or one
   author twice) swaps its author with another slot's (valid or not) where both slots end valid; swaps
   keep every load and every count of reviews. Few slots need it (about k self-draws in a whole class;
   more with groups: a reviewer drew a group mate).
4. Best possible. What no swap could place is dropped, then each author still short of `k` gets any
   reviewer they may have (the least loaded first), each reviewer short of `k` any author they may review
   (the least reviewed first); then whoever is two or more below the most loaded reviewer of this round
   (or of an earlier round's allocation) gets a task moved to them from one at the top, or one more task
   (a latecomer whose own reviewers had to come from full reviewers). Tasks a teacher added by hand count
   but never set that level. What still cannot be covered is returned as `shortfall`, with how many
   reviewers that author may have at all, so the teacher can be told why.

Later rounds pass the standing pairs as `existing`: newcomers (late work, late joiners) are covered, no
earlier task moves, and the loads stay within one.

Deterministic for a given `seed` (the caller passes one per assignment and round).
"""
from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: random partners tried for a swap (as many again among the broken slots)
_SWAP_TRIES = 48
#: up to this many slots, a slot no random partner mends is tried against every slot; above it, it is left
#: to the best-possible step (so two large groups cost O(n·k), not O(n²))
_FULL_SCAN = 4000


@dataclass(frozen=True)
class Shortfall:
    """An author left with fewer than k reviews: how many are missing, and how many reviewers the rules
    let them have at all (self, group and earlier pairs excluded), which says why."""

    author: int
    missing: int
    eligible: int


@dataclass
class Allocation:
    """The result of one round."""

    #: the new (reviewer, author) pairs, in a stable order
    tasks: list[tuple[int, int]] = field(default_factory=list)
    #: authors still short of k reviews after this round
    shortfall: list[Shortfall] = field(default_factory=list)
    #: reviewer → tasks short of k (nobody left whom they may review)
    idle: dict[int, int] = field(default_factory=dict)
    #: reviewer → tasks after this round (earlier ones included)
    load: dict[int, int] = field(default_factory=dict)
    #: author → reviews after this round (earlier ones included)
    received: dict[int, int] = field(default_factory=dict)

    @property
    def spread(self) -> int:
        """Largest minus smallest load among the reviewers (0 for none)."""
        return max(self.load.values()) - min(self.load.values()) if self.load else 0


def allocate(authors: Iterable[int], reviewers: Iterable[int], k: int, *,
             existing: Iterable[tuple[int, int]] = (), by_hand: Iterable[tuple[int, int]] = (),
             avoid: Iterable[tuple[int, int]] = (), groups: Mapping[int, Hashable] | None = None,
             seed: int | str = 0) -> Allocation:
    """Allocate one round of reviews.

    - `authors`: ids whose work is to be reviewed (each should end with at least `k` reviews);
    - `reviewers`: ids who review (each should end with at least `k` tasks); usually the authors, plus
      people who did not hand in when they may review, plus later arrivals in later rounds;
    - `existing`: (reviewer, author) pairs of earlier rounds that still stand: they count in the loads
      and are never made again;
    - `by_hand`: pairs a teacher made that still stand: they count and are never made again too, but a
      reviewer's extra task by hand does not set the level others are balanced to;
    - `avoid`: pairs never to make that do not count (tasks taken away from a reviewer);
    - `groups`: id → group; members of one group never review each other (None: no groups);
    - `seed`: makes the shuffles, and so the result, reproducible.

    Raises ValueError for k < 1.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    rng = random.Random(seed)
    authors = list(dict.fromkeys(authors))
    reviewers = list(dict.fromkeys(reviewers))
    group_of = dict(groups or {})
    author_set, reviewer_set = set(authors), set(reviewers)
    taken: set[tuple[int, int]] = set(avoid)
    load: Counter[int] = Counter({r: 0 for r in reviewers})
    received: Counter[int] = Counter({a: 0 for a in authors})
    has: dict[int, set[int]] = defaultdict(set)  # reviewer → authors they review (earlier rounds too)
    level = 0  # the most tasks a reviewer has from earlier rounds' allocation (by hand left out)
    allocated: Counter[int] = Counter()
    for pairs, counts_for_level in ((existing, True), (by_hand, False)):
        for r, a in pairs:
            if (r, a) in taken:
                continue
            taken.add((r, a))
            has[r].add(a)
            if r in reviewer_set:
                load[r] += 1
                if counts_for_level:
                    allocated[r] += 1
            if a in author_set:
                received[a] += 1
    level = max(allocated.values(), default=0)

    def allowed(r: int, a: int) -> bool:
        if r == a or (r, a) in taken:
            return False
        g = group_of.get(r)
        return g is None or g != group_of.get(a)

    eligible_for_author, eligible_for_reviewer = _eligibility(authors, reviewers, taken, group_of)

    # 1. targets
    need = {a: min(max(k - received[a], 0), eligible_for_author[a]) for a in authors}
    give = {r: min(max(k - load[r], 0), eligible_for_reviewer[r]) for r in reviewers}
    total = max(sum(need.values()), sum(give.values()))
    rank_a = _ranks(authors, rng)
    rank_r = _ranks(reviewers, rng)
    _water_fill(need, received, eligible_for_author, total - sum(need.values()), rank_a)
    _water_fill(give, load, eligible_for_reviewer, total - sum(give.values()), rank_r)

    # 2. construction: the authors' slots pass after pass, cut into one run per reviewer
    order_a = sorted(authors, key=lambda a: (-need[a], rank_a[a]))
    slots_author: list[int] = []
    for t in range(max(need.values(), default=0)):
        slots_author.extend(a for a in order_a if need[a] > t)
    order_r = sorted(reviewers, key=rank_r.__getitem__)
    slots_reviewer: list[int] = []
    for r in order_r:
        slots_reviewer.extend([r] * give[r])
    n = min(len(slots_author), len(slots_reviewer))  # equal unless caps bit on one side
    slots_author, slots_reviewer = slots_author[:n], slots_reviewer[:n]
    ok = [False] * n
    bad: list[int] = []
    for s in range(n):
        r, a = slots_reviewer[s], slots_author[s]
        if a not in has[r] and allowed(r, a):
            has[r].add(a)
            ok[s] = True
        else:
            bad.append(s)

    # 3. repair by swapping authors between two slots (loads and counts unchanged)
    def fits(r: int, a: int) -> bool:
        return a not in has[r] and allowed(r, a)

    def swap(s: int) -> bool:
        """Exchange slot s's author with another slot's, valid or not, where both end valid. Partners are
        tried at random among all slots and among the broken ones (two broken slots often mend each other:
        with two large groups, a reviewer of each drew a mate), then, in a small class, every slot."""
        r, a = slots_reviewer[s], slots_author[s]
        tries = [rng.randrange(n) for _ in range(_SWAP_TRIES)] + [bad[rng.randrange(len(bad))]
                                                                  for _ in range(_SWAP_TRIES)]
        for candidates in (tries, range(n) if n <= _FULL_SCAN else ()):
            for t in candidates:
                r2, b = slots_reviewer[t], slots_author[t]
                if t == s or r2 == r or b == a or not fits(r, b):
                    continue
                if ok[t]:
                    has[r2].discard(b)
                if fits(r2, a):
                    has[r2].add(a)
                    has[r].add(b)
                    slots_author[s], slots_author[t] = b, a
                    ok[s] = ok[t] = True
                    return True
                if ok[t]:
                    has[r2].add(b)
        return False

    for s in bad:
        if not ok[s]:  # an earlier swap may have mended it
            swap(s)
    new: dict[tuple[int, int], None] = {(slots_reviewer[s], slots_author[s]): None for s in range(n) if ok[s]}
    for r, a in new:
        load[r] += 1
        received[a] += 1

    # 4. best possible: cover what is short, then narrow the spread
    _cover_authors(authors, reviewers, k, received, load, has, allowed, new, rank_r)
    _cover_reviewers(authors, reviewers, k, received, load, has, allowed, new, rank_a)
    _narrow(authors, reviewers, received, load, has, allowed, new, rank_a, rank_r, level)

    return Allocation(
        tasks=list(new),
        shortfall=[Shortfall(a, k - received[a], eligible_for_author[a]) for a in authors if received[a] < k],
        idle={r: k - load[r] for r in reviewers if load[r] < k},
        load=dict(load), received=dict(received))


def _ranks(ids: Sequence[int], rng: random.Random) -> dict[int, int]:
    order = list(ids)
    rng.shuffle(order)
    return {x: i for i, x in enumerate(order)}


def _eligibility(authors, reviewers, taken, group_of) -> tuple[dict[int, int], dict[int, int]]:
    """How many reviewers each author may have, and how many authors each reviewer may review (self,
    group mates and pairs already made excluded), counted without looking at every pair."""
    author_set, reviewer_set = set(authors), set(reviewers)
    groups_r = Counter(group_of[r] for r in reviewers if group_of.get(r) is not None)
    groups_a = Counter(group_of[a] for a in authors if group_of.get(a) is not None)
    made_a: Counter[int] = Counter()
    made_r: Counter[int] = Counter()
    for r, a in taken:
        if r == a:
            continue
        g = group_of.get(r)
        if g is not None and g == group_of.get(a):
            continue
        if r in reviewer_set:
            made_a[a] += 1
        if a in author_set:
            made_r[r] += 1
    for_author = {}
    for a in authors:
        g = group_of.get(a)
        blocked = groups_r[g] if g is not None else 0
        if a in reviewer_set and g is None:
            blocked += 1  # themselves (counted in their group otherwise)
        for_author[a] = max(len(reviewers) - blocked - made_a[a], 0)
    for_reviewer = {}
    for r in reviewers:
        g = group_of.get(r)
        blocked = groups_a[g] if g is not None else 0
        if r in author_set and g is None:
            blocked += 1
        for_reviewer[r] = max(len(authors) - blocked - made_r[r], 0)
    return for_author, for_reviewer


def _water_fill(target: dict[int, int], level: Mapping[int, int], cap: Mapping[int, int], extra: int,
                rank: Mapping[int, int]) -> None:
    """Add `extra` units to `target`, one at a time to the id with the lowest level + target (ties by
    rank), never above `cap`."""
    if extra <= 0:
        return
    heap = [(level[x] + t, rank[x], x) for x, t in target.items() if t < cap[x]]
    heapq.heapify(heap)
    while extra and heap:
        _, r, x = heapq.heappop(heap)
        target[x] += 1
        extra -= 1
        if target[x] < cap[x]:
            heapq.heappush(heap, (level[x] + target[x], r, x))


def _cover_authors(authors, reviewers, k, received, load, has, allowed, new, rank_r) -> None:
    """Give each author still short of k any reviewer they may have, the least loaded first."""
    short = [a for a in authors if received[a] < k]
    if not short:
        return
    heap = [(load[r], rank_r[r], r) for r in reviewers]
    heapq.heapify(heap)
    for a in short:
        while received[a] < k:
            r = _pop_first(heap, lambda r: a not in has[r] and allowed(r, a))
            if r is None:
                break
            has[r].add(a)
            new[(r, a)] = None
            load[r] += 1
            received[a] += 1
            heapq.heappush(heap, (load[r], rank_r[r], r))


def _cover_reviewers(authors, reviewers, k, received, load, has, allowed, new, rank_a) -> None:
    """Give each reviewer still short of k any author they may review, the least reviewed first."""
    short = [r for r in reviewers if load[r] < k]
    if not short:
        return
    heap = [(received[a], rank_a[a], a) for a in authors]
    heapq.heapify(heap)
    for r in short:
        while load[r] < k:
            a = _pop_first(heap, lambda a: a not in has[r] and allowed(r, a))
            if a is None:
                break
            has[r].add(a)
            new[(r, a)] = None
            load[r] += 1
            received[a] += 1
            heapq.heappush(heap, (received[a], rank_a[a], a))


def _pop_first(heap: list, fits) -> int | None:
    """Pop the first entry of `heap` whose id `fits`, putting back the ones skipped; None when none fits."""
    skipped = []
    found = None
    while heap:
        entry = heapq.heappop(heap)
        if fits(entry[2]):
            found = entry[2]
            break
        skipped.append(entry)
    for entry in skipped:
        heapq.heappush(heap, entry)
    return found


def _narrow(authors, reviewers, received, load, has, allowed, new, rank_a, rank_r, level: int) -> None:
    """Bring every reviewer within one of the ceiling: the most tasks of a reviewer given tasks this round,
    or the most an earlier round's allocation gave (`level`). While someone is two or more below it: move a
    task of this round from a reviewer at the ceiling to them (the author keeps its review; only who writes
    it changes), or, when none can move, give them one task more, of the least reviewed author they may
    review (a latecomer whose own reviewers had to be taken from full reviewers). Tasks added by hand do not
    raise the ceiling: a round never hands everyone an extra task to match them."""
    mine: dict[int, list[int]] = defaultdict(list)  # reviewer → authors of this round's tasks
    for r, a in new:
        mine[r].append(a)

    def give(taker: int, a: int) -> None:
        new[(taker, a)] = None
        mine[taker].append(a)
        has[taker].add(a)
        load[taker] += 1

    while True:
        ceiling = max(level, max((load[r] for r, tasks in mine.items() if tasks), default=0))
        takers = sorted((r for r in reviewers if load[r] <= ceiling - 2), key=lambda r: (load[r], rank_r[r]))
        if not takers:
            return  # the common case: the construction is balanced
        donors = [r for r, tasks in mine.items() if tasks and load[r] == ceiling]
        by_received = [(received[a], rank_a[a], a) for a in authors]
        heapq.heapify(by_received)
        progressed = False
        for taker in takers:
            while load[taker] <= ceiling - 2:
                move = next(((d, a) for d in donors if load[d] == ceiling for a in mine[d]
                             if a not in has[taker] and allowed(taker, a)), None)
                if move is not None:
                    donor, a = move
                    del new[(donor, a)]
                    mine[donor].remove(a)
                    has[donor].discard(a)
                    load[donor] -= 1
                    give(taker, a)
                else:
                    a = _pop_first(by_received, lambda a: a not in has[taker] and allowed(taker, a))
                    if a is None:
                        break
                    give(taker, a)
                    received[a] += 1
                    heapq.heappush(by_received, (received[a], rank_a[a], a))
                progressed = True
        if not progressed:
            return
