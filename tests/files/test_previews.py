"""Audio and video in a circle's Files play in the page through the media pipeline (as homework videos
do), never served raw; a new version goes through it too; a file the pipeline cannot use is still
downloaded; the original stays an attachment."""
from __future__ import annotations

import re

import pytest

from lms.extensions import db
from lms.files.models import FileVersion
from lms.uploads.models import Media, MediaState
from tests.files.conftest import upload_media
from tests.media.tools import ffmpeg


@pytest.fixture
def upload_media_for(client_as):
    """upload_media_for(user, file, data, name) -> media id: a new version uploaded as the file page does."""

    def _upload(user, file, data: bytes, name: str) -> int:
        return upload_media(client_as(user), file.circle, data, name, purpose="file_version", purpose_id=file.id)

    return _upload


def _page(client, drive, file) -> str:
    response = client.get(f"{drive.base}/{file.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _preview(file) -> Media:
    db.session.expire_all()
    version = db.session.get(FileVersion, file.current_version_id)
    assert version.preview_media_id is not None
    return db.session.get(Media, version.preview_media_id)


def test_a_video_file_plays_through_the_pipeline(drive, put, clips, client_as):
    """A teacher adds an MP4 to Handouts: is a copy transcoded (MP4 and poster) and played by the page's
    player for a student, the original still a download, the raw bytes never shown inline; and do a
    stranger and a member of another role get nothing of the player?"""
    teacher, student = drive.klass.teacher, drive.klass.student
    file = put(teacher, drive.handouts, "dance.mp4", clips.valid.read_bytes())
    preview = _preview(file)
    assert preview.state == MediaState.ready and preview.mp4_key and preview.poster_key
    assert preview.original_key != file.current_version.storage_key  # the version's bytes are untouched
    client = client_as(student)
    page = _page(client, drive, file)
    assert "data-player" in page and "/files/view/" not in page
    mp4 = re.search(r'data-mp4="([^"]+)"', page).group(1)
    poster = re.search(r'poster="([^"]+)"', page).group(1)
    with client.get(mp4, headers={"Range": "bytes=0-99"}) as played:
        assert played.status_code == 206 and played.mimetype == "video/mp4"
    with client.get(poster) as shown:
        assert shown.mimetype == "image/jpeg"
    download = re.search(r'href="([^"]*/files/get/[^"]+)"', page).group(1)
    with client.get(download) as got:
        assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    assert client_as(drive.klass.stranger).get(mp4).status_code == 404
    file_id = file.id
    # the staff put the file in the trash: the student's player URL stops working at once
    client_as(teacher).post(f"{drive.base}/{file_id}/delete")
    assert client.get(mp4).status_code == 404


def test_a_new_version_of_a_video_goes_through_the_pipeline(drive, put, clips, client_as, upload_media_for):
    """Replacing the video with a new version: does the new version get its own preview, played on the
    page, while the old one's stays with the old version (staff download it as a file)?"""
    teacher = drive.klass.teacher
    file = put(teacher, drive.handouts, "clip.mp4", clips.valid.read_bytes())
    first = _preview(file)
    media_id = upload_media_for(teacher, file, clips.mkv.read_bytes(), "clip.mkv")
    response = client_as(teacher).post(f"{drive.base}/{file.id}/replace", data={"media_id": [media_id]})
    assert response.status_code == 302
    second = _preview(file)
    assert second.id != first.id and second.state == MediaState.ready and second.mp4_key
    page = _page(client_as(drive.klass.student), drive, file)
    assert f'data-media-id="{second.id}"' in page


def test_audio_files_play_as_sound(drive, put, clips, tmp_path, client_as):
    """A WAV and an M4A file: each is transcoded to AAC in MP4 and played by an audio element."""
    wav = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050", "-t", "1", wav)
    client = client_as(drive.klass.student)
    for name, data in (("tone.wav", wav.read_bytes()), ("talk.m4a", clips.audio_only.read_bytes())):
        file = put(drive.klass.teacher, drive.handouts, name, data)
        preview = _preview(file)
        assert preview.state == MediaState.ready and preview.mp4_key and preview.poster_key is None, name
        assert preview.duration and preview.duration > 0.5
        page = _page(client, drive, file)
        src = re.search(r'<audio controls preload="metadata" src="([^"]+)"', page).group(1)
        with client.get(src) as sound:
            assert sound.mimetype == "video/mp4"


def test_a_file_the_pipeline_cannot_use_is_still_downloaded(drive, put, client_as):
    """An "MP4" that is not a video (its first bytes say MP4, the rest is noise): the page says why it
    cannot be played, and the file downloads as it was uploaded."""
    data = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 40
    file = put(drive.klass.teacher, drive.handouts, "broken.mp4", data)
    assert _preview(file).state == MediaState.failed
    client = client_as(drive.klass.student)
    page = _page(client, drive, file)
    assert "data-preview-failed" in page and "cannot be played in the page" in page
    download = re.search(r'href="([^"]*/files/get/[^"]+)"', page).group(1)
    with client.get(download) as got:
        assert got.status_code == 200 and got.get_data() == data
        assert got.headers["Content-Type"] == "application/octet-stream"


def test_video_bytes_are_never_served_inline(drive, put, clips, client_as):
    """Even with a token for the inline view, a video version is not sent raw (404)."""
    from lms.files.routes.serving import signed_url

    file = put(drive.klass.teacher, drive.handouts, "dance.mp4", clips.valid.read_bytes())
    client = client_as(drive.klass.student)
    with client.application.test_request_context():
        from flask_login import login_user

        login_user(drive.klass.student)
        url = signed_url(db.session.get(FileVersion, file.current_version_id), inline=True)
    assert client.get(url).status_code == 404


def test_the_uploader_sees_what_a_preview_is_and_the_purge_deletes_it(drive, put, clips, client_as):
    """On "My uploads" the teacher's items say they are a file's version and what was made of it to play
    it; 30 days after the file went to the trash, the purge deletes the preview with its renditions."""
    from datetime import timedelta

    from lms.core.types import utcnow
    from lms.files import operations as ops
    from lms.storage import get_storage

    teacher = drive.klass.teacher
    file = put(teacher, drive.handouts, "dance.mp4", clips.valid.read_bytes())
    preview = _preview(file)
    library = client_as(teacher).get("/media/").get_data(as_text=True).replace("&#39;", "'")
    assert "Made from “dance.mp4” to play it in the circle's files." in library
    assert "A version of “dance.mp4” in the circle's files." in library
    mp4_key, preview_id = preview.mp4_key, preview.id
    ops.trash_file(file, teacher)
    db.session.commit()
    assert ops.purge_trash(utcnow() + timedelta(days=31)) == 1
    db.session.commit()
    assert db.session.get(Media, preview_id) is None and not get_storage().exists(mp4_key)


def test_a_video_version_without_a_player_gets_one_when_opened(drive, put, clips, client_as):
    """A video version from before versions had their player (no preview): opening its page starts the
    pipeline on it, and the page plays the result."""
    file = put(drive.klass.teacher, drive.handouts, "old.mp4", clips.valid.read_bytes())
    version = db.session.get(FileVersion, file.current_version_id)
    version.preview_media_id = None
    db.session.commit()
    page = _page(client_as(drive.klass.student), drive, file)
    preview = _preview(file)
    assert preview.state == MediaState.ready and preview.owner_id == drive.klass.teacher.id
    assert "data-player" in page
