"""Circle search: the posts and notices of one circle matching every word typed, in Simplified or
Traditional characters alike, a post also by its comments; only what the viewer may see now (a hidden
post or comment only to the staff; a notice only once its time has come)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import opencc
import sqlalchemy as sa

from lms.accounts.models import User
from lms.circles.models import Circle
from lms.core.inputs import comparison_key
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice
from lms.feed.notices.queries import visible_notices
from lms.feed.posts.models import Comment, CommentState, Post, PostState, is_feed_staff
from lms.feed.posts.queries import FeedItem, _feed_select, _items

#: words of a search that count (more are ignored)
MAX_WORDS = 8
#: results of each kind
LIMIT = 50
#: OpenCC's conversions a word is also looked for in (as scripts/i18n makes zh_Hant): 习题 ↔ 習題, and
#: Taiwan's words both ways (软件 ↔ 軟體)
CONVERSIONS = ("s2t", "t2s", "s2twp", "tw2sp")


@lru_cache(maxsize=None)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def word_variants(word: str) -> list[str]:
    """`word` and its Simplified and Traditional forms, each once (a word without Chinese: itself)."""
    variants = [word]
    if any(ord(ch) > 0x2E7F for ch in word):  # CJK and later blocks only; Latin words stay as typed
        for config in CONVERSIONS:
            converted = _converter(config).convert(word)
            if converted not in variants:
                variants.append(converted)
    return variants


def search_words(text: str | None) -> list[str]:
    """The distinct words of a search, compared case-insensitively (NFKC: full-width letters match)."""
    words = []
    for word in comparison_key(text or "").split():
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches_all(columns, words: list[str]):
    """Every word (in any of its forms, word_variants) appears in one of `columns` (case-insensitively)."""
    return sa.and_(*(sa.or_(*(sa.func.lower(column).like(f"%{_escape_like(variant)}%", escape="\\")
                              for column in columns for variant in word_variants(word)))
                     for word in words))


@dataclass
class SearchResults:
    words: list[str]
    posts: list[FeedItem]
    notices: list[Notice]


def search_circle(circle: Circle, viewer: User, text: str | None) -> SearchResults:
    """Posts and notices of `circle` matching every word of `text`, newest first, that `viewer` may see
    now: members find published posts only, the staff hidden ones too; notices come from
    notices.queries.visible_notices, and a scheduled one is never found before its time, by anyone.
    A post is found by its text or by one of its comments the viewer may see (a hidden comment: the staff
    only). Two queries (three with the posts' images and videos)."""
    words = search_words(text)
    if not words:
        return SearchResults([], [], [])
    staff = is_feed_staff(circle, viewer)
    states = [PostState.published, PostState.hidden] if staff else [PostState.published]
    comment_states = [CommentState.visible, CommentState.hidden] if staff else [CommentState.visible]
    in_comment = (sa.select(Comment.id).where(Comment.post_id == Post.id, Comment.state.in_(comment_states),
                                              _matches_all([Comment.body_md], words)).exists())
    rows = db.session.execute(
        _feed_select().where(Post.circle_id == circle.id, Post.state.in_(states), Post.published_at.is_not(None),
                             sa.or_(_matches_all([Post.body_md], words), in_comment))
        .order_by(Post.published_at.desc(), Post.id.desc()).limit(LIMIT), {"viewer_id": viewer.id}).all()
    now = utcnow()
    notices = list(db.session.scalars(
        visible_notices(circle, viewer, now)
        .where(Notice.publish_at.is_not(None), Notice.publish_at <= now,
               _matches_all([Notice.title, Notice.body_md], words))
        .order_by(Notice.publish_at.desc(), Notice.id.desc()).limit(LIMIT)))
    return SearchResults(words, _items(rows), notices)
