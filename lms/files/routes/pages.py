"""The Files tab's pages: a folder, a file, the trash, the settings."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.core.permissions import require
from lms.extensions import db
from lms.files import PREVIEW_SUBJECT, UPLOAD_INTO_FOLDER, UPLOAD_NEW_VERSION, bp
from lms.files import operations as ops
from lms.files import queries as q
from lms.files.forms import AddFilesForm, MoveForm, NameForm, SettingsForm
from lms.files.models import TRASH_DAYS, Folder, can_manage_files, can_see_file_history
from lms.files.routes.common import PREFIX, _circle
from lms.files.routes.serving import signed_url
from lms.files.sniff import preview_kind
from lms.uploads.queries import media_state_json, media_urls


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
    may_upload = folder.can_upload(current_user, settings)
    upload_folder = None  # a member who may upload, but elsewhere: where (else they look for it folder by folder)
    if not may_upload and settings is not None and settings.members_may_upload and settings.member_folder_id:
        target = db.session.get(Folder, settings.member_folder_id)
        if target is not None and target.circle_id == circle.id and target.can_upload(current_user, settings):
            upload_folder = target
    usage = None
    if circle.can_edit(current_user):
        usage = {"used": q.circle_files_bytes(circle.id), "quota": q.circle_quota(circle)}
    return render_template(
        "files/folder.html", circle=circle, folder=folder, crumbs=q.breadcrumbs(folder),
        folders=q.subfolders(folder), files=files, manage=manage, history=can_see_file_history(circle, current_user),
        may_upload=may_upload, upload_folder=upload_folder, settings=settings, usage=usage,
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
    kind = preview_kind(version.content_type) if version else None
    preview = None
    if version is not None and kind in ("audio", "video"):
        preview = version.preview_media
        if preview is None and not file.in_trash:  # a version added before versions had their player
            preview = ops.ensure_preview(version)
            db.session.commit()
    subject = (PREVIEW_SUBJECT, version.id) if version is not None else None
    versions = q.versions_of(file) if history else []
    return render_template(
        "files/file.html", circle=circle, file=file, version=version, crumbs=q.breadcrumbs(file.folder),
        preview=preview, preview_urls=media_urls(preview, subject) if preview is not None else {},
        preview_state=media_state_json(preview, current_user, subject) if preview is not None else None,
        versions=versions, uploaders=q.uploader_names(circle, versions), history=history,
        manage=file.can_manage(current_user),
        own=file.can_rename_or_trash(current_user),
        kind=kind, signed_url=signed_url,
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
