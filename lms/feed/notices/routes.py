"""Notice pages: list, write, edit, read, confirm, receipts, reminders (thin: parse, scoped lookup, check, one operation, commit)."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import NamedTuple

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.i18n import from_local, local_datetime
from lms.core.images import image_response, sniff_image
from lms.core.permissions import require
from lms.core.text import render_markdown
from lms.core.types import utcnow
from lms.extensions import db
from lms.feed.notices import bp, changes, exports
from lms.feed.notices import operations as ops
from lms.feed.notices import notifications as tell
from lms.feed.notices import queries as q
from lms.feed.notices.forms import ConfirmReadForm, NoticeForm, PreviewForm, RemindForm
from lms.feed.notices.models import Notice, ReceiptLevel, can_post_notices, can_see_drafts
from lms.notifications import fan_out_state
from lms.storage import get_storage
from lms.storage.base import content_disposition
from lms.uploads.models import Media
from lms.uploads.queries import get_own_media, media_urls

PREFIX = "/circles/<int:circle_id>/notices"
RECEIPTS_PER_PAGE = 50
#: "Publish at a set time" a little in the past (the minutes spent writing) counts as now; earlier is refused.
PUBLISH_SLACK = timedelta(minutes=5)


def _load(circle_id: int, notice_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    return circle, q.get_notice_or_404(circle, notice_id, current_user)


# -- list and page -------------------------------------------------------------------------------

@bp.route(PREFIX)
@login_required
def index(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    rows, cursor = q.notices_page(circle, current_user, after=q.Cursor.decode(request.args.get("after")))
    return render_template("feed/notices/index.html", circle=circle, rows=rows,
                           next_after=cursor.encode() if cursor else None, paged=bool(request.args.get("after")),
                           can_post=can_post_notices(circle, current_user),
                           staff=can_see_drafts(circle, current_user), now=utcnow())


@bp.route(PREFIX + "/<int:notice_id>")
@login_required
def show(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    read = ops.open_notice(notice, current_user)
    db.session.commit()
    subject = ("notice", notice.id)
    files = [(a.media, media_urls(a.media, subject)) for a in notice.attachments]
    counts = q.receipt_counts(notice) if notice.can_see_receipts(current_user) and notice.is_published() else None
    return render_template("feed/notices/show.html", circle=circle, notice=notice, read=read, files=files,
                           counts=counts, confirm_form=ConfirmReadForm(), confirm=ConfirmForm(), now=utcnow())


@bp.route(PREFIX + "/<int:notice_id>/confirm", methods=["POST"])
@login_required
def confirm(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_confirm(current_user))
    if ConfirmReadForm().validate_on_submit():
        ops.confirm_notice(notice, current_user)
        db.session.commit()
        flash(_("Thank you: you confirmed you have read this notice."), "success")
    return redirect(url_for("notices.show", circle_id=circle.id, notice_id=notice.id))


@bp.route(PREFIX + "/files/<int:media_id>")
@login_required
def file(circle_id: int, media_id: int):
    """A notice's attachment by a stable path (an image in the text refers to it), checked on every
    request: an image (proved by its bytes, cleaned when it was processed) is served inline with that
    type; any other file sends the viewer to a URL signed for them, which serving checks again (the
    "notice" media subject)."""
    circle = get_circle_or_404(circle_id, current_user)
    attachment = q.attachment_of(circle, media_id)
    if attachment is None or not attachment.notice.can_view(current_user) or not attachment.media.is_ready:
        abort(404)
    media = attachment.media
    if media.original_key and (media.bytes or 0) <= current_app.config["MAX_IMAGE_BYTES"]:
        with get_storage().open(media.original_key) as stored:
            head = stored.read(16)
        if sniff_image(head) is not None:
            return image_response(media.original_key)
    url = media_urls(media, ("notice", attachment.notice_id)).get("download")
    if url is None:
        abort(404)
    return redirect(url)


# -- writing -------------------------------------------------------------------------------------

def _values(form: NoticeForm) -> dict:
    when = form.when.data
    publish_at = None
    if when == "now":
        publish_at = utcnow()
    elif when == "later":
        publish_at = from_local(form.publish_at.data)
        if publish_at is None:
            raise ops.NoticeError(_("Choose when to publish it."), "publish_at")
        now = utcnow()
        if publish_at < now - PUBLISH_SLACK:
            # a past time would backdate the notice (listed last) and tell members now
            raise ops.NoticeError(_("That time has passed. Choose a time from now on, or “Publish now”."),
                                  "publish_at")
        publish_at = max(publish_at, now)  # a minute or two ago (the time it took to type) means now
    return {"title": form.title.data or "", "body_md": form.body_md.data or "", "publish_at": publish_at,
            "is_pinned": form.is_pinned.data, "is_must_read": form.is_must_read.data,
            "receipt_level": ReceiptLevel(form.receipt_level.data), "confirm_by": from_local(form.confirm_by.data),
            "remind_hours": form.remind_hours.data, "escalate_hours": form.escalate_hours.data}


class FormFile(NamedTuple):
    """An attachment as the notice form lists it: a kept one or an upload sent with a failed submit."""

    media_id: int
    media: Media
    checked: bool


def _usable_upload(circle, media: Media) -> bool:
    """An upload of the writer's (get_own_media checked that) made for this circle's notices, or for
    nothing in particular (their library); never one made for another circle or another purpose."""
    upload = media.upload
    return upload is None or upload.purpose is None or (upload.purpose == "notices" and upload.purpose_id == circle.id)


def _sent_files(circle, notice: Notice | None, strict: bool) -> list[Media]:
    """The attachments the form sends (repeated `file_id`): the writer's own uploads for this circle, or
    ones the notice already has (a co-teacher's). `strict`: raise NoticeError for any other id (on
    submit); else leave it out (re-showing the form after an error)."""
    kept = {a.media_id: a.media for a in notice.attachments} if notice is not None else {}
    files = []
    for raw in request.form.getlist("file_id"):
        raw = raw.strip()
        if not raw:
            continue
        item = kept.get(int(raw)) if raw.isdigit() and int(raw) in kept else get_own_media(current_user, raw)
        if item is not None and item.id not in kept and not _usable_upload(circle, item):
            item = None
        if item is None:
            if strict:
                raise ops.NoticeError(_("That upload was not found. Upload the file again."))
            continue
        if item not in files:
            files.append(item)
    return files


def _files(circle, notice: Notice | None) -> list:
    return _sent_files(circle, notice, strict=True)


def _form_files(circle, notice: Notice | None, submitted: bool) -> list[FormFile]:
    """What the form lists: the notice's attachments (checked unless a failed submit unchecked them), then
    the uploads a failed submit sent, so they are not lost (the text's inline images point at them)."""
    kept = list(notice.attachments) if notice is not None else []
    if not submitted:
        return [FormFile(a.media_id, a.media, True) for a in kept]
    sent = _sent_files(circle, notice, strict=False)
    sent_ids = {m.id for m in sent}
    kept_ids = {a.media_id for a in kept}
    return ([FormFile(a.media_id, a.media, a.media_id in sent_ids) for a in kept]
            + [FormFile(m.id, m, True) for m in sent if m.id not in kept_ids])


def _field_error(form: NoticeForm, error: ops.NoticeError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        flash(str(error), "error")
    else:
        field.errors = list(field.errors) + [str(error)]


def _render_form(circle, form, notice=None, status=200):
    attachments = _form_files(circle, notice, form.is_submitted())
    return render_template("feed/notices/form.html", circle=circle, form=form, notice=notice,
                           attachments=attachments, confirm=ConfirmForm()), status


@bp.route(PREFIX + "/new", methods=["GET", "POST"])
@login_required
def create(circle_id: int):
    circle = get_circle_or_404(circle_id, current_user)
    require(can_post_notices(circle, current_user))
    form = NoticeForm()
    if form.validate_on_submit():
        try:
            notice = ops.create_notice(circle, current_user, files=_files(circle, None), **_values(form))
        except ops.NoticeError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The notice is published.") if notice.is_published() else
                  _("The notice is scheduled; members see it from its publish time.") if notice.publish_at else
                  _("The notice is saved as a draft; only the staff see it."), "success")
            return redirect(url_for("notices.show", circle_id=circle.id, notice_id=notice.id))
    return _render_form(circle, form, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/preview", methods=["POST"])
@login_required
def preview(circle_id: int):
    """The notice form's Markdown as members will see it: render_markdown's sanitized HTML, as JSON. Only
    for those who may write notices here; the form's CSRF token is required."""
    circle = get_circle_or_404(circle_id, current_user)
    require(can_post_notices(circle, current_user))
    form = PreviewForm()
    if not form.validate_on_submit():
        return jsonify(error=_("The text could not be previewed. Reload the page and try again.")), 400
    return jsonify(html=str(render_markdown(form.body_md.data or "")))


@bp.route(PREFIX + "/<int:notice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_edit(current_user))
    form = NoticeForm()
    if not form.is_submitted():
        form.fill(notice)
    if form.validate_on_submit():
        try:
            values = _values(form)
            was_published = notice.is_published()
            if form.when.data == "now" and was_published:
                values.pop("publish_at")  # it keeps its time and place
            ops.update_notice(notice, current_user, files=_files(circle, notice), **values)
            confirm_again = form.confirm_again.data and notice.asks_confirmation
            if was_published and (form.notify_change.data or confirm_again):
                changes.tell_change(notice, current_user, confirm_again=confirm_again)
        except ops.NoticeError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Changes saved. The members who must confirm it were asked again.") if was_published and confirm_again
                  else _("Changes saved. The members were told.") if was_published and form.notify_change.data
                  else _("Changes saved."), "success")
            return redirect(url_for("notices.show", circle_id=circle.id, notice_id=notice.id))
    return _render_form(circle, form, notice, status=422 if form.is_submitted() else 200)


@bp.route(PREFIX + "/<int:notice_id>/pin", methods=["POST"])
@login_required
def pin(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_edit(current_user))
    if ConfirmForm().validate_on_submit():
        ops.set_pinned(notice, current_user, not notice.is_pinned)
        db.session.commit()
        flash(_("The notice is pinned.") if notice.is_pinned else _("The notice is no longer pinned."), "success")
    return redirect(url_for("notices.show", circle_id=circle.id, notice_id=notice.id))


@bp.route(PREFIX + "/<int:notice_id>/delete", methods=["POST"])
@login_required
def delete(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_edit(current_user))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("notices.show", circle_id=circle.id, notice_id=notice.id))
    ops.delete_notice(notice, current_user)
    db.session.commit()
    flash(_("The notice is deleted."), "success")
    return redirect(url_for("notices.index", circle_id=circle.id))


@bp.route(PREFIX + "/<int:notice_id>/history")
@login_required
def history(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_see_receipts(current_user))
    revisions = q.revisions(notice)
    return render_template("feed/notices/history.html", circle=circle, notice=notice, revisions=revisions,
                           changes=changes.revision_changes(revisions))


# -- receipts ------------------------------------------------------------------------------------

def _receipt_filter() -> q.ReceiptFilter:
    try:
        return q.ReceiptFilter(request.args.get("filter", "all"))
    except ValueError:
        return q.ReceiptFilter.all


def _shown_filters(notice) -> list:
    """The receipt tabs worth showing: "read" is "confirmed" for a notice that asks for it and "opened" for one
    that does not, so the same count is not shown twice under two names; a confirmation notice also shows who
    opened it. Every filter stays reachable by its URL (exports, links)."""
    F = q.ReceiptFilter
    return [F.all, F.read, F.unread] + ([F.opened] if notice.asks_confirmation else [])


@bp.route(PREFIX + "/<int:notice_id>/receipts")
@login_required
def receipts(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_see_receipts(current_user))
    which = _receipt_filter()
    args = request.args
    after = q.ReceiptCursor.read(args.get("after_key"), args.get("after_name"), args.get("after"))
    rows, cursor = q.receipts_page(notice, which, after=after, per_page=RECEIPTS_PER_PAGE)
    return render_template("feed/notices/receipts.html", circle=circle, notice=notice, rows=rows, which=which,
                           counts=q.receipt_counts(notice), filters=_shown_filters(notice),
                           next_page=cursor.encode() if cursor else None, paged=after is not None,
                           remind_form=RemindForm(), last_reminder=tell.last_reminder(notice),
                           fan_out=fan_out_state(current_user, request.args.get("fan_out", type=int)))


@bp.route(PREFIX + "/<int:notice_id>/receipts/counts")
@login_required
def receipt_counts(circle_id: int, notice_id: int):
    """The counts as JSON, for the receipts page to refresh when a member reads (static/js/feed/notices.js)."""
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_see_receipts(current_user))
    return jsonify(q.receipt_counts(notice)._asdict())


@bp.route(PREFIX + "/<int:notice_id>/receipts.<any(csv, xlsx):fmt>")
@login_required
def export_receipts(circle_id: int, notice_id: int, fmt: str):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_see_receipts(current_user))
    # read every row now (plain values) and word the header in the request's language; then stream
    rows = list(exports.receipt_rows(q.all_receipts(notice, _receipt_filter()), lambda t: local_datetime(t, "short")))
    chunks = exports.csv_bytes(rows) if fmt == "csv" else exports.xlsx_bytes(rows, _("Receipts"))
    response = Response(chunks, mimetype=exports.FORMATS[fmt])
    response.headers["Content-Disposition"] = content_disposition(_receipts_filename(notice, fmt))
    return response


def _receipts_filename(notice: Notice, fmt: str) -> str:
    """The export's name, "<title> - read receipts.csv" in the request's language: characters file systems
    refuse become "_"
    (content_disposition adds the ASCII fallback and RFC 6266's filename* for the rest)."""
    title = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", notice.title).strip(" ._")[:80] or str(notice.id)
    return _("%(title)s - read receipts", title=title) + f".{fmt}"


@bp.route(PREFIX + "/<int:notice_id>/remind", methods=["POST"])
@login_required
def remind(circle_id: int, notice_id: int):
    circle, notice = _load(circle_id, notice_id)
    require(notice.can_see_receipts(current_user) and notice.is_published())
    args = {}
    if RemindForm().validate_on_submit():
        try:
            count, fan_out = ops.remind_unread(notice, current_user)
        except ops.NoticeError as error:  # reminded a moment ago: said, nothing sent
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("notices.receipts", circle_id=circle.id, notice_id=notice.id))
        db.session.commit()
        if fan_out is not None:
            args = {"fan_out": fan_out.id}
            flash(ngettext("Reminding %(num)d member in the background; the progress shows below.",
                           "Reminding %(num)d members in the background; the progress shows below.", count), "success")
        elif count and notice.asks_confirmation:
            flash(ngettext("Reminded %(num)d member who has not confirmed it.",
                           "Reminded %(num)d members who have not confirmed it.", count), "success")
        elif count:
            flash(ngettext("Reminded %(num)d member who has not read it.",
                           "Reminded %(num)d members who have not read it.", count), "success")
        elif notice.asks_confirmation:
            flash(_("Everyone has confirmed it: nobody to remind."), "success")
        else:
            flash(_("Everyone has read it: nobody to remind."), "success")
    return redirect(url_for("notices.receipts", circle_id=circle.id, notice_id=notice.id, **args))
