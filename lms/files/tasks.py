"""Jobs of the circle's files: the trash purge."""
from __future__ import annotations

from lms.extensions import db
from lms.files import operations as ops


def purge_file_trash() -> None:
    """Task (periodic): delete for good the files and folders that have been in the trash for
    TRASH_DAYS days, in batches; their stored objects go after each commit."""
    while True:
        purged = ops.purge_trash()
        db.session.commit()
        if purged < 500:
            break
