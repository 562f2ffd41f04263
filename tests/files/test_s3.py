"""The circle's files on S3 (moto's HTTP server, real boto3 calls): sniffing reads the bucket, a
download is a short presigned redirect after the check, previews and ZIPs stream from the bucket."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
import requests

from lms.extensions import db
from lms.files import operations as ops
from lms.storage import new_key
from lms.uploads.models import Media, MediaKind, MediaState


@pytest.fixture
def s3_app(app, s3_storage, monkeypatch):
    monkeypatch.setitem(app.extensions, "lms_storage", s3_storage)
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "s3")
    return app


def _stored_file(storage, owner, circle, folder, name: str, data: bytes):
    """A finished upload already in the bucket (the upload path itself is tested in tests/uploads), added."""
    key = new_key("media") + "/original"
    storage.put(key, io.BytesIO(data))
    media = Media(owner_id=owner.id, circle_id=circle.id, kind=MediaKind.file, state=MediaState.ready,
                  filename=name, bytes=len(data), original_key=key)
    db.session.add(media)
    db.session.flush()
    file = ops.add_file(folder, owner, media)
    db.session.commit()
    return file


def test_files_on_s3(s3_app, s3_storage, drive, client_as):
    """On S3: is the type sniffed from the bucket, the download a presigned redirect issued only after
    the check, the PDF preview streamed through the app, and the folder's ZIP read from the bucket?"""
    pdf = b"%PDF-1.4\n" + b"x" * (3 * 1024 * 1024)  # several chunks
    teacher = drive.klass.teacher
    file = _stored_file(s3_storage, teacher, drive.klass.circle, drive.handouts, "讲义.pdf", pdf)
    _stored_file(s3_storage, teacher, drive.klass.circle, drive.handouts, "page.html", b"<script>1</script>")
    assert file.current_version.content_type == "application/pdf"
    student = client_as(drive.klass.student)
    page = student.get(f"{drive.base}/{file.id}").get_data(as_text=True)
    download = re.search(r'href="([^"]*/files/get/[^"]+)"', page).group(1)
    answer = student.get(download)
    assert answer.status_code == 302
    got = requests.get(answer.headers["Location"], timeout=30)
    assert got.content == pdf and "attachment" in got.headers["Content-Disposition"]
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert client_as(drive.klass.stranger).get(download).status_code == 404
    view = re.search(r'src="([^"]*/files/view/[^"]+)"', page).group(1)
    shown = student.get(view)
    assert shown.status_code == 200 and shown.get_data() == pdf and shown.headers["Content-Type"] == "application/pdf"
    zipped = student.get(f"{drive.base}/f/{drive.handouts.id}/zip")
    archive = zipfile.ZipFile(io.BytesIO(zipped.get_data()))
    assert archive.read("Handouts/讲义.pdf") == pdf
    assert archive.read("Handouts/page.html") == b"<script>1</script>"
