"""What the files tell the infrastructure at app start: who may upload for a folder or a file, who
may fetch a version's bytes, how their audit events read."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.extensions import db
from lms.files import MEDIA_SUBJECT, UPLOAD_INTO_FOLDER, UPLOAD_NEW_VERSION
from lms.files.models import CircleFile, FileVersion, Folder
from lms.files.queries import settings_of
from lms.uploads.access import Rendition
from lms.uploads.models import Media


def may_upload_into_folder(user: User, folder_id: int) -> int | None:
    """The circle an upload into folder `folder_id` counts against, if `user` may upload there."""
    folder = db.session.get(Folder, folder_id)
    if folder is None or not folder.can_upload(user, settings_of(folder.circle)):
        return None
    return folder.circle_id


def may_upload_new_version(user: User, file_id: int) -> int | None:
    """The circle a new version of file `file_id` counts against, if `user` may replace it (staff)."""
    file = db.session.get(CircleFile, file_id)
    if file is None or file.in_trash or not file.can_manage(user):
        return None
    return file.circle_id


def may_fetch_version(viewer: User, version_id: int | None, media: Media, rendition: Rendition) -> bool:
    """Asked on every download: the version still holds these bytes and the viewer may still have
    it (a member the current version of a file not in the trash, the staff any version)."""
    if rendition != Rendition.file or version_id is None:
        return False
    version = db.session.get(FileVersion, int(version_id))
    if version is None or version.media_id != media.id:
        return False
    return version.file.can_fetch_version(viewer, version)


def register(app: Flask) -> None:
    from lms.audit.registry import describe_details
    from lms.uploads.access import register_subject, register_upload_purpose

    register_upload_purpose(app, UPLOAD_INTO_FOLDER, may_upload_into_folder)
    register_upload_purpose(app, UPLOAD_NEW_VERSION, may_upload_new_version)
    register_subject(app, MEDIA_SUBJECT, may_fetch_version)
    describe_details(app, labels={"file": _l("File"), "folder": _l("Folder"), "files": _l("Files"),
                                  "version": _l("Version"), "members_may_upload": _l("Members may upload")})
