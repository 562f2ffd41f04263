"""Every state change of a circle's files: folders, adding and replacing files, rename, move, trash,
restore, purge, settings. Operations flush and never commit; stored objects go after the commit."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle
from lms.core.inputs import comparison_key, has_visible
from lms.core.types import utcnow
from lms.extensions import db
from lms.files import queries as q
from lms.files.archive import unique_name
from lms.files.models import NAME_MAX, TRASH_DAYS, CircleFile, FileSettings, FileVersion, Folder
from lms.files.sniff import HEAD_BYTES, preview_kind, sniff
from lms.jobs import after_commit, delete_stored_after_commit, discard_stored_on_rollback
from lms.storage import get_storage, new_key
from lms.uploads.messages import human_bytes
from lms.uploads.models import Media, MediaKind, MediaState
from lms.uploads.operations import queue_processing


class FileError(ValueError):
    """A change that cannot be made; the message is for the person."""

    def __init__(self, message, status: int = 400):
        super().__init__(str(message))
        self.status = status


def clean_name(name: str) -> str:
    """A folder's or file's name as kept: NFC, no folder separators, no control or invisible format
    characters (a right-to-left override would disguise the extension), at most NAME_MAX characters.
    Raises FileError when nothing visible is left."""
    name = unicodedata.normalize("NFC", name or "").replace("/", "_").replace("\\", "_")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf")).strip()
    if not has_visible(name) or set(name) <= {"."}:
        raise FileError(_l("Give it a name."))
    return name[:NAME_MAX]


# -- folders -----------------------------------------------------------------------------------------

def root_folder(circle: Circle) -> Folder:
    """The circle's top folder, made on first use."""
    root = q.root_of(circle)
    if root is None:
        root = Folder(circle_id=circle.id, circle=circle, parent_id=None, name="")
        db.session.add(root)
        db.session.flush()
    return root


def _check_folder_name_free(parent: Folder, name: str, own_id: int | None = None) -> None:
    key = comparison_key(name)
    clash = db.session.scalar(db.select(Folder.id).where(Folder.parent_id == parent.id, Folder.name_key == key,
                                                         Folder.id != (own_id or 0)))
    if clash is not None:
        raise FileError(_("There is already a folder called “%(name)s” here.", name=name), status=409)


def create_folder(parent: Folder, actor: User, name: str) -> Folder:
    """Make a folder called `name` inside `parent`. Raises FileError for an empty or taken name."""
    name = clean_name(name)
    if parent.in_trash:
        raise FileError(_l("That folder is in the trash."), status=409)
    _check_folder_name_free(parent, name)
    folder = Folder(circle_id=parent.circle_id, circle=parent.circle, parent_id=parent.id, name=name,
                    created_by_id=actor.id)
    db.session.add(folder)
    db.session.flush()
    return folder


def rename_folder(folder: Folder, actor: User, name: str) -> None:
    """Rename `folder` (not the root). Raises FileError for an empty or taken name."""
    if folder.is_root:
        raise FileError(_l("The top folder has no name to change."))
    name = clean_name(name)
    _check_folder_name_free(folder_parent(folder), name, own_id=folder.id)
    folder.name = name
    db.session.flush()


def folder_parent(folder: Folder) -> Folder:
    return db.session.get(Folder, folder.parent_id)


def move_folder(folder: Folder, actor: User, target: Folder) -> None:
    """Put `folder` inside `target` (same circle). Raises FileError when `target` is the folder
    itself or inside it (a cycle), is in the trash, or has a folder of the same name."""
    if folder.is_root:
        raise FileError(_l("The top folder cannot be moved."))
    if target.circle_id != folder.circle_id or target.in_trash:
        raise FileError(_l("Choose a folder of this circle."))
    if folder.id in q.ancestor_ids(target) or target.id == folder.id:
        raise FileError(_l("A folder cannot go inside itself."), status=409)
    _check_folder_name_free(target, folder.name, own_id=folder.id)
    folder.parent_id = target.id
    db.session.flush()


def trash_folder(folder: Folder, actor: User, now: datetime | None = None) -> int:
    """Put `folder`, its folders and its files in the trash (one time stamp, so a restore brings back
    exactly what went with it). Returns how many files went. Raises FileError for the root."""
    if folder.is_root:
        raise FileError(_l("The top folder cannot be deleted."))
    now = now or utcnow()
    folder_ids = q.subtree_ids(folder)
    db.session.execute(db.update(Folder).where(Folder.id.in_(folder_ids), Folder.deleted_at.is_(None))
                       .values(deleted_at=now).execution_options(synchronize_session=False))
    moved = db.session.execute(db.update(CircleFile).where(CircleFile.folder_id.in_(folder_ids),
                                                           CircleFile.deleted_at.is_(None))
                               .values(deleted_at=now, deleted_by_id=actor.id)
                               .execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    record_event(AuditAction.folder_deleted, actor, target=folder, target_label=folder.name,
                 details={"folder": folder.name, "files": moved})
    return moved


def restore_folder(folder: Folder, actor: User) -> None:
    """Take `folder` out of the trash with what was deleted with it; into the top folder when the
    folder it was in is gone to the trash too or has a folder of the same name by now."""
    if not folder.in_trash:
        return
    stamp = folder.deleted_at
    folder_ids = q.subtree_ids(folder)
    parent = folder_parent(folder)
    if parent is None or parent.in_trash or _name_taken(parent, folder):
        root = root_folder(folder.circle)
        if _name_taken(root, folder):
            raise FileError(_("There is already a folder called “%(name)s” here.", name=folder.name), status=409)
        folder.parent_id = root.id
    db.session.execute(db.update(Folder).where(Folder.id.in_(folder_ids), Folder.deleted_at == stamp)
                       .values(deleted_at=None).execution_options(synchronize_session=False))
    db.session.execute(db.update(CircleFile).where(CircleFile.folder_id.in_(folder_ids), CircleFile.deleted_at == stamp)
                       .values(deleted_at=None, deleted_by_id=None).execution_options(synchronize_session=False))
    db.session.expire_all()
    record_event(AuditAction.folder_restored, actor, target=folder, target_label=folder.name,
                 details={"folder": folder.name})


def _name_taken(parent: Folder, folder: Folder) -> bool:
    return db.session.scalar(db.select(Folder.id).where(Folder.parent_id == parent.id, Folder.id != folder.id,
                                                        Folder.name_key == folder.name_key)) is not None


# -- files -------------------------------------------------------------------------------------------

def _media_problem(media: Media | None, actor: User, circle: Circle) -> str | None:
    if media is None or media.owner_id != actor.id or media.kind != MediaKind.file or media.circle_id != circle.id:
        return _("That upload was not found. Upload the file again.")
    if media.state == MediaState.failed:
        from lms.uploads.messages import error_message

        return error_message(media)
    if media.state != MediaState.ready:
        return _("The upload is still being checked. Wait until it says it is ready, then add it.")
    if db.session.scalar(db.select(FileVersion.id).where(FileVersion.media_id == media.id)) is not None:
        return _("That upload is already in the circle's files.")
    return None


def quota_problem(circle: Circle, size: int) -> str | None:
    """The sentence refusing `size` more bytes in the circle's files (every version, the trash
    included) past its quota; None when they fit."""
    limit = q.circle_quota(circle)
    if limit <= 0:
        return None
    used = q.circle_files_bytes(circle.id)
    if used + max(size, 0) <= limit:
        return None
    return _("This file (%(size)s) does not fit in the circle's files: they already take %(used)s of %(limit)s. "
             "Empty the trash or delete older files first.",
             size=human_bytes(size), used=human_bytes(used), limit=human_bytes(limit))


def _new_version(file: CircleFile, actor: User, media: Media, number: int, now: datetime) -> FileVersion:
    head = b"".join(get_storage().iter_range(media.original_key, 0, HEAD_BYTES - 1))
    version = FileVersion(file=file, number=number, media_id=media.id, storage_key=media.original_key,
                          bytes=media.bytes, content_type=sniff(head), uploaded_by_id=actor.id, created_at=now)
    db.session.add(version)
    db.session.flush()
    if preview_kind(version.content_type) in ("audio", "video"):
        version.preview_media_id = _start_preview(file, actor, media, now).id
    file.current_version = version
    file.current_version_id = version.id
    file.updated_at = now
    return version


def _start_preview(file: CircleFile, actor: User, media: Media, now: datetime) -> Media:
    """Queue the media pipeline on a copy of an audio or video version's bytes, to play it in the page (as
    homework videos play: MP4, poster, HLS for long ones; sound to AAC): a media item of `actor`'s (whose
    pages get its state pushed; others poll it), processed after the commit. The version's own bytes stay
    as uploaded, for download, whatever the pipeline says of them. The copy is dropped on a rollback."""
    key = new_key("media") + "/original"
    get_storage().copy(media.original_key, key)
    discard_stored_on_rollback(key)
    preview = Media(owner_id=actor.id, circle_id=file.circle_id, kind=MediaKind.video, accepts_audio=True,
                    state=MediaState.uploaded, filename=media.filename,
                    bytes=0,  # counted once, as the version (the uploader's and the circle's quota)
                    original_key=key, received_at=now, progress=0)
    db.session.add(preview)
    db.session.flush()
    queue_processing(preview, now)
    return preview


def ensure_preview(version: FileVersion, now: datetime | None = None) -> Media | None:
    """The media item that plays an audio or video `version` in the page, started now for a version added
    before versions had one (owned by its uploader, or its file's); None for other kinds of file or a
    version whose upload is gone."""
    if version.preview_media_id is not None:
        return version.preview_media
    if preview_kind(version.content_type) not in ("audio", "video") or version.media_id is None:
        return None
    media = db.session.get(Media, version.media_id)
    owner = version.uploaded_by or version.file.uploaded_by
    if media is None or owner is None:
        return None
    preview = _start_preview(version.file, owner, media, now or utcnow())
    version.preview_media_id = preview.id
    version.preview_media = preview
    db.session.flush()
    return preview


def add_file(folder: Folder, actor: User, media: Media, now: datetime | None = None) -> CircleFile:
    """Put `actor`'s finished upload `media` (kind file, uploaded for this circle) into `folder` as a
    new file named as the upload was ("name (2).pdf" when the folder has one of that name). Its type
    is sniffed from its bytes. Raises FileError (the upload is wrong, not ready, or past the
    circle's quota; the caller checks who may upload here)."""
    problem = _media_problem(media, actor, folder.circle)
    if problem:
        raise FileError(problem)
    problem = quota_problem(folder.circle, media.bytes)
    if problem:
        raise FileError(problem, status=413)
    if folder.in_trash:
        raise FileError(_l("That folder is in the trash."), status=409)
    now = now or utcnow()
    try:
        name = clean_name(media.filename)
    except FileError:
        name = _("file")
    taken = {n.casefold() for n in q.live_names(folder)}
    file = CircleFile(circle_id=folder.circle_id, circle=folder.circle, folder_id=folder.id, folder=folder,
                      name=unique_name(name, taken), uploaded_by_id=actor.id, created_at=now, updated_at=now)
    db.session.add(file)
    db.session.flush()
    _new_version(file, actor, media, 1, now)
    return file


def replace_file(file: CircleFile, actor: User, media: Media, now: datetime | None = None) -> FileVersion:
    """Make `media` the file's new current version; the older ones stay (staff may still download
    them). Raises FileError as `add_file`."""
    if file.in_trash:
        raise FileError(_l("That file is in the trash. Restore it first."), status=409)
    problem = _media_problem(media, actor, file.circle)
    if problem:
        raise FileError(problem)
    problem = quota_problem(file.circle, media.bytes)
    if problem:
        raise FileError(problem, status=413)
    now = now or utcnow()
    number = (db.session.scalar(db.select(db.func.max(FileVersion.number)).where(FileVersion.file_id == file.id))
              or 0) + 1
    version = _new_version(file, actor, media, number, now)
    record_event(AuditAction.file_replaced, actor, target=file, target_label=file.name,
                 details={"file": file.name, "version": number})
    return version


def _check_file_name_free(folder: Folder, name: str, own_id: int) -> None:
    key = comparison_key(name)
    clash = db.session.scalar(db.select(CircleFile.id).where(
        CircleFile.folder_id == folder.id, CircleFile.deleted_at.is_(None), CircleFile.name_key == key,
        CircleFile.id != own_id))
    if clash is not None:
        raise FileError(_("There is already a file called “%(name)s” in this folder.", name=name), status=409)


def rename_file(file: CircleFile, actor: User, name: str) -> None:
    """Rename `file`. Raises FileError for an empty name or one another file of its folder has."""
    name = clean_name(name)
    _check_file_name_free(file.folder, name, file.id)
    file.name = name
    file.updated_at = utcnow()
    db.session.flush()


def move_file(file: CircleFile, actor: User, target: Folder) -> None:
    """Put `file` into `target` (same circle, not in the trash). Raises FileError."""
    if target.circle_id != file.circle_id or target.in_trash:
        raise FileError(_l("Choose a folder of this circle."))
    _check_file_name_free(target, file.name, file.id)
    file.folder_id = target.id
    file.folder = target
    db.session.flush()


def trash_file(file: CircleFile, actor: User, now: datetime | None = None) -> None:
    """Put `file` in the trash, where the staff can restore it for TRASH_DAYS days."""
    if file.in_trash:
        return
    file.deleted_at = now or utcnow()
    file.deleted_by_id = actor.id
    record_event(AuditAction.file_deleted, actor, target=file, target_label=file.name, details={"file": file.name})
    db.session.flush()


def restore_file(file: CircleFile, actor: User) -> None:
    """Take `file` out of the trash: into its folder, or the top folder when that is in the trash;
    renamed "name (2)" when a file of its name came meanwhile."""
    if not file.in_trash:
        return
    folder = file.folder
    if folder.in_trash:
        folder = root_folder(file.circle)
    taken = {n.casefold() for n in q.live_names(folder)}
    file.name = unique_name(file.name, taken)
    file.folder_id = folder.id
    file.folder = folder
    file.deleted_at = None
    file.deleted_by_id = None
    record_event(AuditAction.file_restored, actor, target=file, target_label=file.name, details={"file": file.name})
    db.session.flush()


# -- settings ----------------------------------------------------------------------------------------

def update_settings(circle: Circle, actor: User, *, members_may_upload: bool,
                    member_folder: Folder | None) -> FileSettings:
    """Say whether members may upload and into which folder of the circle. Raises FileError when
    members may upload but no folder of this circle is given."""
    if members_may_upload and (member_folder is None or member_folder.circle_id != circle.id or member_folder.in_trash):
        raise FileError(_l("Choose the folder members upload into."))
    settings = db.session.get(FileSettings, circle.id)
    if settings is None:
        settings = FileSettings(circle_id=circle.id)
        db.session.add(settings)
    settings.members_may_upload = members_may_upload
    settings.member_folder_id = member_folder.id if member_folder is not None else None
    record_event(AuditAction.file_settings_changed, actor, target=circle,
                 details={"members_may_upload": members_may_upload,
                          "folder": member_folder.name if member_folder is not None else None})
    db.session.flush()
    return settings


# -- purge -------------------------------------------------------------------------------------------

def purge_trash(now: datetime | None = None, *, limit: int = 500) -> int:
    """Delete for good what has been in the trash for TRASH_DAYS days: the files (every version),
    their uploads (which free their uploaders' quota), then the folders. The stored objects are
    deleted after the commit, so a rolled-back purge loses nothing. Returns how many files went."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    files = db.session.scalars(db.select(CircleFile).where(CircleFile.deleted_at < cutoff).limit(limit)).all()
    keys: list[str] = []
    media_ids: list[int] = []
    for file in files:
        file.current_version_id = None
        file.current_version = None
    db.session.flush()
    prefixes: list[str] = []
    for file in files:
        for version in file.versions:
            keys.append(version.storage_key)
            if version.media_id:
                media_ids.append(version.media_id)
            if version.preview_media_id:
                media_ids.append(version.preview_media_id)
        db.session.delete(file)
    db.session.flush()
    if media_ids:
        for media in db.session.scalars(db.select(Media).where(Media.id.in_(media_ids))):
            if media.kind == MediaKind.video and media.original_key:  # a preview: its copy and renditions
                prefixes.append(media.original_key.rsplit("/", 1)[0])
            db.session.delete(media)
    if len(files) < limit:  # folders once the files in them are gone (their subfolders cascade)
        db.session.execute(db.delete(Folder).where(Folder.deleted_at < cutoff)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    for key in keys:
        delete_stored_after_commit(key)
    storage = get_storage()
    for prefix in prefixes:
        after_commit(lambda prefix=prefix: storage.delete_prefix(prefix))
    return len(files)
