"""Every state change of the circle feed: posts, comments, likes, featuring, moderation, approval,
settings. Flush, never commit; the caller checked the acting user's permission (routes: `require`)."""
from __future__ import annotations

from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle
from lms.core.images import store_image
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.posts import notifications
from lms.feed.posts.models import (MAX_IMAGES, Comment, CommentState, FeedSettings, Like, Post, PostImage, PostKind,
                                   PostState, WhoMayPost)
from lms.jobs import delete_stored_after_commit, discard_stored_on_rollback
from lms.notifications import forget_about
from lms.uploads.models import Media, MediaKind

MAX_BODY = 20000
MAX_COMMENT = 5000
MAX_REASON = 1000
#: where post images are stored (lms.storage keys)
IMAGE_PREFIX = "feed"


class FeedError(ValueError):
    """A refused feed change; the message is for the user, `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


# -- posts -------------------------------------------------------------------------------------

def create_post(circle: Circle, author: User, settings: FeedSettings, *, body_md: str = "",
                kind: PostKind = PostKind.post, images: list[BinaryIO] | tuple = (),
                media: Media | None = None, held: bool = False) -> Post:
    """Post in the circle's feed as `author` (whom the caller checked with `settings.can_post`). A member's
    post waits for approval when the settings say so; others enter the feed at once. Images are checked
    and re-encoded (ImageRejected); `media` must be the author's own video. With `held` (the circle's
    moderation held it: lms.moderation.policy.screen) it waits as pending, and moderation tells the staff.
    Raises FeedError for an empty post, an entry without a picture, too many images, or a media item that
    is not a video."""
    body_md = (body_md or "").strip()
    if kind == PostKind.entry and not images:
        raise FeedError(_l("A contest entry needs a photo."), "images")
    _check_content(body_md, len(images), media, author)
    pending = held or settings.needs_approval_for(circle, author)
    post = Post(circle_id=circle.id, circle=circle, author_id=author.id, kind=kind, body_md=body_md, media=media,
                state=PostState.pending if pending else PostState.published,
                published_at=None if pending else utcnow())
    db.session.add(post)
    _add_images(post, images)
    db.session.flush()
    if pending and not held:
        membership = circle.membership_of(author)
        notifications.awaiting_approval(post, membership.display_name if membership is not None else author.name)
    return post


def _check_content(body_md: str, image_count: int, media: Media | None, author: User) -> None:
    if len(body_md) > MAX_BODY:
        raise FeedError(_l("A post has at most %(num)d characters.", num=MAX_BODY), "body_md")
    if image_count > MAX_IMAGES:
        raise FeedError(_l("A post has at most %(num)d images.", num=MAX_IMAGES), "images")
    if media is not None and (media.owner_id != author.id or media.kind != MediaKind.video or media.is_failed):
        raise FeedError(_l("That video cannot be used. Upload it again, or choose another."), "media_id")
    if not body_md and not image_count and media is None:
        raise FeedError(_l("Write something, or add an image or a video."), "body_md")


def _add_images(post: Post, images) -> None:
    start = len(post.images)
    for position, stream in enumerate(images, start=start):
        key = store_image(stream, IMAGE_PREFIX)  # raises ImageRejected; nothing of it is kept then
        discard_stored_on_rollback(key)
        post.images.append(PostImage(storage_key=key, position=position))


def update_post(post: Post, editor: User, *, body_md: str, add_images=(), remove_image_ids=(),
                media: Media | None | bool = False, held: bool = False) -> None:
    """Change a post's text and images (and with `media`, its video: None takes it off) as its author. With
    `held` (the circle's moderation held the new text) a published post waits as pending again.
    Raises FeedError as create_post does (an entry keeps at least one photo), ImageRejected."""
    body_md = (body_md or "").strip()
    removed = [image for image in post.images if image.id in set(remove_image_ids)]
    remaining = len(post.images) - len(removed) + len(add_images)
    new_media = post.media if media is False else media
    if post.kind == PostKind.entry and remaining == 0:
        raise FeedError(_l("A contest entry needs a photo."), "images")
    _check_content(body_md, remaining, new_media if new_media is not post.media else None, editor)
    if not body_md and not remaining and new_media is None:
        raise FeedError(_l("Write something, or add an image or a video."), "body_md")
    for image in removed:
        post.images.remove(image)
        delete_stored_after_commit(image.storage_key)
    _add_images(post, add_images)
    post.media = new_media
    post.body_md = body_md
    post.edited_at = utcnow()
    if held and post.state == PostState.published:
        post.state = PostState.pending
    db.session.flush()


def delete_post(post: Post) -> None:
    """Delete a post for good, with its comments, likes and images (its author's choice), and every
    notification about it (none leads to a page that is gone)."""
    for image in post.images:
        delete_stored_after_commit(image.storage_key)
    forget_about((notifications.SUBJECT, post.id))
    db.session.delete(post)
    db.session.flush()


def read_post(post: Post, reader: User) -> None:
    """`reader` opened the post's page: what they were told about it counts as read."""
    notifications.post_opened(post, reader.id)


# -- comments ----------------------------------------------------------------------------------

def _check_comment(body_md: str) -> str:
    body_md = (body_md or "").strip()
    if not body_md:
        raise FeedError(_l("Write a comment first."), "body_md")
    if len(body_md) > MAX_COMMENT:
        raise FeedError(_l("A comment has at most %(num)d characters.", num=MAX_COMMENT), "body_md")
    return body_md


def add_comment(post: Post, author: User, body_md: str, *, reply_to: Comment | None = None,
                author_name: str = "", held: bool = False) -> Comment:
    """Comment on `post`; a reply to any comment attaches to its top-level comment (threads are one
    level deep). Tells the post's author and the author replied to (lms.notifications), under
    `author_name` (their name in the circle). Raises FeedError for an empty or too long comment, or a
    reply to a comment of another post. With `held` (lms.moderation.policy.screen held it) only its author
    and the staff see it until approved, and nobody is told yet."""
    body_md = _check_comment(body_md)
    parent = None
    if reply_to is not None:
        if reply_to.post_id != post.id:
            raise FeedError(_l("That comment is not on this post."), "reply_to")
        parent = reply_to.parent if reply_to.parent_id is not None else reply_to
    comment = Comment(post=post, post_id=post.id, author_id=author.id, body_md=body_md, parent=parent,
                      state=CommentState.held if held else CommentState.visible)
    db.session.add(comment)
    db.session.flush()
    if not held:
        notifications.comment_added(comment, author_name or author.name)
    return comment


def update_comment(comment: Comment, body_md: str, held: bool = False) -> None:
    """Change a comment's text (its author's); with `held` (moderation held the new text) it waits for review.
    Raises FeedError."""
    comment.body_md = _check_comment(body_md)
    comment.edited_at = utcnow()
    if held:
        comment.state = CommentState.held
    db.session.flush()


def delete_comment(comment: Comment) -> None:
    """Delete a comment for good (its author's choice), with its replies."""
    db.session.delete(comment)
    db.session.flush()


# -- likes -------------------------------------------------------------------------------------

def set_like(post: Post, user: User, liked: bool) -> None:
    """Like `post` as `user` (once; liking twice changes nothing), or take the like back."""
    if liked:
        exists = db.session.get(Like, (post.id, user.id))
        if exists is None:
            try:
                with db.session.begin_nested():
                    db.session.add(Like(post_id=post.id, user_id=user.id))
            except IntegrityError:
                pass  # a concurrent request of the same member liked it first: one like all the same
    else:
        db.session.execute(db.delete(Like).where(Like.post_id == post.id, Like.user_id == user.id))
    db.session.flush()


# -- staff -------------------------------------------------------------------------------------

def set_essential(post: Post, actor: User, essential: bool) -> None:
    """Feature the post as essential (the Essentials tab) or not; its author is told when it is featured."""
    if post.is_essential == essential:
        return
    post.is_essential = essential
    db.session.flush()
    if essential:
        notifications.post_featured(post, actor.id)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise FeedError(_l("Say why, for the author."), "reason")
    if len(reason) > MAX_REASON:
        raise FeedError(_l("A reason has at most %(num)d characters.", num=MAX_REASON), "reason")
    return reason


def _moderate(thing: Post | Comment, actor: User, reason: str | None) -> None:
    thing.moderation_reason = reason
    thing.moderated_by_id = actor.id
    thing.moderated_at = utcnow()


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= 80 else text[:79] + "…"


def _record(action: AuditAction, thing: Post | Comment, actor: User, reason: str | None = None) -> None:
    """Audit a moderation and, when it has a reason, tell the author (lms.feed.posts.notifications)."""
    post = thing if isinstance(thing, Post) else thing.post
    details = {"author_id": thing.author_id}
    if reason is not None:
        details["reason"] = reason
    record_event(action, actor, target=thing, circle_id=post.circle_id, target_label=_excerpt(thing.body_md),
                 details=details)
    if reason is not None:
        notifications.moderated(_TOLD[action], thing.author_id, post, reason, actor.id)


#: what the author is told (lms.feed.posts.notifications.MODERATIONS) after each audited moderation
_TOLD = {AuditAction.feed_post_hidden: "post_hidden", AuditAction.feed_post_removed: "post_removed",
         AuditAction.feed_post_rejected: "post_rejected", AuditAction.feed_comment_hidden: "comment_hidden",
         AuditAction.feed_comment_removed: "comment_removed"}


def hide_post(post: Post, actor: User, reason: str) -> None:
    """Hide a published post from the members, with a reason its author sees (on the post and in a
    notification). Audited. Raises FeedError without a reason."""
    reason = _reason(reason)
    post.state = PostState.hidden
    _moderate(post, actor, reason)
    db.session.flush()
    _record(AuditAction.feed_post_hidden, post, actor, reason)


def show_post(post: Post, actor: User) -> None:
    """Show a hidden post again. Audited."""
    post.state = PostState.published
    _moderate(post, actor, None)
    db.session.flush()
    _record(AuditAction.feed_post_shown, post, actor)


def remove_post(post: Post, actor: User, reason: str) -> None:
    """Delete a post as the staff, with a reason its author is told. The row stays (state removed, its
    images deleted) so the record and the reason remain; nobody sees it. Audited."""
    reason = _reason(reason)
    post.state = PostState.removed
    post.is_essential = False
    _moderate(post, actor, reason)
    for image in list(post.images):
        post.images.remove(image)
        delete_stored_after_commit(image.storage_key)
    db.session.flush()
    forget_about((notifications.SUBJECT, post.id))  # nobody sees it any more: only the author's reason is told
    _record(AuditAction.feed_post_removed, post, actor, reason)


def _pending(post: Post) -> None:
    if post.state != PostState.pending:
        raise FeedError(_l("This post is not waiting for approval."))


def approve_post(post: Post, actor: User) -> None:
    """Let a pending post into the feed (at the top: it is published now). Raises FeedError when it is
    not pending (another staff member decided first)."""
    _pending(post)
    post.state = PostState.published
    post.published_at = utcnow()
    _moderate(post, actor, None)
    db.session.flush()
    notifications.approved(post, actor.id)


def read_queue(circle: Circle, reader: User) -> None:
    """`reader` (staff) opened the circle's approval queue: the notifications of posts waiting there are
    read."""
    notifications.queue_opened(circle.id, reader.id)


def reject_post(post: Post, actor: User, reason: str) -> None:
    """Refuse a pending post, with a reason its author sees. Audited. Raises FeedError."""
    _pending(post)
    reason = _reason(reason)
    post.state = PostState.rejected
    _moderate(post, actor, reason)
    db.session.flush()
    _record(AuditAction.feed_post_rejected, post, actor, reason)


def moderate_comment(comment: Comment, actor: User, reason: str, *, remove: bool) -> None:
    """Hide a comment from the members (its author still sees it, with the reason), or with `remove`
    delete it as the staff (the row stays, seen by nobody; its author is told why). Audited. Raises
    FeedError without a reason."""
    reason = _reason(reason)
    comment.state = CommentState.removed if remove else CommentState.hidden
    _moderate(comment, actor, reason)
    db.session.flush()
    _record(AuditAction.feed_comment_removed if remove else AuditAction.feed_comment_hidden, comment, actor, reason)


def show_comment(comment: Comment, actor: User) -> None:
    """Show a hidden comment again, or let one held for review (lms.moderation) be seen by everyone: only then
    are the post's author and the author replied to told of it."""
    was_held = comment.state == CommentState.held
    comment.state = CommentState.visible
    _moderate(comment, actor, None)
    db.session.flush()
    if was_held:
        author = db.session.get(User, comment.author_id) if comment.author_id else None
        membership = comment.post.circle.membership_of(author)
        notifications.comment_added(comment, membership.display_name if membership is not None else "")


def update_settings(circle: Circle, actor: User, settings: FeedSettings, *, who_may_post: WhoMayPost,
                    needs_approval: bool, has_contest: bool) -> FeedSettings:
    """Change who may post, whether members' posts wait for approval, and whether the contest is open;
    `settings` may be the defaults (not yet stored): it is stored then. Audited."""
    before = {"who_may_post": str(settings.who_may_post), "needs_approval": settings.needs_approval,
              "has_contest": settings.has_contest}
    if settings not in db.session:
        db.session.add(settings)
    settings.who_may_post = who_may_post
    settings.needs_approval = needs_approval
    settings.has_contest = has_contest
    db.session.flush()
    after = {"who_may_post": str(who_may_post), "needs_approval": needs_approval, "has_contest": has_contest}
    if after != before:
        record_event(AuditAction.feed_settings_changed, actor, target=circle, details={"from": before, "to": after})
    return settings
