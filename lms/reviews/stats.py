"""The arithmetic of peer scores, as plain functions over numbers (no database): the median and spread per
criterion, the flags a teacher should look at, a reviewer's accuracy against a reference, and the final
grade made of the teacher's part, the score received and reviewing well.

Sources. The two peer parts of the grade follow Moodle's Workshop module: its "grade for submission"
(here: the peer score received, the median of the reviews, weighted by the reviewers' accuracy when
calibration gives one) and its "grade for assessment" (here: reviewing well — the reviewer's accuracy
figure, or, without calibration, the share of their tasks they completed). Moodle's grading grade compares
a reviewer's assessment with a reference one criterion by criterion; `accuracy` does the same, as 100 less
the mean distance per criterion in percent of the criterion's points (Moodle's "comparison of
assessments" with its strictness at "fair": a linear loss).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median as _median

#: a review's total further than this share of the points from the median of the reviews is "far"
FAR_SHARE = 0.25
#: without the teacher's minimum, a review whose written words (overall comment and pinned comments
#: together, counted by `word_count`) are fewer than this is "too short" (about 40 characters of English)
SHORT_WORDS = 8
#: below this many reviews, no review is called far from the others
FAR_MIN_REVIEWS = 3


def _is_cjk(char: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Japanese kana, Korean
    syllables), where one character carries about what one English word does."""
    code = ord(char)
    return (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3FFFF  # Han
            or 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF  # kana
            or 0xAC00 <= code <= 0xD7AF)  # Hangul syllables


def word_count(text: str) -> int:
    """How many words `text` has, fairly across languages: every Chinese, Japanese or Korean character counts
    as a word (those scripts put no spaces between words, and a character says about what an English word
    does), and every other run of letters or digits counts as one word. Punctuation and spaces count for
    nothing. "Good timing" → 2; "节奏很好" → 4; "节奏 good" → 3."""
    count, in_word = 0, False
    for char in text or "":
        if _is_cjk(char):
            count += 1
            in_word = False
        elif char.isalnum():
            if not in_word:
                count += 1
            in_word = True
        else:
            in_word = False
    return count


def median(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return float(_median(values)) if values else None


def weighted_median(pairs) -> float | None:
    """The weighted median of (value, weight) pairs: the smallest value where the running weight reaches
    half of the total (the lower median on a tie; the mean of the two middle values when it falls exactly
    between them). Weights at or below zero do not count; with no positive weight, the plain median."""
    pairs = [(float(v), float(w)) for v, w in pairs if v is not None]
    if not pairs:
        return None
    weighted = sorted((v, w) for v, w in pairs if w > 0)
    if not weighted:
        return median(v for v, _ in pairs)
    total = sum(w for _, w in weighted)
    running = 0.0
    for index, (value, weight) in enumerate(weighted):
        running += weight
        if abs(running - total / 2) < 1e-9 and index + 1 < len(weighted):
            return (value + weighted[index + 1][0]) / 2
        if running > total / 2:
            return value
    return weighted[-1][0]


def spread(values) -> float | None:
    """The range (highest less lowest) of the values, or None with none."""
    values = [float(v) for v in values if v is not None]
    return max(values) - min(values) if values else None


@dataclass
class ReviewFacts:
    """One submitted review, as the statistics need it."""

    id: int
    reviewer_id: int
    scores: dict  #: {criterion key: points}
    words: int = 0  #: words (word_count) of the overall comment and the pinned comments together
    seconds: float | None = None  #: from the start of the review to its submission
    weight: float = 1.0  #: the reviewer's weight (accuracy / 100 with calibration; else 1)
    chars: int | None = None  #: characters (spaces trimmed) of the overall comment and the pinned comments

    @property
    def total(self) -> float:
        return float(sum(float(v) for v in self.scores.values() if v is not None))


@dataclass
class SubmissionStats:
    """The peer scores of one submission."""

    reviews: list[ReviewFacts]
    medians: dict = field(default_factory=dict)  #: {criterion key: (weighted) median}
    spreads: dict = field(default_factory=dict)  #: {criterion key: range}
    total: float | None = None  #: the sum of the medians (the peer score, in the rubric's points)
    total_spread: float | None = None
    flags: dict = field(default_factory=dict)  #: {review id: ["far", "short", "fast"]}

    @property
    def flag_count(self) -> int:
        return sum(len(v) for v in self.flags.values())


def is_short(review: ReviewFacts, min_chars: int | None = None) -> bool:
    """Is the review "too short"? With the teacher's minimum comment length (`min_chars`, the set-up's
    comment_min_length, in characters as the hand-in counts them), when its written characters (overall and
    pinned comments together) are fewer; without one, when it has fewer than SHORT_WORDS words (word_count:
    a Chinese character counts as a word, so Chinese is not held to an English length)."""
    if min_chars and review.chars is not None:
        return review.chars < min_chars
    return review.words < SHORT_WORDS


def submission_stats(reviews: list[ReviewFacts], criteria: dict, *, video_seconds: float | None = None,
                     weighted: bool = False, min_chars: int | None = None) -> SubmissionStats:
    """Medians, spreads and flags of the reviews of one submission. `criteria`: {key: points} of the rubric
    reviewers scored with. A review is flagged "far" when its total is further than FAR_SHARE of the
    rubric's points from the median total of all the reviews (with FAR_MIN_REVIEWS reviews or more: the
    median of three is not pulled by one outlier, as the mean would be),
    "short" by `is_short` (the teacher's minimum length `min_chars` when set, else SHORT_WORDS words),
    "fast" when it was submitted in less time than the video lasts. `weighted`: medians weighted by each
    review's weight."""
    stats = SubmissionStats(reviews)
    for key in criteria:
        values = [(r.scores.get(key), r.weight if weighted else 1.0) for r in reviews]
        stats.medians[key] = weighted_median(values)
        stats.spreads[key] = spread(v for v, _ in values)
    known = [v for v in stats.medians.values() if v is not None]
    stats.total = round(sum(known), 4) if known else None
    stats.total_spread = spread(r.total for r in reviews)
    points = sum(criteria.values()) or 0
    middle = median(r.total for r in reviews)
    for review in reviews:
        flags = []
        if len(reviews) >= FAR_MIN_REVIEWS and points and abs(review.total - middle) > FAR_SHARE * points:
            flags.append("far")
        if is_short(review, min_chars):
            flags.append("short")
        if video_seconds and review.seconds is not None and review.seconds < video_seconds:
            flags.append("fast")
        if flags:
            stats.flags[review.id] = flags
    return stats


def accuracy(scores: dict, reference: dict, criteria: dict) -> float | None:
    """How close `scores` came to the `reference` scores, in percent: 100 less the mean, over the criteria
    both score, of the distance in percent of each criterion's points (Moodle's grading grade, linear).
    None when they share no criterion."""
    distances = []
    for key, points in criteria.items():
        mine, ref = scores.get(key), reference.get(key)
        if mine is None or ref is None or not points:
            continue
        distances.append(min(1.0, abs(float(mine) - float(ref)) / float(points)))
    if not distances:
        return None
    return round(100 * (1 - sum(distances) / len(distances)), 2)


def per_criterion_closeness(scores: dict, reference: dict, criteria: dict) -> dict:
    """{key: {"mine", "reference", "difference"}} for the practice review's feedback."""
    return {key: {"mine": scores.get(key), "reference": reference.get(key),
                  "difference": (None if scores.get(key) is None or reference.get(key) is None
                                 else float(scores[key]) - float(reference[key]))}
            for key in criteria}


def completion(submitted: int, assigned: int) -> float:
    """Reviewing well without calibration: the share (0–1) of the reviewer's tasks handed in (1 with none)."""
    return 1.0 if assigned <= 0 else min(1.0, submitted / assigned)


def final_fraction(peer: float | None, reviewing: float | None, *, score_share: float, reviewing_share: float,
                   teacher: float | None = None) -> float | None:
    """The assignment's grade as a fraction (0–1) of its points.

    `peer`: the peer score received (Moodle's grade for submission) as a fraction of the rubric's points;
    `reviewing`: reviewing well (Moodle's grade for assessment: accuracy / 100, or completion) as a fraction;
    `teacher`: the teacher's own assessment as a fraction, or None when the teacher accepts the peer score,
    which then also stands for the teacher's part. The shares are percents of the grade (settings'
    score_share and reviewing_share); the rest is the teacher's part. None without a peer score and a
    teacher's. Example: shares 60 and 20, peer 0.8, reviewing 0.5, teacher 0.9:
    0.2 × 0.9 + 0.6 × 0.8 + 0.2 × 0.5 = 0.76."""
    if peer is None and teacher is None:
        return None
    s, r = max(0.0, score_share) / 100, max(0.0, reviewing_share) / 100
    rest = max(0.0, 1 - s - r)
    own = teacher if teacher is not None else peer
    received = peer if peer is not None else own
    return max(0.0, min(1.0, rest * own + s * received + r * (reviewing if reviewing is not None else 0.0)))
