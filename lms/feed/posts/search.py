"""Circle search: the posts and notices of one circle matching every word typed, only what the viewer
may see now (a hidden post only to the staff; a notice only once its time has come)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lms.accounts.models import User
from lms.circles.models import Circle
from lms.core.inputs import comparison_key
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices.models import Notice
from lms.feed.notices.queries import visible_notices
from lms.feed.posts.models import Post, PostState, is_feed_staff
from lms.feed.posts.queries import FeedItem, _feed_select, _items

#: words of a search that count (more are ignored)
MAX_WORDS = 8
#: results of each kind
LIMIT = 50


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
    """Every word appears in one of `columns` (case-insensitively)."""
    return sa.and_(*(sa.or_(*(sa.func.lower(column).like(f"%{_escape_like(word)}%", escape="\\")
                              for column in columns))
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
    Two queries (three with the posts' images and videos)."""
    words = search_words(text)
    if not words:
        return SearchResults([], [], [])
    states = [PostState.published, PostState.hidden] if is_feed_staff(circle, viewer) else [PostState.published]
    rows = db.session.execute(
        _feed_select().where(Post.circle_id == circle.id, Post.state.in_(states),
                             Post.published_at.is_not(None), _matches_all([Post.body_md], words))
        .order_by(Post.published_at.desc(), Post.id.desc()).limit(LIMIT), {"viewer_id": viewer.id}).all()
    now = utcnow()
    notices = list(db.session.scalars(
        visible_notices(circle, viewer, now)
        .where(Notice.publish_at.is_not(None), Notice.publish_at <= now,
               _matches_all([Notice.title, Notice.body_md], words))
        .order_by(Notice.publish_at.desc(), Notice.id.desc()).limit(LIMIT)))
    return SearchResults(words, _items(rows), notices)
