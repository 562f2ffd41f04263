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


def test_previews_on_s3_answer_range_requests(s3_app, s3_storage, drive, client_as):
    """On S3, does a preview answer the range requests the browsers' PDF viewer and media elements
    seek with (206 with exactly those bytes, 416 past the end, the whole file when If-Range names
    other bytes), after the same check as a whole preview?"""
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 12000  # about 3 MB: several chunks
    teacher = drive.klass.teacher
    file = _stored_file(s3_storage, teacher, drive.klass.circle, drive.handouts, "slides.pdf", pdf)
    student = client_as(drive.klass.student)
    page = student.get(f"{drive.base}/{file.id}").get_data(as_text=True)
    view = re.search(r'src="([^"]*/files/view/[^"]+)"', page).group(1)

    whole = student.get(view)
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.get_data() == pdf
    etag = whole.headers["ETag"]

    middle = student.get(view, headers={"Range": "bytes=1048570-2097160"})
    assert middle.status_code == 206
    assert middle.get_data() == pdf[1048570:2097161]
    assert middle.headers["Content-Range"] == f"bytes 1048570-2097160/{len(pdf)}"
    assert int(middle.headers["Content-Length"]) == 2097160 - 1048570 + 1
    assert middle.headers["Content-Type"] == "application/pdf"

    tail = student.get(view, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.get_data() == pdf[-100:]
    opened = student.get(view, headers={"Range": "bytes=10-"})
    assert opened.status_code == 206 and opened.get_data() == pdf[10:]

    past = student.get(view, headers={"Range": f"bytes={len(pdf) + 5}-"})
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(pdf)}"

    same = student.get(view, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and same.get_data() == pdf[:10]
    other = student.get(view, headers={"Range": "bytes=0-9", "If-Range": '"v0"'})
    assert other.status_code == 200 and other.get_data() == pdf

    assert client_as(drive.klass.stranger).get(view, headers={"Range": "bytes=0-9"}).status_code == 404


def test_a_video_file_on_s3_plays_with_range_requests(s3_app, s3_storage, drive, client_as, clips):
    """On S3, is a video file's preview made by the pipeline from the bucket, and does its player's MP4 URL,
    after the check, lead to the bucket's presigned URL that answers a range request (seeking)?"""
    from lms.files.models import FileVersion

    teacher = drive.klass.teacher
    file = _stored_file(s3_storage, teacher, drive.klass.circle, drive.handouts, "dance.mp4", clips.valid.read_bytes())
    db.session.expire_all()
    version = db.session.get(FileVersion, file.current_version_id)
    preview = db.session.get(Media, version.preview_media_id)
    assert preview.state == MediaState.ready and s3_storage.exists(preview.mp4_key)
    student = client_as(drive.klass.student)
    page = student.get(f"{drive.base}/{file.id}").get_data(as_text=True)
    mp4 = re.search(r'data-mp4="([^"]+)"', page).group(1)
    answer = student.get(mp4)
    assert answer.status_code == 302 and answer.headers["Cache-Control"] == "no-store"
    seek = requests.get(answer.headers["Location"], headers={"Range": "bytes=100-199"}, timeout=30)
    assert seek.status_code == 206 and len(seek.content) == 100
    assert client_as(drive.klass.stranger).get(mp4).status_code == 404
