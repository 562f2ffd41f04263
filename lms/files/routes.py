"""The circle's Files tab (thin views: parse, scoped lookup, permission check, one operation, commit),
signed downloads and previews of a version, and a folder as a streamed ZIP."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.extensions import db
from lms.files import MEDIA_SUBJECT, UPLOAD_INTO_FOLDER, UPLOAD_NEW_VERSION, bp
from lms.files import operations as ops
from lms.files import queries as q
from lms.files.archive import safe_name, zip_stream
from lms.files.download import zip_response
from lms.files.forms import AddFilesForm, MoveForm, NameForm, SettingsForm
from lms.files.models import TRASH_DAYS, CircleFile, FileVersion, Folder, can_manage_files, can_see_file_history
from lms.files.sniff import preview_kind
from lms.storage import get_storage
from lms.storage.base import content_disposition
from lms.uploads import access
from lms.uploads.access import Rendition, Subject
from lms.uploads.models import Media
from lms.uploads.queries import get_own_media, quota_problem as user_quota_problem

PREFIX = "/c/<int:circle_id>/files"
#: Inline previews run in a sandbox: no script, no forms, no same-origin access, nothing loaded.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
PDF_CSP = "default-src 'none'; img-src 'self' data:; frame-ancestors 'self'"


def _circle(circle_id: int):
    return get_circle_or_404(circle_id, current_user)


def _managed_folder(circle_id: int, folder_id: int) -> Folder:
    circle = _circle(circle_id)
    folder = q.get_folder_or_404(circle, folder_id, current_user)
    require(folder.can_manage(current_user))
    return folder


def _managed_file(circle_id: int, file_id: int) -> CircleFile:
    circle = _circle(circle_id)
    file = q.get_file_or_404(circle, file_id, current_user)
    require(file.can_manage(current_user))
    return file


def _back_to(folder: Folder):
    return redirect(url_for("files.folder", circle_id=folder.circle_id, folder_id=folder.id))


def _refusal(message: str, status: int):
    return jsonify(error={"code": status, "message": message}), status


def signed_url(version: FileVersion, *, inline: bool = False) -> str:
    """The URL of a version's bytes, signed for the current viewer and for this version; checked
    again on every request (lms/uploads/access.py)."""
    token = access.sign(current_user.id, SimpleNamespace(id=version.media_id), Rendition.file,
                        Subject(MEDIA_SUBJECT, version.id))
    return url_for("files.view" if inline else "files.download", token=token)


# -- pages ---------------------------------------------------------------------------------------------

@bp.route(PREFIX)
@login_required
def index(circle_id: int):
    circle = _circle(circle_id)
    root = q.root_of(circle)
    if root is None:
        root = ops.root_folder(circle)
        db.session.commit()
    return _folder_page(root)


@bp.route(PREFIX + "/f/<int:folder_id>")
@login_required
def folder(circle_id: int, folder_id: int):
    circle = _circle(circle_id)
    return _folder_page(q.get_folder_or_404(circle, folder_id, current_user))


def _folder_page(folder: Folder, *, name_form=None, status: int = 200):
    circle = folder.circle
    settings = q.settings_of(circle)
    manage = can_manage_files(circle, current_user)
    files = q.files_in(folder)
    usage = None
    if circle.can_edit(current_user):
        usage = {"used": q.circle_files_bytes(circle.id), "quota": q.circle_quota(circle)}
    return render_template(
        "files/folder.html", circle=circle, folder=folder, crumbs=q.breadcrumbs(folder),
        folders=q.subfolders(folder), files=files, manage=manage, history=can_see_file_history(circle, current_user),
        may_upload=folder.can_upload(current_user, settings), settings=settings, usage=usage,
        name_form=name_form or NameForm(formdata=None), add_form=AddFilesForm(formdata=None),
        move_form=MoveForm(formdata=None), confirm=ConfirmForm(),
        move_choices=q.folder_choices(circle, exclude=folder) if manage and not folder.is_root else [],
        purpose=UPLOAD_INTO_FOLDER, signed_url=signed_url), status


@bp.route(PREFIX + "/<int:file_id>")
@login_required
def show(circle_id: int, file_id: int):
    circle = _circle(circle_id)
    file = q.get_file_or_404(circle, file_id, current_user)
    history = can_see_file_history(circle, current_user)
    version = file.current_version
    return render_template(
        "files/file.html", circle=circle, file=file, version=version, crumbs=q.breadcrumbs(file.folder),
        versions=q.versions_of(file) if history else [], history=history, manage=file.can_manage(current_user),
        kind=preview_kind(version.content_type) if version else None, signed_url=signed_url,
        name_form=NameForm(formdata=None, name=file.name), move_form=MoveForm(formdata=None),
        move_choices=q.folder_choices(circle), confirm=ConfirmForm(), purpose=UPLOAD_NEW_VERSION)


@bp.route(PREFIX + "/trash")
@login_required
def trash(circle_id: int):
    circle = _circle(circle_id)
    require(can_see_file_history(circle, current_user))
    folders, files = q.trash_of(circle)
    return render_template("files/trash.html", circle=circle, folders=folders, files=files, days=TRASH_DAYS,
                           manage=can_manage_files(circle, current_user), confirm=ConfirmForm())


@bp.route(PREFIX + "/settings", methods=["GET", "POST"])
@login_required
def settings(circle_id: int):
    circle = _circle(circle_id)
    require(circle.can_edit(current_user) and not circle.is_archived)
    current = q.settings_of(circle)
    form = SettingsForm(formdata=request.form if request.method == "POST" else None)
    form.member_folder_id.choices = [(c.id, c.label) for c in q.folder_choices(circle)]
    if request.method == "GET" and current is not None:
        form.members_may_upload.data = current.members_may_upload
        form.member_folder_id.data = current.member_folder_id
    if request.method == "POST" and form.validate_on_submit():
        target = db.session.get(Folder, form.member_folder_id.data or 0)
        if target is not None and target.circle_id != circle.id:
            target = None
        try:
            ops.update_settings(circle, current_user, members_may_upload=bool(form.members_may_upload.data),
                                member_folder=target)
        except ops.FileError as error:
            db.session.rollback()
            form.member_folder_id.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("The file settings were saved."), "success")
            return redirect(url_for("files.settings", circle_id=circle.id))
    usage = {"used": q.circle_files_bytes(circle.id), "quota": q.circle_quota(circle)}
    return render_template("files/settings.html", circle=circle, form=form, usage=usage), \
        (422 if request.method == "POST" else 200)


# -- folders -------------------------------------------------------------------------------------------

@bp.post(PREFIX + "/f/<int:folder_id>/folders")
@login_required
def create_folder(circle_id: int, folder_id: int):
    parent = _managed_folder(circle_id, folder_id)
    form = NameForm()
    if form.validate_on_submit():
        try:
            made = ops.create_folder(parent, current_user, form.name.data)
        except ops.FileError as error:
            db.session.rollback()
            form.name.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("Folder “%(name)s” made.", name=made.name), "success")
            return _back_to(parent)
    return _folder_page(parent, name_form=form, status=422)


@bp.post(PREFIX + "/f/<int:folder_id>/rename")
@login_required
def rename_folder(circle_id: int, folder_id: int):
    folder = _managed_folder(circle_id, folder_id)
    form = NameForm()
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors) or _("Give it a name."), "error")
        return _back_to(folder)
    try:
        ops.rename_folder(folder, current_user, form.name.data)
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to(folder)
    db.session.commit()
    flash(_("Folder renamed."), "success")
    return _back_to(folder)


@bp.post(PREFIX + "/f/<int:folder_id>/move")
@login_required
def move_folder(circle_id: int, folder_id: int):
    folder = _managed_folder(circle_id, folder_id)
    form = MoveForm()
    target = db.session.get(Folder, form.target_id.data or 0) if form.validate_on_submit() else None
    if target is None or target.circle_id != folder.circle_id:
        flash(_("Choose a folder of this circle."), "error")
        return _back_to(folder)
    try:
        ops.move_folder(folder, current_user, target)
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to(folder)
    db.session.commit()
    flash(_("Folder moved."), "success")
    return _back_to(folder)


@bp.post(PREFIX + "/f/<int:folder_id>/delete")
@login_required
def delete_folder(circle_id: int, folder_id: int):
    folder = _managed_folder(circle_id, folder_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    parent_id = folder.parent_id
    try:
        count = ops.trash_folder(folder, current_user)
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to(folder)
    db.session.commit()
    flash(ngettext("The folder and %(num)d file went to the trash.", "The folder and %(num)d files went to the trash.",
                   count), "success")
    return redirect(url_for("files.folder", circle_id=circle_id, folder_id=parent_id))


@bp.post(PREFIX + "/f/<int:folder_id>/restore")
@login_required
def restore_folder(circle_id: int, folder_id: int):
    folder = _managed_folder(circle_id, folder_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.restore_folder(folder, current_user)
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("files.trash", circle_id=circle_id))
    db.session.commit()
    flash(_("The folder is back, with what was deleted with it."), "success")
    return _back_to(folder)


@bp.get(PREFIX + "/f/<int:folder_id>/zip")
@login_required
def folder_zip(circle_id: int, folder_id: int):
    """The folder and everything in it (current versions, not the trash) as one ZIP, streamed from
    storage while it is sent: neither memory nor disk holds the archive."""
    circle = _circle(circle_id)
    folder = q.get_folder_or_404(circle, folder_id, current_user)
    require(not folder.in_trash)
    entries, empty = q.folder_entries(folder)
    stream, size = zip_stream(get_storage(), entries, empty)
    name = safe_name(folder.name or circle.name, fallback="files") + ".zip"
    return zip_response(stream, size, name)


# -- adding and replacing ------------------------------------------------------------------------------

@bp.get(PREFIX + "/f/<int:folder_id>/may-upload")
@login_required
def may_upload(circle_id: int, folder_id: int):
    """Asked by the uploader before it creates an upload (?size=bytes): 200 when it may start, else
    403 or 413 (the circle's or the person's storage is full) with the sentence to show."""
    circle = _circle(circle_id)
    folder = q.get_folder_or_404(circle, folder_id, current_user)
    if not folder.can_upload(current_user, q.settings_of(circle)):
        return _refusal(_("You cannot upload into this folder."), 403)
    return _size_check(circle)


def _size_check(circle):
    size = request.args.get("size", type=int) or 0
    problem = ops.quota_problem(circle, size) or user_quota_problem(current_user, size)
    if problem:
        return _refusal(problem, 413)
    return jsonify(ok=True)


@bp.post(PREFIX + "/f/<int:folder_id>/add")
@login_required
def add(circle_id: int, folder_id: int):
    """Put the finished uploads of the form (media ids from the uploader) into the folder."""
    circle = _circle(circle_id)
    folder = q.get_folder_or_404(circle, folder_id, current_user)
    require(folder.can_upload(current_user, q.settings_of(circle)))
    form = AddFilesForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [i for i in (form.media_id.data or []) if i]
    if not ids:
        flash(_("Choose a file and wait until its upload is finished."), "error")
        return _back_to(folder)
    added = []
    try:
        for media_id in ids:
            added.append(ops.add_file(folder, current_user, get_own_media(current_user, media_id)))
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to(folder)
    db.session.commit()
    flash(ngettext("%(num)d file added.", "%(num)d files added.", len(added)), "success")
    return _back_to(folder)


@bp.get(PREFIX + "/<int:file_id>/may-replace")
@login_required
def may_replace(circle_id: int, file_id: int):
    file = _managed_file(circle_id, file_id)
    return _size_check(file.circle)


@bp.post(PREFIX + "/<int:file_id>/replace")
@login_required
def replace(circle_id: int, file_id: int):
    file = _managed_file(circle_id, file_id)
    form = AddFilesForm()
    if not form.validate_on_submit() or len([i for i in form.media_id.data or [] if i]) != 1:
        flash(_("Choose one file and wait until its upload is finished."), "error")
        return redirect(url_for("files.show", circle_id=circle_id, file_id=file.id))
    try:
        version = ops.replace_file(file, current_user, get_own_media(current_user, form.media_id.data[0]))
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("files.show", circle_id=circle_id, file_id=file.id))
    db.session.commit()
    flash(_("Version %(number)d is now the current one; the older versions are kept.", number=version.number),
          "success")
    return redirect(url_for("files.show", circle_id=circle_id, file_id=file.id))


# -- one file ------------------------------------------------------------------------------------------

@bp.post(PREFIX + "/<int:file_id>/rename")
@login_required
def rename(circle_id: int, file_id: int):
    file = _managed_file(circle_id, file_id)
    form = NameForm()
    back = redirect(url_for("files.show", circle_id=circle_id, file_id=file.id))
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors) or _("Give it a name."), "error")
        return back
    try:
        ops.rename_file(file, current_user, form.name.data)
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    flash(_("File renamed."), "success")
    return back


@bp.post(PREFIX + "/<int:file_id>/move")
@login_required
def move(circle_id: int, file_id: int):
    file = _managed_file(circle_id, file_id)
    form = MoveForm()
    back = redirect(url_for("files.show", circle_id=circle_id, file_id=file.id))
    target = db.session.get(Folder, form.target_id.data or 0) if form.validate_on_submit() else None
    if target is None or target.circle_id != file.circle_id:
        flash(_("Choose a folder of this circle."), "error")
        return back
    try:
        ops.move_file(file, current_user, target)
    except ops.FileError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    flash(_("File moved."), "success")
    return back


@bp.post(PREFIX + "/<int:file_id>/delete")
@login_required
def delete(circle_id: int, file_id: int):
    file = _managed_file(circle_id, file_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    folder = file.folder
    ops.trash_file(file, current_user)
    db.session.commit()
    flash(_("“%(name)s” went to the trash. It can be restored for %(days)d days.", name=file.name, days=TRASH_DAYS),
          "success")
    return _back_to(folder)


@bp.post(PREFIX + "/<int:file_id>/restore")
@login_required
def restore(circle_id: int, file_id: int):
    file = _managed_file(circle_id, file_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ops.restore_file(file, current_user)
    db.session.commit()
    flash(_("“%(name)s” is back.", name=file.name), "success")
    return redirect(url_for("files.show", circle_id=circle_id, file_id=file.id))


# -- bytes ---------------------------------------------------------------------------------------------

def _granted_version(token: str) -> FileVersion:
    """The version a signed token names, if it was signed for the current user and they may still
    have it (asked again now); 404 otherwise, as for a stranger."""
    grant = access.read(token, current_user.id)
    if grant is None or grant.subject.kind != MEDIA_SUBJECT or grant.rendition != Rendition.file:
        abort(404)
    media = db.session.get(Media, grant.media_id)
    if media is None or not access.may_fetch(current_user, media, grant.rendition, grant.subject):
        abort(404)
    version = db.session.get(FileVersion, int(grant.subject.id))
    if version is None:
        abort(404)
    return version


def _download_name(version: FileVersion) -> str:
    file = version.file
    if version.id == file.current_version_id:
        return file.name
    stem, dot, ext = file.name.rpartition(".")
    return f"{stem} (v{version.number}).{ext}" if dot and stem else f"{file.name} (v{version.number})"


@bp.get("/files/get/<token>")
@login_required
def download(token: str):
    """A version's bytes as an attachment, under the file's name (RFC 6266), as an opaque type: a
    file is never opened in the app's origin, whatever it holds."""
    version = _granted_version(token)
    return _send(version, "application/octet-stream", content_disposition(_download_name(version)), attach=True)


@bp.get("/files/view/<token>")
@login_required
def view(token: str):
    """A version shown in the page (an image, a PDF, audio or video): only the sniffed types a browser
    shows itself, from a sandboxed response; anything else is 404 (it is downloaded instead)."""
    version = _granted_version(token)
    if preview_kind(version.content_type) is None:
        abort(404)
    return _send(version, version.content_type, content_disposition(_download_name(version), "inline"), attach=False)


def _send(version: FileVersion, mimetype: str, disposition: str, *, attach: bool):
    storage = get_storage()
    if attach:  # a download: straight from the bucket's origin when there is one, after our check
        url = storage.presigned_get_url(version.storage_key, current_app.config["MEDIA_PRESIGN_SECONDS"],
                                        filename=_download_name(version), content_type=mimetype)
        if url:
            response = redirect(url, 302)
            response.headers["Cache-Control"] = "no-store"
            return response
    if hasattr(storage, "path"):  # local disk: with range requests (seeking in a video)
        try:
            response = send_file(storage.path(version.storage_key), mimetype=mimetype, conditional=True,
                                 etag=True, max_age=0)
        except (FileNotFoundError, ValueError):
            abort(404)
    else:  # a bucket, shown inline: through the app in chunks, so the page's frame stays same-origin
        response = Response(storage.iter_range(version.storage_key), mimetype=mimetype, direct_passthrough=True)
        response.headers["Content-Length"] = str(version.bytes)
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if attach:
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    else:
        # Chrome's and Firefox's PDF viewers do not run in a sandboxed document; a PDF is not a
        # document of the app's origin either way (its type is fixed, nosniff), and nothing else loads.
        response.headers["Content-Security-Policy"] = PDF_CSP if version.content_type == "application/pdf" \
            else SANDBOX_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"  # the file's page frames a PDF
    return response
