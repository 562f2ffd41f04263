"""What the Files views share: the URL prefix, scoped look-ups with their checks, answers."""
from __future__ import annotations

from flask import jsonify, redirect, request, url_for
from flask_login import current_user

from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.files import operations as ops
from lms.files import queries as q
from lms.files.models import CircleFile, Folder
from lms.uploads.queries import quota_problem as user_quota_problem

PREFIX = "/c/<int:circle_id>/files"


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


def _own_or_managed_file(circle_id: int, file_id: int) -> CircleFile:
    """A file its uploader or the staff may rename or put in the trash (CircleFile.can_rename_or_trash)."""
    file = q.get_file_or_404(_circle(circle_id), file_id, current_user)
    require(file.can_rename_or_trash(current_user))
    return file


def _back_to(folder: Folder):
    return redirect(url_for("files.folder", circle_id=folder.circle_id, folder_id=folder.id))


def _refusal(message: str, status: int):
    return jsonify(error={"code": status, "message": message}), status





def _size_check(circle):
    size = request.args.get("size", type=int) or 0
    problem = ops.quota_problem(circle, size) or user_quota_problem(current_user, size)
    if problem:
        return _refusal(problem, 413)
    return jsonify(ok=True)
