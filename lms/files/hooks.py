"""What the files tell the infrastructure at app start: who may upload for a folder or a file, who
may fetch a version's bytes, how their audit events read."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.extensions import db
from lms.files import MEDIA_SUBJECT, PREVIEW_SUBJECT, UPLOAD_INTO_FOLDER, UPLOAD_NEW_VERSION
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


def may_play_preview(viewer: User, version_id: int | None, media: Media, rendition: Rendition) -> bool:
    """Asked on every request of a version's player: the MP4, poster, HLS and state of what the pipeline
    made of the version (never its copy of the original: the version's own download serves that), to
    whoever may still download the version."""
    if rendition not in (Rendition.mp4, Rendition.poster, Rendition.hls, Rendition.state) or version_id is None:
        return False
    version = db.session.get(FileVersion, int(version_id))
    if version is None or version.preview_media_id != media.id:
        return False
    return version.file.can_fetch_version(viewer, version)


def library_uses(user: User, media_list) -> dict[int, list[dict]]:
    """For "My uploads" (registered with lms.uploads): each upload that is a version of a circle's file, or
    what the media pipeline made of one to play it in the page, with a link to the file. One query."""
    from flask import url_for

    ids = [m.id for m in media_list]
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(FileVersion.media_id, FileVersion.preview_media_id, CircleFile)
        .join(CircleFile, CircleFile.id == FileVersion.file_id)
        .where(db.or_(FileVersion.media_id.in_(ids), FileVersion.preview_media_id.in_(ids)))).all()
    uses: dict[int, list[dict]] = {}
    for media_id, preview_id, file in rows:
        if not file.can_view(user):
            continue
        link = url_for("files.show", circle_id=file.circle_id, file_id=file.id)
        if media_id in ids:
            uses.setdefault(media_id, []).append({
                "text": str(_l("A version of “%(name)s” in the circle's files.", name=file.name)),
                "url": link, "link_label": str(_l("Open the file"))})
        if preview_id in ids:
            uses.setdefault(preview_id, []).append({
                "text": str(_l("Made from “%(name)s” to play it in the circle's files.", name=file.name)),
                "url": link, "link_label": str(_l("Open the file"))})
    return uses


def register(app: Flask) -> None:
    from lms.audit.registry import describe_details
    from lms.uploads.access import register_subject, register_upload_purpose
    from lms.uploads.queries import register_library_uses

    register_upload_purpose(app, UPLOAD_INTO_FOLDER, may_upload_into_folder)
    register_upload_purpose(app, UPLOAD_NEW_VERSION, may_upload_new_version)
    register_subject(app, MEDIA_SUBJECT, may_fetch_version)
    register_subject(app, PREVIEW_SUBJECT, may_play_preview)
    register_library_uses(app, library_uses)
    describe_details(app, labels={"file": _l("File"), "folder": _l("Folder"), "files": _l("Files"),
                                  "version": _l("Version"), "members_may_upload": _l("Members may upload")})
