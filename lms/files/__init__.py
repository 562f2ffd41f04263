"""A circle's files: folders, versions, trash, member uploads, previews and ZIP downloads."""
from flask import Blueprint

bp = Blueprint("files", __name__)

#: Upload purposes (lms/uploads/access.py): a new file into a folder (id: the folder), a new version
#: of a file (id: the file).
UPLOAD_INTO_FOLDER = "files"
UPLOAD_NEW_VERSION = "file_version"
#: The media subject a file version's download is signed for (id: the version).
MEDIA_SUBJECT = "circle_file"
#: The media subject an audio or video version's player is signed for (id: the version): what the media
#: pipeline made of it (FileVersion.preview_media).
PREVIEW_SUBJECT = "circle_file_preview"


@bp.record_once
def _register(state) -> None:
    """Uploads for folders and files, downloads signed for a file version, the audit log's labels."""
    from lms.files import hooks

    hooks.register(state.app)


__all__ = ["bp"]
