"""Folder changes (make, rename, move, trash, restore) and a folder as a streamed ZIP."""
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
from lms.files.archive import zip_stream
from lms.files.download import zip_response
from lms.files.forms import MoveForm, NameForm
from lms.files.models import Folder
from lms.files.routes.common import PREFIX, _back_to, _circle, _managed_folder
from lms.files.routes.pages import _folder_page
from lms.storage import get_storage
from lms.storage.names import safe_name


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
