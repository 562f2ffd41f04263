"""Reads of the circle feed: scoped lookups that 404 outside the circle, the feed by keyset, a post's
comments, the approval queue, the contest ranking. Each page costs a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, Role
from lms.circles.queries import ShownMember, ShownUser
from lms.extensions import db
from lms.feed.posts.models import (Comment, CommentState, FeedSettings, Like, Post, PostImage, PostKind, PostState,
                                   WhoMayPost, is_feed_staff)
from lms.uploads.models import Media

#: posts on one page of the feed
PAGE_SIZE = 20


# -- settings ----------------------------------------------------------------------------------

def feed_settings(circle: Circle) -> FeedSettings:
    """The circle's feed settings; the defaults (not stored) when the staff never changed them."""
    settings = db.session.get(FeedSettings, circle.id)
    if settings is None:
        settings = FeedSettings(circle_id=circle.id, who_may_post=WhoMayPost.everyone, needs_approval=False,
                                has_contest=False)
    return settings


# -- scoped lookups ------------------------------------------------------------------------------

def get_post_or_404(circle: Circle, post_id: int, viewer: User) -> Post:
    """The post `post_id` of `circle` if `viewer` may see it (Post.can_view); 404 otherwise, so a post
    of another circle, a hidden post of someone else or a removed one looks like no post at all."""
    post = db.session.scalar(db.select(Post).options(selectinload(Post.images))
                             .where(Post.id == post_id, Post.circle_id == circle.id))
    if post is None or not post.can_view(viewer):
        abort(404)
    return post


def get_comment_or_404(post: Post, comment_id: int, viewer: User) -> Comment:
    """The comment `comment_id` on `post` if `viewer` may see it; 404 otherwise."""
    comment = db.session.scalar(db.select(Comment).where(Comment.id == comment_id, Comment.post_id == post.id))
    if comment is None or not comment.can_view(viewer):
        abort(404)
    return comment


# -- shown authors -------------------------------------------------------------------------------

def _author_columns():
    return (Membership.id, Membership.display_name, Membership.real_name, Membership.student_no, Membership.role,
            User.id, User.name, User.avatar_key)


def _shown(row, start: int) -> ShownMember:
    """The author as _partials/member.html shows them, from the 8 columns of _author_columns at `start`.
    Someone without a membership row (never, but an overseer's old post) shows their account name."""
    mid, display, real, number, role, uid, name, avatar = row[start:start + 8]
    return ShownMember(mid or 0, display if display is not None else name, real, number, role or Role.member,
                       ShownUser(uid, name, avatar))


def _with_author(query: sa.Select, author_id) -> sa.Select:
    return (query.join(User, User.id == author_id)
            .outerjoin(Membership, sa.and_(Membership.circle_id == Post.circle_id, Membership.user_id == author_id)))


# -- the feed ----------------------------------------------------------------------------------

@dataclass
class FeedItem:
    """A post as the feed shows it, with what is counted in SQL."""

    post: Post
    author: ShownMember
    like_count: int
    comment_count: int
    liked: bool  #: by the viewer


def _like_count():
    return (db.select(sa.func.count()).select_from(Like).where(Like.post_id == Post.id)
            .correlate(Post).scalar_subquery())


def _comment_count():
    return (db.select(sa.func.count()).select_from(Comment)
            .where(Comment.post_id == Post.id, Comment.state == CommentState.visible)
            .correlate(Post).scalar_subquery())


def _liked(viewer_id):
    """1 when the viewer liked the post, else 0: a count probing the likes' primary key post by post (an
    EXISTS lets PostgreSQL hash every like of the viewer instead, all 25,000 of a keen member's)."""
    return (db.select(sa.func.count()).select_from(Like).where(Like.post_id == Post.id, Like.user_id == viewer_id)
            .correlate(Post).scalar_subquery())


def _feed_select() -> sa.Select:
    """Posts with their authors, counts and whether the viewer (bound parameter `viewer_id`) liked them;
    _items reads their images and videos."""
    query = db.select(Post, *_author_columns(), _like_count(), _comment_count(), _liked(sa.bindparam("viewer_id")))
    return _with_author(query, Post.author_id)


def _feed_statement(staff: bool, tab: str, keyset: bool) -> sa.Select:
    """One page of a feed, by bound parameters (circle_id, viewer_id, limit; with `keyset`, after_at and
    after_id): built once per kind of page, since building a statement costs more than running it."""
    key = (staff, tab, keyset)
    statement = _FEED_STATEMENTS.get(key)
    if statement is None:
        if staff:
            seen = Post.state.in_([PostState.published, PostState.hidden])
        else:
            seen = sa.or_(Post.state == PostState.published,
                          sa.and_(Post.state == PostState.hidden, Post.author_id == sa.bindparam("viewer_id")))
        statement = _feed_select().where(Post.circle_id == sa.bindparam("circle_id"), Post.published_at.is_not(None),
                                         seen)
        if tab == "essentials":
            statement = statement.where(Post.is_essential.is_(True))
        elif tab == "entries":
            statement = statement.where(Post.kind == PostKind.entry)
        if keyset:
            after_at, after_id = sa.bindparam("after_at", type_=Post.published_at.type), sa.bindparam("after_id")
            # the first condition bounds the index scan (a page deep down reads no row above it); the
            # second breaks ties at the same time by id
            statement = statement.where(Post.published_at <= after_at,
                                        sa.or_(Post.published_at < after_at, Post.id < after_id))
        statement = _FEED_STATEMENTS[key] = (statement.order_by(Post.published_at.desc(), Post.id.desc())
                                             .limit(sa.bindparam("limit")))
    return statement


_FEED_STATEMENTS: dict[tuple, sa.Select] = {}
#: other statements every page runs, by bound parameters: "latest" (the home page), "waiting"
_STATEMENTS: dict[str, sa.Select] = {}


def _items(rows, pictures: bool = True) -> list[FeedItem]:
    """Rows of _feed_select as items; with `pictures`, their posts' images and videos read too."""
    items = [FeedItem(row[0], _shown(row, 1), row[9], row[10], bool(row[11])) for row in rows]
    if pictures:
        _load_pictures([item.post for item in items])
    return items


#: the images of some posts (bound parameter `post_ids`), each post's in order
_IMAGES_OF = (db.select(PostImage).where(PostImage.post_id.in_(sa.bindparam("post_ids", expanding=True)))
              .order_by(PostImage.post_id, PostImage.position, PostImage.id))
_MEDIA = db.select(Media).where(Media.id.in_(sa.bindparam("media_ids", expanding=True)))


def _load_pictures(posts: list[Post]) -> None:
    """Set the posts' images (one query) and videos (one more, only when a post has one), as
    selectinload did, on the posts that have not loaded them yet: SQLAlchemy's selectin loader
    prepares its query again on every call, about 1 ms a feed page (scripts/bench/pages)."""
    # a loaded attribute is in the instance's __dict__ (the ORM's own test, cheaper than inspect().unloaded)
    waiting = [post for post in posts if "images" not in post.__dict__]
    if waiting:
        images: dict[int, list[PostImage]] = {post.id: [] for post in waiting}
        for image in db.session.scalars(_IMAGES_OF, {"post_ids": list(images)}):
            images[image.post_id].append(image)
        for post in waiting:
            set_committed_value(post, "images", images[post.id])
    waiting = [post for post in posts if "media" not in post.__dict__]
    media_ids = {post.media_id for post in waiting if post.media_id is not None}
    media = {m.id: m for m in db.session.scalars(_MEDIA, {"media_ids": list(media_ids)})} if media_ids else {}
    for post in waiting:
        set_committed_value(post, "media", media.get(post.media_id))


@dataclass(frozen=True)
class Cursor:
    """Where a page of the feed starts: after the post published at `published_at` with id `post_id`."""

    published_at: datetime
    post_id: int

    def __str__(self) -> str:
        micros = round(self.published_at.timestamp() * 1_000_000)
        return f"{micros}-{self.post_id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor a page link carries, or None (the first page) for anything else."""
        try:
            micros, post_id = (text or "").split("-")
            at = datetime.fromtimestamp(int(micros) / 1_000_000, tz=timezone.utc)
            return cls(at.replace(microsecond=int(micros) % 1_000_000), int(post_id))
        except (ValueError, OverflowError, OSError):
            return None


@dataclass
class FeedPage:
    items: list[FeedItem]
    next: Cursor | None  #: where the next (older) page starts; None at the end


#: what the feed's tabs filter
TABS = ("all", "essentials", "entries")


def feed_page(circle: Circle, viewer: User, *, after: Cursor | None = None, tab: str = "all",
              limit: int = PAGE_SIZE) -> FeedPage:
    """One page of the feed, newest first, by keyset (published_at, id) after `after`: no OFFSET, so
    a page deep in a big feed costs what the first does, and posts arriving meanwhile neither repeat
    nor push older ones off the next page. One query for the posts with their authors, like and comment
    counts and the viewer's likes; one for their images; one for their videos (when any). Members see
    published posts and their own hidden ones; the staff every hidden one too."""
    statement = _feed_statement(is_feed_staff(circle, viewer), tab if tab in TABS else "all", after is not None)
    params = {"circle_id": circle.id, "viewer_id": viewer.id, "limit": limit + 1}
    if after is not None:
        params.update(after_at=after.published_at, after_id=after.post_id)
    rows = db.session.execute(statement, params).all()
    items = _items(rows[:limit])
    more = len(rows) > limit
    last = items[-1].post if items and more else None
    return FeedPage(items, Cursor(last.published_at, last.id) if last is not None else None)


def like_count(post: Post) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(Like).where(Like.post_id == post.id)) or 0


def my_waiting_posts(circle: Circle, viewer: User) -> list[Post]:
    """The viewer's own posts waiting for approval or refused, newest first (shown above their feed)."""
    statement = _STATEMENTS.get("waiting")
    if statement is None:
        statement = _STATEMENTS["waiting"] = (
            db.select(Post).where(Post.circle_id == sa.bindparam("circle_id"),
                                  Post.author_id == sa.bindparam("viewer_id"),
                                  Post.state.in_([PostState.pending, PostState.rejected]))
            .order_by(Post.created_at.desc()).limit(20))
    return list(db.session.scalars(statement, {"circle_id": circle.id, "viewer_id": viewer.id}))


def feed_item(post: Post, viewer: User) -> FeedItem:
    """One post as the feed shows it (its page), with its counts."""
    row = db.session.execute(_feed_select().where(Post.id == post.id), {"viewer_id": viewer.id}).one()
    return _items([row])[0]


def approval_queue(circle: Circle, viewer: User, limit: int = 100) -> list[FeedItem]:
    """Posts waiting for approval, oldest first."""
    rows = db.session.execute(_feed_select().where(Post.circle_id == circle.id, Post.state == PostState.pending)
                              .order_by(Post.created_at, Post.id).limit(limit), {"viewer_id": viewer.id}).all()
    return _items(rows)


def pending_count(circle: Circle) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(Post).where(
        Post.circle_id == circle.id, Post.state == PostState.pending)) or 0


# -- comments ----------------------------------------------------------------------------------

@dataclass
class Thread:
    """A top-level comment and its replies, oldest first."""

    comment: Comment
    author: ShownMember
    replies: list[tuple[Comment, ShownMember]]


#: top-level comments (threads) on one page of a post's comments
THREADS_PER_PAGE = 50
#: most comments one page reads (its threads' replies included): a bound, not a page size
COMMENTS_READ = 2000


def comment_threads(post: Post, viewer: User, after: int | None = None,
                    per_page: int | None = None) -> tuple[list[Thread], int | None]:
    """One page of the comments of `post` the viewer may see, as threads, oldest first: the top-level
    comments after the one with id `after` (keyset, no OFFSET; a post with thousands of comments pages like
    one with ten) and their replies; the next page's `after`, or None on the last. Two queries. Visible
    comments, and the hidden ones of their own (the staff see every hidden one). A hidden top-level
    comment's replies stay shown, at the end of its page, to those who see them."""
    per_page = per_page or THREADS_PER_PAGE
    if post.can_moderate(viewer):
        seen = Comment.state.in_([CommentState.visible, CommentState.hidden, CommentState.held])
    else:
        seen = sa.or_(Comment.state == CommentState.visible,
                      sa.and_(Comment.state.in_([CommentState.hidden, CommentState.held]),
                              Comment.author_id == viewer.id))
    # the page's threads by their top-level comment, whatever its state (the replies of one hidden from
    # this viewer stay on that thread's page)
    tops = db.select(Comment.id).where(Comment.post_id == post.id, Comment.parent_id.is_(None))
    if after is not None:
        tops = tops.where(Comment.id > after)
    top_ids = list(db.session.scalars(tops.order_by(Comment.id).limit(per_page + 1)))
    next_after = top_ids[per_page - 1] if len(top_ids) > per_page else None
    top_ids = top_ids[:per_page]
    if not top_ids:
        return [], None
    query = (db.select(Comment, *_author_columns())
             .join(User, User.id == Comment.author_id)
             .outerjoin(Membership, sa.and_(Membership.circle_id == post.circle_id,
                                            Membership.user_id == Comment.author_id))
             .where(Comment.post_id == post.id, seen,
                    sa.or_(Comment.id.in_(top_ids), Comment.parent_id.in_(top_ids)))
             .order_by(Comment.id).limit(COMMENTS_READ))
    threads: dict[int, Thread] = {}
    orphans = []
    for row in db.session.execute(query):
        comment, author = row[0], _shown(row, 1)
        if comment.parent_id is None:
            threads[comment.id] = Thread(comment, author, [])
        elif comment.parent_id in threads:
            threads[comment.parent_id].replies.append((comment, author))
        else:
            orphans.append((comment, author))  # its top-level comment is hidden from this viewer
    result = list(threads.values())
    for comment, author in orphans:
        result.append(Thread(comment, author, []))
    return result, next_after


def comment_page_of(comment: Comment) -> int | None:
    """The `after` of the page of comments that shows `comment`'s thread: None for the first page, else the
    id just before its top-level comment (that thread then opens the page). One query."""
    top_id = comment.parent_id or comment.id
    before = db.session.scalar(db.select(sa.func.count()).select_from(Comment).where(
        Comment.post_id == comment.post_id, Comment.parent_id.is_(None), Comment.id < top_id)) or 0
    return None if before < THREADS_PER_PAGE else top_id - 1


# -- contest -----------------------------------------------------------------------------------

def ranked_entries(circle: Circle, viewer: User, limit: int = 200) -> list[FeedItem]:
    """Published contest entries, most liked first; a tie goes to the earlier post. One query (and
    one each for their images and videos)."""
    likes = _like_count()
    rows = db.session.execute(
        _feed_select().where(Post.circle_id == circle.id, Post.kind == PostKind.entry,
                             Post.state == PostState.published)
        .order_by(likes.desc(), Post.published_at, Post.id).limit(limit), {"viewer_id": viewer.id}).all()
    return _items(rows)


# -- the home page -------------------------------------------------------------------------------

class HomePost(NamedTuple):
    """What the home page's section (feed/posts/_home.html) shows of a post, read as plain values."""

    id: int
    published_at: datetime
    is_essential: bool
    body_md: str


class HomeItem(NamedTuple):
    """A post on the home page, as a FeedItem reads there (without whether the viewer liked it)."""

    post: HomePost
    author: ShownMember
    like_count: int
    comment_count: int


def latest_posts(circle: Circle, limit: int = 5) -> tuple[list[HomeItem], dict[int, int]]:
    """The newest posts of the feed for the circle's home page, and the id of each one's first image (a
    thumbnail) by post id, for those that have images (one query; no images or videos loaded). Plain rows
    on the session's connection: the page asks on every view, and model objects cost more to build than
    the query to run."""
    statement = _STATEMENTS.get("latest")
    if statement is None:  # built once, by bound parameters, as the feed's pages are
        first_image = (sa.select(PostImage.id).where(PostImage.post_id == Post.id)
                       .order_by(PostImage.position, PostImage.id).limit(1).scalar_subquery())
        statement = _STATEMENTS["latest"] = (
            _with_author(sa.select(Post.id, Post.published_at, Post.is_essential, Post.body_md, *_author_columns(),
                                   _like_count(), _comment_count(), first_image), Post.author_id)
            .where(Post.circle_id == sa.bindparam("circle_id"), Post.state == PostState.published,
                   Post.published_at.is_not(None))
            .order_by(Post.published_at.desc(), Post.id.desc()).limit(sa.bindparam("limit")))
    rows = db.session.connection().execute(statement, {"circle_id": circle.id, "limit": limit}).all()
    return ([HomeItem(HomePost(*row[:4]), _shown(row, 4), row[12], row[13]) for row in rows],
            {row[0]: row[14] for row in rows if row[14] is not None})


# -- media ---------------------------------------------------------------------------------------

def can_fetch_post_media(viewer: User, post_id: int | None, media, rendition) -> bool:
    """The media checker of subject "feed_post" (lms/uploads, asked on every media request): the media
    must be the post's video and the viewer must see the post now; the original upload (the phone's
    location and device name) only its author and the staff."""
    from lms.uploads.access import Rendition

    post = db.session.get(Post, post_id) if post_id is not None else None
    if post is None or post.media_id != media.id or not post.can_view(viewer):
        return False
    if rendition == Rendition.original:
        return post.is_author(viewer) or post.can_moderate(viewer)
    return True


def get_image_or_404(post: Post, image_id: int) -> PostImage:
    image = next((i for i in post.images if i.id == image_id), None)
    if image is None:
        abort(404)
    return image
