"""What the feed tells people through the notification service (lms.notifications): comments on their
posts, replies to their comments, their post featured, their post or comment moderated (with the reason)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.core.urls import path_for
from lms.notifications import Channel, Kind, mark_read_about, notify, register_kind

#: what the feed's notifications are about (a post), for mark_read_about
SUBJECT = "feed_post"
#: what the staff's "waiting for approval" notifications are about (a circle's queue): opening the queue
#: reads them all
QUEUE_SUBJECT = "feed_queue"

COMMENT_ON_MY_POST = register_kind(Kind(
    name="comment_on_my_post", label=_l("Comments on my posts"),
    message=_l("%(actor)s commented on your post in %(circle)s"), default=Channel.digest,
))
REPLY_TO_MY_COMMENT = register_kind(Kind(
    name="reply_to_my_comment", label=_l("Replies to my comments"),
    message=_l("%(actor)s replied to your comment in %(circle)s"), default=Channel.digest,
))
POST_FEATURED = register_kind(Kind(
    name="post_featured", label=_l("My post featured as essential"),
    message=_l("Your post in %(circle)s was featured as essential"), default=Channel.digest,
))
POST_AWAITING_APPROVAL = register_kind(Kind(
    name="post_awaiting_approval", label=_l("Posts waiting for my approval"),
    message=_l("%(actor)s posted in %(circle)s; the post waits for approval"), staff_only=True,
))
POST_APPROVED = register_kind(Kind(
    name="post_approved", label=_l("My posts approved"),
    message=_l("Your post in %(circle)s was approved and is in the feed"),
))
POST_MODERATED = register_kind(Kind(
    name="post_moderated", label=_l("My posts or comments hidden, deleted or rejected by the staff"),
    message=_l("The staff of %(circle)s hid, deleted or did not approve your post or comment. Reason given: "
               "%(reason)s"),
    # what was done, said whole in the recipient's language (the `variant` param: one of MODERATIONS)
    variants=(
        ("post_hidden", _l("The staff of %(circle)s hid your post. Reason given: %(reason)s")),
        ("post_removed", _l("The staff of %(circle)s deleted your post. Reason given: %(reason)s")),
        ("post_rejected", _l("The staff of %(circle)s did not approve your post. Reason given: %(reason)s")),
        ("comment_hidden", _l("The staff of %(circle)s hid your comment. Reason given: %(reason)s")),
        ("comment_removed", _l("The staff of %(circle)s deleted your comment. Reason given: %(reason)s")),
    ),
))

#: what a moderation did (`moderated`'s `what`)
MODERATIONS = frozenset({"post_hidden", "post_removed", "post_rejected", "comment_hidden", "comment_removed"})


def _post_url(post) -> str:
    return path_for("posts.show", circle_id=post.circle_id, post_id=post.id)


def comment_added(comment, actor_name: str) -> None:
    """Tell the post's author (and, for a reply, the author of the comment replied to) about `comment`;
    nobody hears about their own comment, nor twice about one comment (told when it is written, or when the
    staff approve it if it was held)."""
    post = comment.post
    circle = post.circle.name
    url = _post_url(post) + f"#comment-{comment.id}"
    replied_to = comment.parent.author_id if comment.parent is not None else None
    once = f"feed-comment-{comment.id}"
    if replied_to is not None and replied_to != comment.author_id:
        notify(REPLY_TO_MY_COMMENT, [replied_to], url=url, params={"actor": actor_name, "circle": circle},
               circle_id=post.circle_id, subject=(SUBJECT, post.id), actor_id=comment.author_id, dedupe_key=once)
    if post.author_id not in (comment.author_id, replied_to):
        notify(COMMENT_ON_MY_POST, [post.author_id], url=url, params={"actor": actor_name, "circle": circle},
               circle_id=post.circle_id, subject=(SUBJECT, post.id), actor_id=comment.author_id, dedupe_key=once)


def post_featured(post, actor_id: int) -> None:
    if post.author_id != actor_id:
        notify(POST_FEATURED, [post.author_id], url=_post_url(post), params={"circle": post.circle.name},
               circle_id=post.circle_id, subject=(SUBJECT, post.id), actor_id=actor_id)


def awaiting_approval(post, actor_name: str) -> None:
    """Tell the circle's staff (who approve) that `post` waits in the queue: one notification per post,
    read when they open the queue."""
    from lms.feed.notices.queries import staff_user_ids

    staff = [user_id for user_id in staff_user_ids(post.circle) if user_id != post.author_id]
    notify(POST_AWAITING_APPROVAL, staff, url=path_for("posts.queue", circle_id=post.circle_id),
           params={"actor": actor_name, "circle": post.circle.name}, circle_id=post.circle_id,
           subject=(QUEUE_SUBJECT, post.circle_id), actor_id=post.author_id,
           dedupe_key=f"feed-post-{post.id}-awaiting")


def approved(post, actor_id: int) -> None:
    """Tell the author that the staff approved their post."""
    if post.author_id != actor_id:
        notify(POST_APPROVED, [post.author_id], url=_post_url(post), params={"circle": post.circle.name},
               circle_id=post.circle_id, subject=(SUBJECT, post.id), actor_id=actor_id)


def queue_opened(circle_id: int, reader_id: int) -> None:
    """The staff member opened the approval queue: what they were told is waiting there is read."""
    mark_read_about(reader_id, (QUEUE_SUBJECT, circle_id))


def moderated(what: str, author_id: int, post, reason: str, actor_id: int) -> None:
    """Tell `author_id` that the staff did `what` (one of MODERATIONS) to their post or comment, and why."""
    assert what in MODERATIONS, what
    if author_id == actor_id:
        return
    # a removed post has no page left: the notification leads to the feed
    url = (path_for("posts.feed", circle_id=post.circle_id) if what == "post_removed"
           else _post_url(post))
    notify(POST_MODERATED, [author_id], url=url,
           params={"circle": post.circle.name, "reason": reason, "variant": what},
           circle_id=post.circle_id, subject=(SUBJECT, post.id), actor_id=actor_id)


def post_opened(post, reader_id: int) -> None:
    """The reader opened `post`: their unread notifications about it (comments, replies, featured,
    moderated) are read now."""
    mark_read_about(reader_id, (SUBJECT, post.id))
