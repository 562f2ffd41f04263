"""Feed pages: the feed, a post, comments, likes, essentials, moderation, approval, settings, contest
entries, search (thin: parse, scoped lookup, permission check, one operation, commit)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.circles.locks import locked_settings, refuse_change
from lms.circles.queries import get_circle_or_404
from lms.core.images import ImageRejected, image_response
from lms.core.permissions import require
from lms.extensions import db
from lms.feed.posts import bp
from lms.feed.posts import operations as ops
from lms.feed.posts import queries as q
from lms.feed.posts.forms import CommentForm, EditPostForm, PostForm, ReasonForm, SettingsForm
from lms.feed.posts.models import PostKind, PostState, WhoMayPost, is_feed_staff, is_feed_teacher
from lms.feed.posts.search import search_circle
from lms.moderation import policy
from lms.uploads.models import Media
from lms.uploads.operations import keep_images, take_kept_images
from lms.uploads.queries import get_own_media, kept_images, kept_video

PREFIX = "/circles/<int:circle_id>/feed"


def _load(circle_id: int, post_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return circle, q.get_post_or_404(circle, post_id, current_user)


def _files(field) -> list:
    """The files a multiple file field received (a browser sends one empty part when none was chosen)."""
    return [f.stream for f in (field.data or []) if getattr(f, "filename", "")]


def _back_to(post) -> str:
    return url_for("posts.show", circle_id=post.circle_id, post_id=post.id)


def _back_to_comment(post, comment) -> str:
    """The post's page of comments that shows `comment` (its thread may be pages down), at the comment."""
    return url_for("posts.show", circle_id=post.circle_id, post_id=post.id,
                   after=q.comment_page_of(comment)) + f"#comment-{comment.id}"


def _refused(error, status=422):
    flash(str(error), "error")
    return status


# -- the feed ----------------------------------------------------------------------------------

@bp.route(PREFIX)
@login_required
def feed(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return _feed(circle, PostForm())


def _feed(circle, form, status: int = 200):
    tab = request.args.get("tab", "all")
    if tab not in q.TABS:
        tab = "all"
    settings = q.feed_settings(circle)
    staff = is_feed_staff(circle, current_user)
    if tab == "entries" and not settings.has_contest:
        tab = "all"
    after = q.Cursor.parse(request.args.get("after"))
    page = q.feed_page(circle, current_user, after=after, tab=tab)
    return render_template(
        "feed/posts/feed.html", circle=circle, page=page, tab=tab, form=form, settings=settings, staff=staff,
        kept_video=_kept_video(form), kept_images=_kept_images(circle, form),
        can_post=settings.can_post(circle, current_user), can_enter=settings.can_enter_contest(circle, current_user),
        needs_approval=settings.needs_approval_for(circle, current_user),
        waiting=q.my_waiting_posts(circle, current_user) if after is None and not staff else [],
        pending=q.pending_count(circle) if staff else 0, first_page=after is None,
        can_react=circle.active_role(current_user) is not None and not circle.is_archived,
        can_change_settings=is_feed_teacher(circle, current_user)), status


def _kept_video(form) -> Media | None:
    """The video a failed submit sent, shown again in the uploader (lms.uploads.queries.kept_video)."""
    return kept_video(current_user, form.media_id.data) if form.is_submitted() else None


def _kept_images(circle, form) -> list[Media]:
    """The images a refused submit carried, still attached when the form comes back: those kept from an
    earlier try and this try's, kept now as the writer's own uploads (lms.uploads keep_images). What the
    refused request wrote is rolled back first; the kept images are committed."""
    if not form.is_submitted():
        return []
    db.session.rollback()
    kept = kept_images(current_user, request.form.getlist("kept_image"))
    kept += keep_images(current_user, [f for f in (form.images.data or []) if getattr(f, "filename", "")],
                        circle_id=circle.id)
    db.session.commit()
    return kept


def _images(form, kept: list[Media]) -> list:
    """The images a submit sends: those kept from a refused try (their uploads go with the commit), then the new."""
    return take_kept_images(kept) + _files(form.images)


@bp.route(PREFIX, methods=["POST"])
@login_required
def create(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    settings = q.feed_settings(circle)
    require(settings.can_post(circle, current_user))
    form = PostForm()
    kept = kept_images(current_user, request.form.getlist("kept_image"))
    if not form.validate_on_submit():
        return _feed(circle, form, 422)
    kind = PostKind.entry if form.is_entry.data else PostKind.post
    require(kind == PostKind.post or settings.can_enter_contest(circle, current_user))
    media = None
    if form.media_id.data:
        media = get_own_media(current_user, form.media_id.data)
        if media is None:  # someone else's upload, or none at all: the same answer
            flash(_("That upload was not found. Upload the file again."), "error")
            return _feed(circle, form, 422)
    me = circle.membership_of(current_user)
    policy.check_write(circle, current_user, policy.WriteAction.post, me)
    screening = policy.screen(circle, me, form.body_md.data or "")
    if screening.refused:
        flash(screening.refused, "error")
        return _feed(circle, form, 422)
    try:
        post = ops.create_post(circle, current_user, settings, body_md=form.body_md.data or "", kind=kind,
                               images=_images(form, kept), media=media, held=screening.held)
        if screening.held:
            policy.record_hold(circle, "post", post.id, current_user.id, screening, post.body_md)
    except (ops.FeedError, ImageRejected) as error:
        db.session.rollback()
        return _feed(circle, form, _refused(error))
    policy.count_write(circle, current_user, policy.WriteAction.post)  # accepted: a refused post counts nothing
    db.session.commit()
    if post.state == PostState.pending:
        flash(_("Your post waits for the staff's approval."), "success")
        return redirect(url_for("posts.feed", circle_id=circle.id))
    flash(_("Posted."), "success")
    return redirect(url_for("posts.feed", circle_id=circle.id, tab="entries" if kind == PostKind.entry else None))


# -- a post --------------------------------------------------------------------------------------

@bp.route(PREFIX + "/<int:post_id>")
@login_required
def show(circle_id: int, post_id: int):
    circle, post = _load(circle_id, post_id)
    ops.read_post(post, current_user)
    db.session.commit()
    return _show(circle, post, CommentForm())


def _show(circle, post, comment_form, status: int = 200):
    after = request.args.get("after", type=int)
    threads, next_after = q.comment_threads(post, current_user, after=after)
    return render_template(
        "feed/posts/show.html", circle=circle, item=q.feed_item(post, current_user),
        threads=threads, comments_after=after, comments_next=next_after, comment_form=comment_form,
        reason_form=ReasonForm(), confirm=ConfirmForm(), staff=post.can_moderate(current_user)), status


@bp.route(PREFIX + "/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(circle_id: int, post_id: int):
    circle, post = _load(circle_id, post_id)
    require(post.can_edit(current_user))
    form = EditPostForm(obj=post)
    kept = kept_images(current_user, request.form.getlist("kept_image")) if form.is_submitted() else []
    if form.validate_on_submit():
        media = False
        if form.remove_video.data:
            media = None
        elif form.media_id.data and form.media_id.data != post.media_id:
            media = get_own_media(current_user, form.media_id.data)
            if media is None:
                flash(_("That upload was not found. Upload the file again."), "error")
                return render_template("feed/posts/edit.html", circle=circle, post=post, form=form,
                                       kept_images=_kept_images(circle, form)), 422
        policy.ensure_not_muted(circle.membership_of(current_user))  # an edit is writing too
        screening = policy.screen(circle, circle.membership_of(current_user), form.body_md.data or "")
        try:
            if screening.refused:
                raise ops.FeedError(screening.refused, "body_md")
            ops.update_post(post, current_user, body_md=form.body_md.data or "", add_images=_images(form, kept),
                            remove_image_ids={int(i) for i in request.form.getlist("remove_image") if i.isdigit()},
                            media=media, held=screening.held)
            if screening.held:
                policy.record_hold(circle, "post", post.id, current_user.id, screening, post.body_md)
        except (ops.FeedError, ImageRejected) as error:
            db.session.rollback()
            _refused(error)
            circle, post = _load(circle_id, post_id)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(_back_to(post))
    kept = _kept_video(form)
    images = _kept_images(circle, form)
    if form.is_submitted():
        circle, post = _load(circle_id, post_id)
    return render_template("feed/posts/edit.html", circle=circle, post=post, form=form, kept_images=images,
                           kept_video=kept if kept is not None and kept.id != post.media_id else None), (
        422 if request.method == "POST" else 200)


@bp.route(PREFIX + "/<int:post_id>/delete", methods=["POST"])
@login_required
def delete(circle_id: int, post_id: int):
    circle, post = _load(circle_id, post_id)
    require(post.can_delete(current_user))
    if ConfirmForm().validate_on_submit():
        ops.delete_post(post)
        db.session.commit()
        flash(_("Your post is deleted."), "success")
    return redirect(url_for("posts.feed", circle_id=circle.id))


@bp.route(PREFIX + "/<int:post_id>/like", methods=["POST"])
@login_required
def like(circle_id: int, post_id: int):
    circle, post = _load(circle_id, post_id)
    require(post.can_like(current_user))
    liked = request.form.get("liked") != "0"
    if ConfirmForm().validate_on_submit():
        ops.set_like(post, current_user, liked)
        db.session.commit()
    if request.accept_mimetypes.best == "application/json":  # static/js/feed/posts.js
        return jsonify(liked=liked, count=q.like_count(post))
    return redirect(_safe_next() or _back_to(post))


def _safe_next() -> str | None:
    """Where a like or a staff action came from (the feed, the contest), a path on this site only."""
    from lms.core.urls import is_local_path

    target = request.form.get("next")
    return target if is_local_path(target) else None


# -- comments ----------------------------------------------------------------------------------

@bp.route(PREFIX + "/<int:post_id>/comments", methods=["POST"])
@login_required
def comment(circle_id: int, post_id: int):
    circle, post = _load(circle_id, post_id)
    require(post.can_comment(current_user))
    form = CommentForm()
    if not form.validate_on_submit():
        return _show(circle, post, form, 422)
    reply_to = None
    if form.reply_to.data:
        if not form.reply_to.data.isdigit():
            return _show(circle, post, form, 422)
        reply_to = q.get_comment_or_404(post, int(form.reply_to.data), current_user)
    me = circle.membership_of(current_user)
    policy.check_write(circle, current_user, policy.WriteAction.comment, me)
    screening = policy.screen(circle, me, form.body_md.data or "")
    if screening.refused:
        flash(screening.refused, "error")
        return _show(circle, post, form, 422)
    try:
        added = ops.add_comment(post, current_user, form.body_md.data, reply_to=reply_to,
                                author_name=me.display_name if me is not None else current_user.name,
                                held=screening.held)
        if screening.held:
            policy.record_hold(circle, "comment", added.id, current_user.id, screening, added.body_md)
    except ops.FeedError as error:
        db.session.rollback()
        return _show(circle, post, form, _refused(error))
    policy.count_write(circle, current_user, policy.WriteAction.comment)  # accepted: a refused one counts nothing
    db.session.commit()
    if screening.held:
        flash(_("Your comment waits for the staff's review before others see it."), "success")
    return redirect(_back_to_comment(post, added))


def _load_comment(circle_id: int, post_id: int, comment_id: int):
    circle, post = _load(circle_id, post_id)
    return circle, post, q.get_comment_or_404(post, comment_id, current_user)


@bp.route(PREFIX + "/<int:post_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(circle_id: int, post_id: int, comment_id: int):
    circle, post, comment = _load_comment(circle_id, post_id, comment_id)
    require(comment.can_edit(current_user))
    form = CommentForm(obj=comment)
    if form.validate_on_submit():
        policy.ensure_not_muted(circle.membership_of(current_user))  # an edit is writing too
        screening = policy.screen(circle, circle.membership_of(current_user), form.body_md.data or "")
        try:
            if screening.refused:
                raise ops.FeedError(screening.refused, "body_md")
            ops.update_comment(comment, form.body_md.data, held=screening.held)
            if screening.held:
                policy.record_hold(circle, "comment", comment.id, current_user.id, screening, comment.body_md)
        except ops.FeedError as error:
            db.session.rollback()
            _refused(error)
        else:
            db.session.commit()
            return redirect(_back_to_comment(post, comment))
    return render_template("feed/posts/edit_comment.html", circle=circle, post=post, comment=comment,
                           form=form), (422 if request.method == "POST" else 200)


@bp.route(PREFIX + "/<int:post_id>/comments/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete_comment(circle_id: int, post_id: int, comment_id: int):
    circle, post, comment = _load_comment(circle_id, post_id, comment_id)
    require(comment.can_delete(current_user))
    if ConfirmForm().validate_on_submit():
        ops.delete_comment(comment)
        db.session.commit()
        flash(_("Your comment is deleted."), "success")
    return redirect(_back_to(post))


@bp.route(PREFIX + "/<int:post_id>/comments/<int:comment_id>/<any(hide, remove):action>", methods=["POST"])
@login_required
def moderate_comment(circle_id: int, post_id: int, comment_id: int, action: str):
    circle, post, comment = _load_comment(circle_id, post_id, comment_id)
    require(comment.can_moderate(current_user))
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why, for the author."), "error")
        return redirect(_back_to_comment(post, comment))
    ops.moderate_comment(comment, current_user, form.reason.data, remove=action == "remove")
    db.session.commit()
    flash(_("The comment is hidden. Its author sees why.") if action == "hide"
          else _("The comment is deleted. Its author is told why."), "success")
    return redirect(_back_to(post))


# -- the staff -----------------------------------------------------------------------------------

@bp.route(PREFIX + "/<int:post_id>/essential", methods=["POST"])
@login_required
def essential(circle_id: int, post_id: int):
    circle, post = _load(circle_id, post_id)
    require(post.can_feature(current_user))
    if ConfirmForm().validate_on_submit():
        ops.set_essential(post, current_user, request.form.get("essential") != "0")
        db.session.commit()
        flash(_("Featured in Essentials.") if post.is_essential else _("No longer in Essentials."), "success")
    return redirect(_safe_next() or _back_to(post))


@bp.route(PREFIX + "/<int:post_id>/<any(hide, remove, reject):action>", methods=["POST"])
@login_required
def moderate(circle_id: int, post_id: int, action: str):
    circle, post = _load(circle_id, post_id)
    require(post.can_moderate(current_user))
    form = ReasonForm()
    back = _safe_next() or _back_to(post)
    if not form.validate_on_submit():
        flash(_("Say why, for the author."), "error")
        return redirect(back)
    try:
        {"hide": ops.hide_post, "remove": ops.remove_post, "reject": ops.reject_post}[action](
            post, current_user, form.reason.data)
    except ops.FeedError as error:
        db.session.rollback()
        _refused(error)
        return redirect(back)
    db.session.commit()
    if action == "hide":
        flash(_("The post is hidden. Its author sees why."), "success")
        return redirect(back)
    flash(_("The post is deleted. Its author is told why.") if action == "remove"
          else _("The post is not approved. Its author sees why."), "success")
    return redirect(url_for("posts.queue", circle_id=circle.id) if action == "reject"
                    else url_for("posts.feed", circle_id=circle.id))


@bp.route(PREFIX + "/<int:post_id>/<any(show, approve):action>", methods=["POST"])
@login_required
def restore(circle_id: int, post_id: int, action: str):
    circle, post = _load(circle_id, post_id)
    require(post.can_moderate(current_user))
    if ConfirmForm().validate_on_submit():
        try:
            if action == "show":
                require(post.state == PostState.hidden)
                ops.show_post(post, current_user)
            else:
                ops.approve_post(post, current_user)
        except ops.FeedError as error:
            db.session.rollback()
            _refused(error)
        else:
            db.session.commit()
            flash(_("The post is shown again.") if action == "show" else _("The post is in the feed."), "success")
    return redirect(url_for("posts.queue", circle_id=circle.id) if action == "approve" else _back_to(post))


@bp.route(PREFIX + "/queue")
@login_required
def queue(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(is_feed_staff(circle, current_user))
    ops.read_queue(circle, current_user)  # the "waiting for approval" notifications are read here
    db.session.commit()
    return render_template("feed/posts/queue.html", circle=circle, items=q.approval_queue(circle, current_user),
                           reason_form=ReasonForm(), confirm=ConfirmForm())


@bp.route(PREFIX + "/settings", methods=["GET", "POST"])
@login_required
def settings(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(is_feed_teacher(circle, current_user))
    current = q.feed_settings(circle)
    form = SettingsForm(obj=current)
    if request.method == "GET":
        form.who_may_post.data = str(current.who_may_post)
    locked = locked_settings(circle)
    if form.validate_on_submit() and not refuse_change(form.who_may_post, locked, "who_may_post",
                                                       current.who_may_post, WhoMayPost(form.who_may_post.data)):
        ops.update_settings(circle, current_user, current, who_may_post=WhoMayPost(form.who_may_post.data),
                            needs_approval=form.needs_approval.data, has_contest=form.has_contest.data)
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("posts.feed", circle_id=circle.id))
    return render_template("feed/posts/settings.html", circle=circle, form=form, locked=locked), \
        (422 if form.errors else 200)


@bp.route(PREFIX + "/contest")
@login_required
def contest(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(is_feed_staff(circle, current_user))
    return render_template("feed/posts/contest.html", circle=circle,
                           items=q.ranked_entries(circle, current_user), confirm=ConfirmForm())


# -- images ------------------------------------------------------------------------------------

@bp.route(PREFIX + "/<int:post_id>/images/<int:image_id>")
@login_required
def image(circle_id: int, post_id: int, image_id: int):
    """A post's image, to whoever may see the post now (checked on every request)."""
    _circle, post = _load(circle_id, post_id)
    return image_response(q.get_image_or_404(post, image_id).storage_key)


# -- search ------------------------------------------------------------------------------------

@bp.route("/circles/<int:circle_id>/search")
@login_required
def search(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    text = (request.args.get("q") or "").strip()
    return render_template("feed/posts/search.html", circle=circle, text=text,
                           results=search_circle(circle, current_user, text) if text else None)
