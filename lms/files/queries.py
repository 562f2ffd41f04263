"""Reads of a circle's files: scoped look-ups (through the circle, checked), listings, the trash,
usage, and the entries of a folder's ZIP."""
from __future__ import annotations

from typing import NamedTuple

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.circles.models import Circle, Membership
from lms.extensions import db
from lms.files.archive import Entry, unique_name
from lms.files.models import CircleFile, FileSettings, FileVersion, Folder
from lms.storage.names import safe_name

#: A circle's files may take this much unless the site (FILES_CIRCLE_QUOTA_BYTES) or the circle says otherwise.
DEFAULT_CIRCLE_QUOTA = 10 * 1024**3


# -- scoped look-ups -----------------------------------------------------------------------------------

def get_folder_or_404(circle: Circle, folder_id: int, user: User) -> Folder:
    """A folder of `circle` that `user` may see (a member: not in the trash); 404 otherwise."""
    folder = db.session.scalar(db.select(Folder).where(Folder.id == folder_id, Folder.circle_id == circle.id))
    if folder is None or not folder.can_view(user):
        abort(404)
    return folder


def get_file_or_404(circle: Circle, file_id: int, user: User) -> CircleFile:
    """A file of `circle` that `user` may see (a member: not in the trash); 404 otherwise."""
    file = db.session.scalar(db.select(CircleFile).where(CircleFile.id == file_id, CircleFile.circle_id == circle.id)
                             .options(selectinload(CircleFile.current_version)))
    if file is None or not file.can_view(user):
        abort(404)
    return file


def get_version_or_404(file: CircleFile, version_id: int, user: User) -> FileVersion:
    """A version of `file` `user` may download (an older one: staff only); 404 otherwise."""
    version = db.session.scalar(db.select(FileVersion).where(FileVersion.id == version_id,
                                                             FileVersion.file_id == file.id))
    if version is None or not file.can_fetch_version(user, version):
        abort(404)
    return version


# -- folders -------------------------------------------------------------------------------------------

def root_of(circle: Circle) -> Folder | None:
    return db.session.scalar(db.select(Folder).where(Folder.circle_id == circle.id, Folder.parent_id.is_(None)))


def settings_of(circle: Circle) -> FileSettings | None:
    return db.session.get(FileSettings, circle.id)


def _parents(circle_id: int) -> dict[int, int | None]:
    """Every folder of the circle → its parent (one query; a circle has hundreds of folders at most)."""
    return dict(db.session.execute(db.select(Folder.id, Folder.parent_id).where(Folder.circle_id == circle_id)).all())


def ancestor_ids(folder: Folder) -> list[int]:
    """`folder` and the folders it is in, up to the root."""
    parents = _parents(folder.circle_id)
    found, current = [], folder.id
    while current is not None and current not in found:
        found.append(current)
        current = parents.get(current)
    return found


def subtree_ids(folder: Folder) -> list[int]:
    """`folder` and every folder inside it, at any depth."""
    children: dict[int | None, list[int]] = {}
    for child, parent in _parents(folder.circle_id).items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [folder.id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def breadcrumbs(folder: Folder) -> list[Folder]:
    """The folders from the root down to `folder`."""
    ids = ancestor_ids(folder)
    by_id = {f.id: f for f in db.session.scalars(db.select(Folder).where(Folder.id.in_(ids)))}
    return [by_id[i] for i in reversed(ids) if i in by_id]


def subfolders(folder: Folder) -> list[Folder]:
    return list(db.session.scalars(db.select(Folder).where(Folder.parent_id == folder.id, Folder.deleted_at.is_(None))
                                   .order_by(Folder.name_key)))


def files_in(folder: Folder) -> list[CircleFile]:
    """The folder's files (not in the trash) with their current version and uploader, by name."""
    return list(db.session.scalars(
        db.select(CircleFile).where(CircleFile.folder_id == folder.id, CircleFile.deleted_at.is_(None))
        .options(selectinload(CircleFile.current_version), selectinload(CircleFile.uploaded_by))
        .order_by(CircleFile.name_key)))


def live_names(folder: Folder) -> list[str]:
    return list(db.session.scalars(db.select(CircleFile.name).where(CircleFile.folder_id == folder.id,
                                                                    CircleFile.deleted_at.is_(None))))


class FolderChoice(NamedTuple):
    id: int
    label: str  #: its path from the top, "/ Week 1 / Slides"


def folder_choices(circle: Circle, *, exclude: Folder | None = None) -> list[FolderChoice]:
    """Every folder of the circle not in the trash, labelled with its path (for move and settings);
    without `exclude` and the folders inside it."""
    rows = db.session.execute(db.select(Folder.id, Folder.parent_id, Folder.name)
                              .where(Folder.circle_id == circle.id, Folder.deleted_at.is_(None))).all()
    by_id = {r.id: r for r in rows}
    left_out = set(subtree_ids(exclude)) if exclude is not None else set()

    def path(row) -> str | None:
        names, seen = [], set()
        while row is not None and row.parent_id is not None:
            if row.id in seen:
                return None
            seen.add(row.id)
            names.append(row.name)
            row = by_id.get(row.parent_id)
            if row is None:
                return None  # inside a folder in the trash
        # the top folder by its name on the Files tab, not "/" (a path sign few people read)
        return _("All files") + " / " + " / ".join(reversed(names)) if names else _("All files")

    choices = [FolderChoice(r.id, p) for r in rows if r.id not in left_out and (p := path(r)) is not None]
    return sorted(choices, key=lambda c: c.label.casefold())


# -- trash and versions --------------------------------------------------------------------------------

def trash_of(circle: Circle) -> tuple[list[Folder], list[CircleFile]]:
    """What the staff can restore: folders in the trash whose parent is not (deleted with them), and
    files in the trash that did not go with a folder."""
    folders = list(db.session.scalars(db.select(Folder).where(Folder.circle_id == circle.id,
                                                              Folder.deleted_at.is_not(None))
                                      .order_by(Folder.deleted_at.desc())))
    stamps = {f.id: f.deleted_at for f in folders}
    top = [f for f in folders if stamps.get(f.parent_id) != f.deleted_at]
    files = [f for f in db.session.scalars(
        db.select(CircleFile).where(CircleFile.circle_id == circle.id, CircleFile.deleted_at.is_not(None))
        .options(selectinload(CircleFile.current_version)).order_by(CircleFile.deleted_at.desc()).limit(500))
        if stamps.get(f.folder_id) != f.deleted_at]
    return top, files


def versions_of(file: CircleFile) -> list[FileVersion]:
    return list(db.session.scalars(db.select(FileVersion).where(FileVersion.file_id == file.id)
                                   .options(selectinload(FileVersion.uploaded_by))
                                   .order_by(FileVersion.number.desc())))


def uploader_names(circle: Circle, versions: list[FileVersion]) -> dict[int, str]:
    """The names the versions' uploaders have in `circle` (their one identity there, as every tool shows them),
    by user id, in one query; someone with no membership row keeps their account name."""
    ids = {v.uploaded_by_id for v in versions if v.uploaded_by_id is not None}
    if not ids:
        return {}
    names = {v.uploaded_by_id: v.uploaded_by.name for v in versions if v.uploaded_by is not None}
    names.update(db.session.execute(db.select(Membership.user_id, Membership.display_name)
                                    .where(Membership.circle_id == circle.id, Membership.user_id.in_(ids))).all())
    return names


# -- usage ---------------------------------------------------------------------------------------------

def circle_quota(circle: Circle) -> int:
    """Bytes the circle's files may take (0: no limit)."""
    settings = settings_of(circle)
    if settings is not None and settings.quota_bytes is not None:
        return int(settings.quota_bytes)
    return int(current_app.config.get("FILES_CIRCLE_QUOTA_BYTES", DEFAULT_CIRCLE_QUOTA))


def circle_files_bytes(circle_id: int) -> int:
    """Bytes of every version of every file of the circle, the trash included."""
    return int(db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(FileVersion.bytes), 0))
        .join(CircleFile, CircleFile.id == FileVersion.file_id).where(CircleFile.circle_id == circle_id)) or 0)


# -- archives ------------------------------------------------------------------------------------------

def folder_entries(folder: Folder) -> tuple[list[Entry], list[str]]:
    """The files under `folder` (not in the trash, current versions) as ZIP entries under a top folder
    named like it, with safe and unique names per folder; and the empty folders' paths. Two queries."""
    rows = db.session.execute(db.select(Folder.id, Folder.parent_id, Folder.name)
                              .where(Folder.circle_id == folder.circle_id, Folder.deleted_at.is_(None))).all()
    children: dict[int, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    top = safe_name(folder.name, fallback="files")
    paths: dict[int, str] = {folder.id: top}
    taken_in: dict[int, set[str]] = {}  # names used in each folder (its folders' and its files')
    todo = [folder.id]
    while todo:
        current = todo.pop()
        taken = taken_in.setdefault(current, set())
        for child in sorted(children.get(current, []), key=lambda r: r.name.casefold()):
            paths[child.id] = paths[current] + "/" + unique_name(safe_name(child.name, "folder"), taken)
            todo.append(child.id)
    files = db.session.execute(
        db.select(CircleFile.folder_id, CircleFile.name, FileVersion.storage_key, FileVersion.bytes)
        .join(FileVersion, FileVersion.id == CircleFile.current_version_id)
        .where(CircleFile.folder_id.in_(list(paths)), CircleFile.deleted_at.is_(None))
        .order_by(CircleFile.folder_id, CircleFile.name_key)).all()
    entries, filled = [], set()
    for row in files:
        name = unique_name(safe_name(row.name), taken_in.setdefault(row.folder_id, set()))
        entries.append(Entry(f"{paths[row.folder_id]}/{name}", row.storage_key, int(row.bytes)))
        filled.add(row.folder_id)
    empty = [paths[i] + "/" for i in paths if i not in filled and not children.get(i)]
    return entries, empty
