"""Files fixtures: the klass (tests/fixtures/homework.py) with a "Handouts" folder, and a way to put
bytes into a folder through the real upload path (POST /uploads, PATCH, then the folder's add form)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.extensions import db
from lms.files import operations as ops
from lms.files.models import CircleFile, Folder
from tests.uploads.helpers import upload_bytes


@dataclass
class Drive:
    klass: object
    root: Folder
    handouts: Folder

    @property
    def base(self) -> str:
        return f"/c/{self.klass.circle.id}/files"


@pytest.fixture
def drive(klass) -> Drive:
    """The klass (owner, teacher, assistant, student, classmate, stranger, admin); the circle's top
    folder and a folder "Handouts" in it, made by the teacher."""
    root = ops.root_folder(klass.circle)
    handouts = ops.create_folder(root, klass.teacher, "Handouts")
    db.session.commit()
    return Drive(klass, root, handouts)


def upload_media(client, circle, data: bytes, name: str, *, purpose: str = "files", purpose_id: int) -> int:
    """Upload `data` as a file through the resumable upload path; return its media id."""
    body = upload_bytes(client, data, filename=name, kind="file", purpose=purpose, purpose_id=purpose_id)
    return body["media_id"]


@pytest.fixture
def put(client_as):
    """put(user, folder, name, data) -> CircleFile: `user` uploads and adds a file to `folder` as the page does."""

    def _put(user, folder: Folder, name: str, data: bytes) -> CircleFile:
        client = client_as(user)
        media_id = upload_media(client, folder.circle, data, name, purpose_id=folder.id)
        response = client.post(f"/c/{folder.circle_id}/files/f/{folder.id}/add", data={"media_id": [media_id]})
        assert response.status_code == 302, response.get_data(as_text=True)
        file = db.session.scalar(db.select(CircleFile).join(CircleFile.versions)
                                 .where(CircleFile.folder_id == folder.id).order_by(CircleFile.id.desc()))
        assert file is not None and file.current_version.media_id == media_id
        return file

    return _put


@pytest.fixture
def tiny_png() -> bytes:
    """A real 8×8 PNG (the upload pipeline cleans images, so it must decode)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()
