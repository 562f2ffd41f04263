"""The circle feed: posts (and contest entries), their images, comments (one level of replies), likes,
and each circle's feed settings."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, TEACHING_ROLES, Circle
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db
from lms.uploads.models import Media

#: Images one post may carry.
MAX_IMAGES = 4


class PostKind(enum.StrEnum):
    post = "post"
    entry = "entry"  #: a contest entry (a photo), ranked by likes for the staff


class PostState(enum.StrEnum):
    published = "published"
    pending = "pending"  #: waiting for the staff's approval (FeedSettings.needs_approval)
    rejected = "rejected"  #: refused by the staff, with a reason only its author sees
    hidden = "hidden"  #: hidden by the staff, with a reason; its author and the staff still see it
    removed = "removed"  #: deleted by the staff, with a reason (kept for the record; nobody sees it)


class CommentState(enum.StrEnum):
    visible = "visible"
    hidden = "hidden"  #: hidden by the staff, with a reason; its author and the staff still see it
    removed = "removed"  #: deleted by the staff, with a reason; nobody sees it
    held = "held"  #: held for review by the circle's moderation (lms.moderation.policy): its author and the staff see it


class WhoMayPost(enum.StrEnum):
    everyone = "everyone"
    staff = "staff"


def is_feed_staff(circle: Circle, user: User | None) -> bool:
    """Owner, teachers and assistants (and overseers): they moderate the feed."""
    return circle.active_role(user) in STAFF_ROLES or circle._is_overseer(user)


def is_feed_teacher(circle: Circle, user: User | None) -> bool:
    """Owner and teachers (and overseers): they feature posts and change the feed's settings."""
    return circle.active_role(user) in TEACHING_ROLES or circle._is_overseer(user)


class FeedSettings(db.Model):
    """How one circle's feed works; a circle without a row has the defaults (DEFAULTS)."""

    __tablename__ = "feed_settings"

    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    who_may_post: Mapped[WhoMayPost] = mapped_column(enum_column(WhoMayPost, name="feed_who_may_post"),
                                                     default=WhoMayPost.everyone)
    #: members' posts wait in a queue until the staff approve them
    needs_approval: Mapped[bool] = mapped_column(default=False)
    #: members may post contest entries (a photo each), which the staff see ranked by likes
    has_contest: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # -- predicates (the circle is the settings' own; the caller loaded it) --------------------------
    def can_post(self, circle: Circle, user: User | None) -> bool:
        """Members of an active circle post when everyone may, staff always; overseers who are not
        members read and moderate but do not post."""
        if circle.is_archived or circle.active_role(user) is None:
            return False
        return self.who_may_post == WhoMayPost.everyone or is_feed_staff(circle, user)

    def needs_approval_for(self, circle: Circle, user: User | None) -> bool:
        return self.needs_approval and not is_feed_staff(circle, user)

    def can_enter_contest(self, circle: Circle, user: User | None) -> bool:
        return self.has_contest and self.can_post(circle, user)


class Post(db.Model):
    __tablename__ = "feed_posts"
    __table_args__ = (
        # the feed's keyset: newest first within a circle, by publication time then id
        sa.Index("ix_feed_posts_feed", "circle_id", "published_at", "id"),
        sa.Index("ix_feed_posts_essentials", "circle_id", "is_essential", "published_at", "id"),
        # an author's pending and rejected posts, the staff's approval queue
        sa.Index("ix_feed_posts_state", "circle_id", "state", "created_at"),
        # deleting an account deletes its posts (ON DELETE CASCADE) without reading the whole table
        sa.Index("ix_feed_posts_author", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[PostKind] = mapped_column(enum_column(PostKind, name="feed_post_kind"), default=PostKind.post)
    state: Mapped[PostState] = mapped_column(enum_column(PostState, name="feed_post_state"),
                                             default=PostState.published)
    body_md: Mapped[str] = mapped_column(sa.Text, default="")
    #: a video through the media pipeline (owned by the author)
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"))
    #: featured by the staff: gathered in the feed's Essentials tab
    is_essential: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it entered the feed (its place in it); None while pending or rejected
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why the staff hid, removed or rejected it (its author sees it)
    moderation_reason: Mapped[str | None] = mapped_column(sa.Text)
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    circle: Mapped[Circle] = relationship()
    media: Mapped[Media | None] = relationship()
    images: Mapped[list[PostImage]] = relationship(back_populates="post", order_by="PostImage.position",
                                                   cascade="all, delete-orphan")

    # -- predicates -----------------------------------------------------------------------
    def is_author(self, user: User | None) -> bool:
        return user is not None and user.is_authenticated and user.id == self.author_id

    def can_view(self, user: User | None) -> bool:
        """Published posts: anyone who sees the circle. Hidden ones: their author and the staff.
        Pending and rejected ones: their author and the staff. Removed ones: nobody."""
        if not self.circle.can_view(user) or self.state == PostState.removed:
            return False
        if self.state == PostState.published:
            return True
        return self.is_author(user) or is_feed_staff(self.circle, user)

    def can_edit(self, user: User | None) -> bool:
        """Its author, while a member of an active circle and the post is not hidden, rejected or removed."""
        return (self.is_author(user) and self.circle.active_role(user) is not None and not self.circle.is_archived
                and self.state in (PostState.published, PostState.pending))

    def can_delete(self, user: User | None) -> bool:
        """Its author deletes it whatever the staff did (not a removed one: that is the staff's record)."""
        return self.is_author(user) and self.state != PostState.removed

    def can_moderate(self, user: User | None) -> bool:
        """Hide, show again, remove with a reason; approve or reject: the staff."""
        return is_feed_staff(self.circle, user)

    def can_feature(self, user: User | None) -> bool:
        """Mark essential (or not): owner and teachers, on a published post."""
        return is_feed_teacher(self.circle, user) and self.state == PostState.published

    def can_comment(self, user: User | None) -> bool:
        return (self.state == PostState.published and not self.circle.is_archived
                and self.circle.active_role(user) is not None)

    def can_like(self, user: User | None) -> bool:
        return self.can_comment(user)

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.kind}>"


class PostImage(db.Model):
    """An image of a post, cleaned and stored (lms.core.images.store_image); served to whoever sees the post."""

    __tablename__ = "feed_post_images"
    __table_args__ = (sa.Index("ix_feed_post_images_post", "post_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("feed_posts.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)

    post: Mapped[Post] = relationship(back_populates="images")


class Comment(db.Model):
    """A comment on a post; a reply names its top-level comment (`parent_id`): one level of threads."""

    __tablename__ = "feed_comments"
    __table_args__ = (sa.Index("ix_feed_comments_post", "post_id", "parent_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("feed_posts.id", ondelete="CASCADE"))
    #: the top-level comment this one replies to; None for a top-level comment
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("feed_comments.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[CommentState] = mapped_column(enum_column(CommentState, name="feed_comment_state"),
                                                default=CommentState.visible)
    body_md: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderation_reason: Mapped[str | None] = mapped_column(sa.Text)
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    def is_author(self, user: User | None) -> bool:
        return user is not None and user.is_authenticated and user.id == self.author_id

    def can_view(self, user: User | None) -> bool:
        if not self.post.can_view(user) or self.state == CommentState.removed:
            return False
        return self.state == CommentState.visible or self.is_author(user) or self.post.can_moderate(user)

    def can_edit(self, user: User | None) -> bool:
        return (self.is_author(user) and self.state == CommentState.visible
                and self.post.circle.active_role(user) is not None and not self.post.circle.is_archived)

    def can_delete(self, user: User | None) -> bool:
        return self.is_author(user) and self.state != CommentState.removed

    def can_moderate(self, user: User | None) -> bool:
        return self.post.can_moderate(user)


class Like(db.Model):
    """One member's like of a post (one per member)."""

    __tablename__ = "feed_likes"
    __table_args__ = (sa.Index("ix_feed_likes_user", "user_id"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("feed_posts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
