"""The Files pages read a fixed number of statements, whatever the folder holds."""
from __future__ import annotations

import io

from lms.extensions import db
from lms.files import operations as ops
from lms.storage import get_storage, new_key
from lms.uploads.models import Media, MediaKind, MediaState


def _add(drive, folder, n: int) -> None:
    """`n` files added to `folder` through the operation (their bytes stored directly)."""
    owner = drive.klass.teacher
    for i in range(n):
        key = new_key("media") + "/original"
        get_storage().put(key, io.BytesIO(b"%PDF-1.4 page"))
        media = Media(owner_id=owner.id, circle_id=drive.klass.circle.id, kind=MediaKind.file,
                      state=MediaState.ready, filename=f"sheet {folder.id}-{i}.pdf", bytes=13, original_key=key)
        db.session.add(media)
        db.session.flush()
        ops.add_file(folder, owner, media)
    db.session.commit()


def test_a_folder_page_reads_the_same_statements_for_2_and_20_files(drive, client_as, count_queries):
    """A folder with 2 files and 1 subfolder, another with 20 files and 6 subfolders: do the owner's and
    a student's pages of each read as many statements, and is a folder's ZIP answered in as many too?"""
    small = ops.create_folder(drive.root, drive.klass.teacher, "Small")
    big = ops.create_folder(drive.root, drive.klass.teacher, "Big")
    ops.create_folder(small, drive.klass.teacher, "Inside")
    for i in range(6):
        ops.create_folder(big, drive.klass.teacher, f"Inside {i}")
    db.session.commit()
    _add(drive, small, 2)
    _add(drive, big, 20)
    for who in (drive.klass.owner, drive.klass.student):
        client = client_as(who)
        counts = []
        for folder in (small, big):
            client.get(f"{drive.base}/f/{folder.id}")  # warm: sessions, caches
            with count_queries:
                assert client.get(f"{drive.base}/f/{folder.id}").status_code == 200
            page = count_queries.count
            with count_queries:
                response = client.get(f"{drive.base}/f/{folder.id}/zip")
                response.get_data()
                response.close()
            counts.append((page, count_queries.count))
        assert counts[0] == counts[1], counts
