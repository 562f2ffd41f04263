"""Adding uploads to a folder, new versions, and changes to one file (rename, move, trash, restore)."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.circles.forms import ConfirmForm
from lms.core.permissions import require
from lms.extensions import db
from lms.files import bp
from lms.files import operations as ops
from lms.files import queries as q
from lms.files.forms import AddFilesForm, MoveForm, NameForm
from lms.files.models import TRASH_DAYS, Folder
from lms.files.routes.common import (PREFIX, _back_to, _circle, _managed_file, _own_or_managed_file, _refusal,
                                     _size_check)
from lms.uploads.queries import get_own_media


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
    file = _own_or_managed_file(circle_id, file_id)
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
    file = _own_or_managed_file(circle_id, file_id)
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
