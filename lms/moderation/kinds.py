"""What can be reported, kind by kind: how it is loaded through its circle, shown in the queue (author by
circle identity, where it is, a link) and hidden, shown again, deleted or approved by each domain's own
operations. Every loader is scoped: an id of another circle answers None."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl

from lms.accounts.models import User
from lms.chat import operations as chat_ops
from lms.chat import queries as chat_q
from lms.chat.models import ChannelKind, ChatChannel, ChatMessage
from lms.checkins import operations as checkin_ops
from lms.checkins.models import Checkin, CheckinComment, CheckinTask
from lms.circles.models import Circle, Membership
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.feed.posts import operations as feed_ops
from lms.feed.posts.models import Comment, CommentState, Post, PostState
from lms.homework.models import Assignment, Submission, VideoComment
from lms.homework.grades import is_released
from lms.homework.notifications import comments_changed
from lms.moderation.models import ReportKind

#: how each kind is named on the queue and the report dialog
KIND_LABELS = {
    # "Post" alone reads as the verb in Chinese (发表): the noun, with its context
    ReportKind.post: _pl("reported thing", "Post"),
    ReportKind.comment: _pl("reported thing", "Comment"),
    ReportKind.chat_message: _l("Chat message"),
    ReportKind.video_comment: _l("Video comment"),
    ReportKind.checkin: _l("Check-in"),
    ReportKind.checkin_comment: _l("Check-in comment"),
    ReportKind.member: _l("Member profile"),
}


@dataclass
class Target:
    """A reported thing as the queue shows it and the actions change it."""

    kind: ReportKind
    obj: object
    author_id: int | None
    text: str
    where: str  #: "Feed", "Homework: Essay 1", "Chat: General"…
    url: str
    is_hidden: bool = False
    is_held: bool = False
    #: the domain's own operation tells the author (feed posts and comments): moderation does not again
    domain_tells_author: bool = False
    actions: tuple[str, ...] = field(default=("hide", "delete", "warn", "mute", "remove", "ban", "dismiss"))


@dataclass(frozen=True)
class Adapter:
    load: Callable[[Circle, int], object | None]
    describe: Callable[[Circle, object], Target]
    hide: Callable[[object, User, str], None] | None = None
    unhide: Callable[[object, User], None] | None = None
    delete: Callable[[object, User, str], None] | None = None
    approve: Callable[[object, User], None] | None = None
    #: the author's visible things in the circle, for a ban (ids), hidden in bulk
    hide_all_of: Callable[[Circle, int, User], int] | None = None
    #: may this person see it (a report is only taken from someone who can)
    can_see: Callable[[object, User], bool] = lambda obj, user: True
    #: many at once for the queue, in one query with what `describe` reads: {(circle id, object id): object}
    load_many: Callable[[set[tuple[int, int]]], Loaded] | None = None


#: a key of load_many: (circle id, object id)
Key = tuple[int, int]


class Loaded(dict):
    """load_many's answer; it holds the rows too, so their other entities stay in the session's identity map
    (which holds objects weakly) while the queue describes the things."""

    rows: list


def _scoped(statement: sa.Select, keys: set[Key]) -> Loaded:
    """Run `statement` (rows of the object first, its circle id last) and keep the objects of the circle
    they were asked for. The other entities of a row (a comment's check-in and task, a message's channel)
    are where `describe`'s many-to-one reads find them without a query."""
    found = Loaded()
    found.rows = db.session.execute(statement).all()
    for row in found.rows:
        key = (row[-1], row[0].id)
        if key in keys:
            found[key] = row[0]
    return found


def _ids(keys: set[Key]) -> list[int]:
    return sorted({object_id for _circle_id, object_id in keys})


# -- feed posts and comments -------------------------------------------------------------------

def _load_post(circle: Circle, object_id: int) -> Post | None:
    return db.session.scalar(sa.select(Post).where(Post.id == object_id, Post.circle_id == circle.id))


def _load_posts(keys: set[Key]) -> dict[Key, Post]:
    return _scoped(sa.select(Post, Post.circle_id).where(Post.id.in_(_ids(keys))), keys)


def _describe_post(circle: Circle, post: Post) -> Target:
    return Target(ReportKind.post, post, post.author_id, post.body_md, str(_l("Feed")),
                  path_for("posts.show", circle_id=circle.id, post_id=post.id),
                  is_hidden=post.state in (PostState.hidden, PostState.removed, PostState.rejected),
                  is_held=post.state == PostState.pending, domain_tells_author=True)


def _hide_post(post: Post, actor: User, reason: str) -> None:
    if post.state == PostState.pending:
        feed_ops.reject_post(post, actor, reason)
    elif post.state == PostState.published:
        feed_ops.hide_post(post, actor, reason)


def _unhide_post(post: Post, actor: User) -> None:
    if post.state == PostState.hidden:
        feed_ops.show_post(post, actor)


def _delete_post(post: Post, actor: User, reason: str) -> None:
    if post.state != PostState.removed:
        feed_ops.remove_post(post, actor, reason)


def _approve_post(post: Post, actor: User) -> None:
    if post.state == PostState.pending:
        feed_ops.approve_post(post, actor)


def _hide_posts_of(circle: Circle, user_id: int, actor: User) -> int:
    posts = list(db.session.scalars(sa.select(Post).where(
        Post.circle_id == circle.id, Post.author_id == user_id,
        Post.state.in_([PostState.published, PostState.pending])).limit(BAN_LIMIT)))
    for post in posts:
        post.state = PostState.hidden if post.published_at is not None else PostState.rejected
        post.moderated_by_id, post.moderated_at = actor.id, utcnow()
    comments = list(db.session.scalars(sa.select(Comment).join(Post, Post.id == Comment.post_id).where(
        Post.circle_id == circle.id, Comment.author_id == user_id,
        Comment.state.in_([CommentState.visible, CommentState.held])).limit(BAN_LIMIT)))
    for comment in comments:
        comment.state = CommentState.hidden
        comment.moderated_by_id, comment.moderated_at = actor.id, utcnow()
    return len(posts) + len(comments)


def _load_comment(circle: Circle, object_id: int) -> Comment | None:
    return db.session.scalar(sa.select(Comment).join(Post, Post.id == Comment.post_id)
                             .where(Comment.id == object_id, Post.circle_id == circle.id))


def _load_comments(keys: set[Key]) -> dict[Key, Comment]:
    return _scoped(sa.select(Comment, Post.circle_id).join(Post, Post.id == Comment.post_id)
                   .where(Comment.id.in_(_ids(keys))), keys)


def _describe_comment(circle: Circle, comment: Comment) -> Target:
    return Target(ReportKind.comment, comment, comment.author_id, comment.body_md, str(_l("Feed: a comment")),
                  path_for("posts.show", circle_id=circle.id, post_id=comment.post_id) + f"#comment-{comment.id}",
                  is_hidden=comment.state in (CommentState.hidden, CommentState.removed),
                  is_held=comment.state == CommentState.held, domain_tells_author=True)


def _hide_comment(comment: Comment, actor: User, reason: str) -> None:
    if comment.state in (CommentState.visible, CommentState.held):
        feed_ops.moderate_comment(comment, actor, reason, remove=False)


def _unhide_comment(comment: Comment, actor: User) -> None:
    if comment.state in (CommentState.hidden, CommentState.held):
        feed_ops.show_comment(comment, actor)


def _delete_comment(comment: Comment, actor: User, reason: str) -> None:
    if comment.state != CommentState.removed:
        feed_ops.moderate_comment(comment, actor, reason, remove=True)


# -- homework video comments -------------------------------------------------------------------

def _load_video_comment(circle: Circle, object_id: int) -> VideoComment | None:
    return db.session.scalar(
        sa.select(VideoComment).join(Submission, Submission.id == VideoComment.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(VideoComment.id == object_id, Assignment.circle_id == circle.id, VideoComment.deleted_at.is_(None)))


def _load_video_comments(keys: set[Key]) -> dict[Key, VideoComment]:
    return _scoped(sa.select(VideoComment, Submission, Assignment, Assignment.circle_id)
                   .join(Submission, Submission.id == VideoComment.submission_id)
                   .join(Assignment, Assignment.id == Submission.assignment_id)
                   .where(VideoComment.id.in_(_ids(keys)), VideoComment.deleted_at.is_(None)), keys)


def _describe_video_comment(circle: Circle, comment: VideoComment) -> Target:
    submission = comment.submission
    return Target(ReportKind.video_comment, comment, comment.author_id, comment.body,
                  str(_l("Homework: %(title)s", title=submission.assignment.title)),
                  path_for("homework.submission", circle_id=circle.id, assignment_id=submission.assignment_id,
                           submission_id=submission.id),
                  is_hidden=comment.hidden_at is not None)


def _set_hidden(thing, hidden: bool) -> None:
    thing.hidden_at = utcnow() if hidden else None
    db.session.flush()


def _hide_video_comment(comment: VideoComment, actor: User, reason: str) -> None:
    _set_hidden(comment, True)
    comments_changed(comment.submission)


def _unhide_video_comment(comment: VideoComment, actor: User) -> None:
    _set_hidden(comment, False)
    comments_changed(comment.submission)


def _delete_video_comment(comment: VideoComment, actor: User, reason: str) -> None:
    comment.deleted_at = utcnow()
    db.session.flush()
    comments_changed(comment.submission)


def _hide_video_comments_of(circle: Circle, user_id: int, actor: User) -> int:
    ids = sa.select(VideoComment.id).join(Submission, Submission.id == VideoComment.submission_id).join(
        Assignment, Assignment.id == Submission.assignment_id).where(
        Assignment.circle_id == circle.id, VideoComment.author_id == user_id, VideoComment.hidden_at.is_(None),
        VideoComment.deleted_at.is_(None))
    result = db.session.execute(sa.update(VideoComment).where(VideoComment.id.in_(ids.scalar_subquery()))
                                .values(hidden_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0


# -- check-ins and their comments -----------------------------------------------------------------

def _load_checkin(circle: Circle, object_id: int) -> Checkin | None:
    return db.session.scalar(sa.select(Checkin).join(CheckinTask, CheckinTask.id == Checkin.task_id)
                             .where(Checkin.id == object_id, CheckinTask.circle_id == circle.id))


def _load_checkins(keys: set[Key]) -> dict[Key, Checkin]:
    return _scoped(sa.select(Checkin, CheckinTask, CheckinTask.circle_id)
                   .join(CheckinTask, CheckinTask.id == Checkin.task_id).where(Checkin.id.in_(_ids(keys))), keys)


def _describe_checkin(circle: Circle, checkin: Checkin) -> Target:
    return Target(ReportKind.checkin, checkin, checkin.user_id, checkin.text,
                  str(_l("Check-in: %(title)s", title=checkin.task.title)),
                  path_for("checkins.checkin", circle_id=circle.id, task_id=checkin.task_id, checkin_id=checkin.id),
                  is_hidden=checkin.hidden_at is not None)


def _can_see_video_comment(comment: VideoComment, user: User) -> bool:
    submission = comment.submission
    if not submission.can_view(user):
        return False
    staff = submission.assignment.is_staff(user)
    released = not staff and submission.is_own(user) and is_released(submission.assignment, submission.student_id)
    return comment.is_visible_to(user, is_staff=staff, released=released)


def _can_see_checkin(checkin: Checkin, user: User) -> bool:
    return checkin.task.can_view(user) and checkin.task.can_see_checkin(user, checkin) and (
        checkin.hidden_at is None or checkin.user_id == user.id or checkin.task.is_staff(user))


def _can_see_checkin_comment(comment: CheckinComment, user: User) -> bool:
    checkin = db.session.get(Checkin, comment.checkin_id)
    return _can_see_checkin(checkin, user) and (comment.hidden_at is None or comment.author_id == user.id)


def _can_see_chat_message(message: ChatMessage, user: User) -> bool:
    reader = chat_q.reader_of(message.channel.circle, user)
    return chat_q.may_read(message.channel, reader) and message.deleted_at is None and \
        message.is_shown_to(user.id, reader.staff)


def _delete_checkin(checkin: Checkin, actor: User, reason: str) -> None:
    checkin_ops.delete_checkin(checkin)


def _load_checkin_comment(circle: Circle, object_id: int) -> CheckinComment | None:
    return db.session.scalar(
        sa.select(CheckinComment).join(Checkin, Checkin.id == CheckinComment.checkin_id)
        .join(CheckinTask, CheckinTask.id == Checkin.task_id)
        .where(CheckinComment.id == object_id, CheckinTask.circle_id == circle.id))


def _load_checkin_comments(keys: set[Key]) -> dict[Key, CheckinComment]:
    return _scoped(sa.select(CheckinComment, Checkin, CheckinTask, CheckinTask.circle_id)
                   .join(Checkin, Checkin.id == CheckinComment.checkin_id)
                   .join(CheckinTask, CheckinTask.id == Checkin.task_id)
                   .where(CheckinComment.id.in_(_ids(keys))), keys)


def _describe_checkin_comment(circle: Circle, comment: CheckinComment) -> Target:
    checkin = db.session.get(Checkin, comment.checkin_id)
    return Target(ReportKind.checkin_comment, comment, comment.author_id, comment.body,
                  str(_l("Check-in: %(title)s", title=checkin.task.title)),
                  path_for("checkins.checkin", circle_id=circle.id, task_id=checkin.task_id, checkin_id=checkin.id),
                  is_hidden=comment.hidden_at is not None)


def _delete_checkin_comment(comment: CheckinComment, actor: User, reason: str) -> None:
    db.session.execute(sa.update(Checkin).where(Checkin.id == comment.checkin_id)
                       .values(comment_count=sa.func.max(Checkin.comment_count - 1, 0)
                               if db.engine.dialect.name == "sqlite"
                               else sa.func.greatest(Checkin.comment_count - 1, 0))
                       .execution_options(synchronize_session=False))
    db.session.delete(comment)
    db.session.flush()


def _hide_checkins_of(circle: Circle, user_id: int, actor: User) -> int:
    tasks = sa.select(CheckinTask.id).where(CheckinTask.circle_id == circle.id).scalar_subquery()
    now = utcnow()
    count = db.session.execute(sa.update(Checkin).where(Checkin.task_id.in_(tasks), Checkin.user_id == user_id,
                                                        Checkin.hidden_at.is_(None))
                               .values(hidden_at=now).execution_options(synchronize_session=False)).rowcount or 0
    checkins = sa.select(Checkin.id).where(Checkin.task_id.in_(tasks)).scalar_subquery()
    count += db.session.execute(sa.update(CheckinComment).where(
        CheckinComment.checkin_id.in_(checkins), CheckinComment.author_id == user_id,
        CheckinComment.hidden_at.is_(None)).values(hidden_at=now).execution_options(synchronize_session=False)
    ).rowcount or 0
    return count


# -- chat messages ------------------------------------------------------------------------------
# The chat's own operations push each change to the channel's Socket.IO room at once: a hidden or deleted
# message disappears from every open screen, an approved held one appears.

def _load_chat_message(circle: Circle, object_id: int) -> ChatMessage | None:
    message = chat_q.get_message_in_circle(circle, object_id)
    if message is not None:
        message.channel.circle = circle
    return message


def _load_chat_messages(keys: set[Key]) -> dict[Key, ChatMessage]:
    return _scoped(sa.select(ChatMessage, ChatChannel, ChatMessage.circle_id)
                   .join(ChatChannel, ChatChannel.id == ChatMessage.channel_id)
                   .where(ChatMessage.id.in_(_ids(keys))), keys)


def _channel_label(channel: ChatChannel) -> str:
    """The channel as the queue names it: the main channel has no stored name, a direct conversation no name."""
    if channel.kind == ChannelKind.main:
        return str(_pl("chat channel", "Everyone"))
    if channel.kind == ChannelKind.direct:
        return str(_pl("chat channel", "Direct messages"))
    return channel.name


def _describe_chat_message(circle: Circle, message: ChatMessage) -> Target:
    return Target(ReportKind.chat_message, message, message.author_id, message.body or "",
                  str(_l("Chat: %(channel)s", channel=_channel_label(message.channel))),
                  path_for("chat.channel", circle_id=circle.id, channel_id=message.channel_id) + f"#m{message.id}",
                  is_hidden=message.hidden_at is not None or message.deleted_at is not None,
                  is_held=message.held_at is not None)


def _hide_chat_messages_of(circle: Circle, user_id: int, actor: User) -> int:
    messages = list(db.session.scalars(sa.select(ChatMessage).where(
        ChatMessage.circle_id == circle.id, ChatMessage.author_id == user_id, ChatMessage.hidden_at.is_(None),
        ChatMessage.deleted_at.is_(None)).order_by(ChatMessage.id.desc()).limit(BAN_LIMIT)))
    for message in messages:
        message.channel.circle = circle
        chat_ops.hide_message(message, actor=actor, reason="")
    return len(messages)


# -- members ------------------------------------------------------------------------------------

def _load_member(circle: Circle, object_id: int) -> Membership | None:
    return db.session.scalar(sa.select(Membership).where(Membership.id == object_id,
                                                         Membership.circle_id == circle.id))


def _load_members(keys: set[Key]) -> dict[Key, Membership]:
    return _scoped(sa.select(Membership, Membership.circle_id).where(Membership.id.in_(_ids(keys))), keys)


def _describe_member(circle: Circle, membership: Membership) -> Target:
    return Target(ReportKind.member, membership, membership.user_id, membership.display_name,
                  str(_l("Member profile")),
                  path_for("circles.members", circle_id=circle.id),
                  actions=("warn", "mute", "remove", "ban", "dismiss"))


#: at most this many posts or comments a ban hides at once (one row each)
BAN_LIMIT = 1000

_ADAPTERS: dict[ReportKind, Adapter] = {
    ReportKind.post: Adapter(_load_post, _describe_post, _hide_post, _unhide_post, _delete_post, _approve_post,
                             _hide_posts_of, lambda post, user: post.can_view(user), _load_posts),
    ReportKind.comment: Adapter(_load_comment, _describe_comment, _hide_comment, _unhide_comment, _delete_comment,
                                lambda c, actor: _unhide_comment(c, actor), None,
                                lambda comment, user: comment.can_view(user), _load_comments),
    ReportKind.video_comment: Adapter(_load_video_comment, _describe_video_comment, _hide_video_comment,
                                      _unhide_video_comment, _delete_video_comment,
                                      lambda c, actor: _unhide_video_comment(c, actor), _hide_video_comments_of,
                                      _can_see_video_comment, _load_video_comments),
    ReportKind.checkin: Adapter(_load_checkin, _describe_checkin, lambda c, a, r: _set_hidden(c, True),
                                lambda c, a: _set_hidden(c, False), _delete_checkin, None, _hide_checkins_of,
                                _can_see_checkin, _load_checkins),
    ReportKind.checkin_comment: Adapter(_load_checkin_comment, _describe_checkin_comment,
                                        lambda c, a, r: _set_hidden(c, True), lambda c, a: _set_hidden(c, False),
                                        _delete_checkin_comment, checkin_ops.approve_comment, None,
                                        _can_see_checkin_comment, _load_checkin_comments),
    ReportKind.member: Adapter(_load_member, _describe_member,
                               can_see=lambda membership, user: membership.is_active, load_many=_load_members),
    ReportKind.chat_message: Adapter(
        _load_chat_message, _describe_chat_message,
        lambda m, actor, reason: chat_ops.hide_message(m, actor=actor, reason=reason),
        lambda m, actor: chat_ops.unhide_message(m, actor=actor),
        lambda m, actor, reason: chat_ops.delete_message(m, actor=actor, reason=reason),
        lambda m, actor: chat_ops.approve_message(m, actor=actor), _hide_chat_messages_of, _can_see_chat_message,
        _load_chat_messages),
}


def adapter_of(kind: ReportKind) -> Adapter | None:
    return _ADAPTERS.get(kind)


def load_target(circle: Circle, kind: ReportKind, object_id: int) -> Target | None:
    """The reported thing of `circle` as a Target, or None (gone, or of another circle)."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        return None
    obj = adapter.load(circle, object_id)
    return adapter.describe(circle, obj) if obj is not None else None


def load_targets(wanted: list[tuple[Circle, ReportKind, int]]) -> dict[tuple[int, ReportKind, int], Target]:
    """The reported things as Targets, keyed (circle id, kind, object id): one query per kind asked for, however
    many things (the review queue's page). A thing gone or of another circle is left out."""
    circles = {circle.id: circle for circle, _kind, _object_id in wanted}
    by_kind: dict[ReportKind, set[Key]] = {}
    for circle, kind, object_id in wanted:
        by_kind.setdefault(kind, set()).add((circle.id, object_id))
    targets = {}
    for kind, keys in by_kind.items():
        adapter = _ADAPTERS.get(kind)
        if adapter is None:
            continue
        if adapter.load_many is not None:
            loaded = adapter.load_many(keys)
        else:
            loaded = {(cid, oid): obj for cid, oid in keys if (obj := adapter.load(circles[cid], oid)) is not None}
        for (circle_id, object_id), obj in loaded.items():
            targets[(circle_id, kind, object_id)] = adapter.describe(circles[circle_id], obj)
    return targets
