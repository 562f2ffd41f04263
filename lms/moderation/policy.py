"""What a circle lets its members write: held for review (word list, first posts), refused (links), and how
often (per-member rate limits and flood protection). Every writing domain calls it (feed posts and comments,
homework video comments, check-in comments, chat, reports); it imports no content domain.
"""
from __future__ import annotations

import math
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from limits import RateLimitItem, parse
from werkzeug.exceptions import Forbidden, TooManyRequests

from lms.accounts.models import User
from lms.circles.models import Circle, Membership
from lms.core.inputs import comparison_key
from lms.extensions import db, limiter
from lms.moderation import notifications
from lms.moderation.models import ApprovedWriter, CircleModeration, Report, ReportKind, ReportReason


class WriteAction:
    """Every way to write that is rate limited (one constant each, never a string at a call site)."""

    post = "post"
    comment = "comment"
    chat = "chat"
    report = "report"
    video_comment = "video_comment"
    checkin_comment = "checkin_comment"


WRITE_ACTIONS = frozenset({WriteAction.post, WriteAction.comment, WriteAction.chat, WriteAction.report,
                           WriteAction.video_comment, WriteAction.checkin_comment})

#: the site's per-member limits by action; a circle's owner may set posts, comments and chat per member
DEFAULT_LIMITS = {
    WriteAction.post: "20 per hour",
    WriteAction.comment: "120 per hour",
    WriteAction.chat: "30 per minute",
    WriteAction.report: "30 per hour",
    WriteAction.video_comment: "120 per hour",
    WriteAction.checkin_comment: "120 per hour",
}
#: flood protection: a burst no person types by hand, whatever the circle's settings
FLOOD_LIMITS = {
    WriteAction.post: "3 per 10 seconds",
    WriteAction.comment: "5 per 10 seconds",
    WriteAction.chat: "8 per 10 seconds",
    WriteAction.report: "5 per 10 seconds",
    WriteAction.video_comment: "6 per 10 seconds",
    WriteAction.checkin_comment: "5 per 10 seconds",
}
#: which circle setting overrides which action's limit, and its period
_CIRCLE_LIMITS = {WriteAction.post: ("posts_per_hour", "hour"), WriteAction.comment: ("comments_per_hour", "hour"),
                  WriteAction.checkin_comment: ("comments_per_hour", "hour"),
                  WriteAction.video_comment: ("comments_per_hour", "hour"),
                  WriteAction.chat: ("chat_per_minute", "minute")}

_HELD_WORD_LIST = "word_list"
_HELD_FIRST_POST = "first_post"

#: a link as people write one: a scheme, "www.", or a host with a common top-level domain
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|cn|io|co|me|info|biz|xyz|top|cc|tv|ly|gl|link|site|online|shop|app|dev|tk|ru|hk|tw|us|uk)\b)",
    re.IGNORECASE)
_ASCII_WORD = re.compile(r"[a-z0-9' -]+")


@dataclass(frozen=True)
class Screening:
    held: bool  #: keep for review: not shown to others until staff approve
    reason: str | None  #: "word_list" | "first_post" | None
    refused: str | None  #: a translated message when the text is refused outright
    #: the listed words found in the text (held for the word list), as the staff listed them
    words: tuple[str, ...] = ()


PASS = Screening(held=False, reason=None, refused=None)


class WriteRateLimited(TooManyRequests):
    """Too many writes: a 429 whose page (or JSON) says how long to wait (lms.core.errors renders it)."""

    lms_message = True

    def __init__(self, seconds: int):
        super().__init__(description=write_wait_message(seconds), retry_after=seconds)


def write_wait_message(seconds: int) -> str:
    """"You are writing faster than this circle allows. Try again in 20 seconds.": said to a member, not the
    sign-in's "too many attempts" (which reads as if something was wrong with their account)."""
    if seconds < 60:
        return ngettext("You are writing faster than this circle allows. Try again in %(num)d second.",
                        "You are writing faster than this circle allows. Try again in %(num)d seconds.", seconds)
    if seconds < 2 * 3600:
        return ngettext("You are writing faster than this circle allows. Try again in %(num)d minute.",
                        "You are writing faster than this circle allows. Try again in %(num)d minutes.",
                        math.ceil(seconds / 60))
    return ngettext("You are writing faster than this circle allows. Try again in %(num)d hour.",
                    "You are writing faster than this circle allows. Try again in %(num)d hours.",
                    math.ceil(seconds / 3600))


def settings_of(circle: Circle) -> CircleModeration | None:
    """The circle's moderation settings row, or None (the defaults); read once per circle object."""
    cache = circle.__dict__.setdefault("_moderation_settings", [])
    if not cache:
        cache.append(db.session.get(CircleModeration, circle.id))
    return cache[0]


def forget_settings(circle: Circle) -> None:
    circle.__dict__.pop("_moderation_settings", None)


def normalize(text: str | None) -> str:
    """Text as it is compared with the word list: NFKC, case-folded, invisible characters dropped and white
    space collapsed (lms.core.inputs.comparison_key), so "ＢＡＤ", "bad" and "b\u200bad" are one word."""
    return comparison_key(text)


def matched_word(words: list[str], text: str) -> str | None:
    """The first listed word found in `text`, or None (matched_words)."""
    found = matched_words(words, text)
    return found[0] if found else None


def matched_words(words: list[str], text: str) -> list[str]:
    """The listed words found in `text`, in the list's order, each once. Words of Latin letters and digits match
    whole words ("ass" is not found in "class"); any other word (Chinese and Japanese have no word boundaries)
    matches as a substring."""
    normalized = normalize(text)
    if not normalized:
        return []
    found = []
    for word in words:
        key = normalize(word)
        if not key or word in found:
            continue
        if _ASCII_WORD.fullmatch(key):
            if re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", normalized):
                found.append(word)
        elif key in normalized or key.replace(" ", "") in normalized.replace(" ", ""):
            found.append(word)
    return found


def has_link(text: str | None) -> bool:
    return bool(_LINK.search(unicodedata.normalize("NFKC", text or "")))


def _is_staff(circle: Circle, membership: Membership | None, user: User | None) -> bool:
    if membership is not None and membership.is_active and membership.is_staff:
        return True
    return circle.can_manage_members(user) if user is not None else False


def screen(circle: Circle, membership: Membership | None, text: str) -> Screening:
    """Whether `text`, about to be written in `circle` by `membership`'s person, is refused (links where the
    circle allows none), held for review (a listed word; a new member's first post when the owner asks for
    approval) or passes. The circle's staff (and its overseers) always pass. Reads at most two rows."""
    user = membership.user if membership is not None else None
    if _is_staff(circle, membership, user):
        return PASS
    settings = settings_of(circle)
    if settings is None:
        return PASS
    if not settings.links_allowed and has_link(text):
        return Screening(held=False, reason=None, refused=_("Links are not allowed in this circle."))
    listed = matched_words(settings.words, text) if settings.words else []
    if listed:
        return Screening(held=True, reason=_HELD_WORD_LIST, refused=None, words=tuple(listed))
    if (settings.first_posts_since is not None and membership is not None
            and membership.joined_at >= settings.first_posts_since
            and db.session.get(ApprovedWriter, (circle.id, membership.user_id)) is None):
        return Screening(held=True, reason=_HELD_FIRST_POST, refused=None)
    return PASS


def record_hold(circle: Circle, kind: str, object_id: int, author_id: int, screening: Screening,
                text: str = "") -> Report:
    """After a writing domain stored something `screen` held (hidden from all but its author and the staff),
    put it in the circle's review queue and tell the circle's admins. `kind` is a ReportKind value
    ("post", "comment", "chat_message", "video_comment", "checkin_comment"). The listed words that held it are
    kept in the hold's details, one a line (Report.held_words), for the queue to say. Flushes."""
    report = Report(circle_id=circle.id, kind=ReportKind(kind), object_id=object_id, author_id=author_id,
                    reporter_id=None, reason=ReportReason(screening.reason or ReportReason.word_list),
                    details="\n".join(screening.words)[:1000])
    db.session.add(report)
    db.session.flush()
    notifications.report_filed(circle, reason=report.reason.value, text=text, actor_id=author_id,
                               subject_id=author_id, dedupe_key=f"moderation-held-{report.id}")
    return report


def _limits_for(circle: Circle, user: User, action: str) -> list[RateLimitItem]:
    limits = [parse(FLOOD_LIMITS[action])]
    settings = settings_of(circle) if not circle.can_manage_members(user) else None
    column, period = _CIRCLE_LIMITS.get(action, (None, None))
    own = getattr(settings, column) if settings is not None and column else None
    limits.append(parse(f"{own} per {period}") if own else parse(DEFAULT_LIMITS[action]))
    return limits


def _rate_keys(circle: Circle, user: User, action: str) -> tuple[str, ...] | None:
    """The rate limiter's keys of `user`'s writes of `action` in `circle`; None when rate limiting is off."""
    if action not in WRITE_ACTIONS:
        raise ValueError(f"unknown write action {action!r}")
    if not current_app.config.get("RATE_LIMITING", True):
        return None
    return current_app.config.get("RATELIMIT_KEY_PREFIX", ""), "write", action, str(circle.id), str(user.id)


def _over(item: RateLimitItem, keys: tuple[str, ...]) -> WriteRateLimited:
    reset_at, _remaining = limiter.limiter.get_window_stats(item, *keys)
    return WriteRateLimited(max(1, math.ceil(reset_at - time.time())))


def ensure_write_rate(circle: Circle, user: User, action: str) -> None:
    """Raises WriteRateLimited when `user` has no write of `action` left in `circle` (the member's limit or the
    flood limit), counting nothing: what a writing path asks before it looks at the text, so a write it then
    refuses (the circle's screening, a validation error) uses none of the member's allowance."""
    keys = _rate_keys(circle, user, action)
    if keys is None:
        return
    for item in _limits_for(circle, user, action):
        if not limiter.limiter.test(item, *keys):
            raise _over(item, keys)


def count_write(circle: Circle, user: User, action: str) -> None:
    """Count one accepted write of `action` by `user` in `circle`; raises WriteRateLimited (a 429 with a
    translated "try again in N seconds") when it is over the member's limit or the flood limit. Call it once the
    write is accepted (screened, validated, stored but not committed): a refused write must not count. Counted in
    the rate limiter's storage (Redis when configured), so it holds across processes. Off with RATE_LIMITING."""
    keys = _rate_keys(circle, user, action)
    if keys is None:
        return
    for item in _limits_for(circle, user, action):
        if not limiter.limiter.hit(item, *keys):
            raise _over(item, keys)



def ensure_not_muted(membership: Membership | None, now: datetime | None = None) -> None:
    """Raises 403 with a message saying until when, if the member is muted (Membership.muted_until)."""
    if membership is None:
        return
    until = getattr(membership, "muted_until", None)
    is_muted = getattr(membership, "is_muted", None)
    muted = is_muted(now) if callable(is_muted) else (until is not None and until > (now or _now()))
    if muted:
        error = Forbidden(description=_("You are muted in this circle and cannot write here for now."))
        error.lms_message = True
        raise error


def check_write(circle: Circle, user: User, action: str, membership: Membership | None = None) -> None:
    """What a writing route calls before writing: not muted (403), not over the rate (429). Counts nothing: the
    route calls count_write once the write is accepted (a refused one uses none of the member's allowance)."""
    ensure_not_muted(membership if membership is not None else circle.membership_of(user))
    ensure_write_rate(circle, user, action)


def _now() -> datetime:
    from lms.core.types import utcnow

    return utcnow()
