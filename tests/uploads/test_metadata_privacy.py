"""A phone video's GPS position and device name reach nobody: not in the web MP4, HLS or poster, and not in
the original a teacher downloads, which keeps the same picture and sound, bit for bit, and its rotation."""
from __future__ import annotations

import io
import re
import subprocess
from html import unescape
from pathlib import Path

import pytest

from lms.extensions import db
from lms.storage import get_storage
from lms.uploads.models import Media, MediaKind, MediaState
from tests.fixtures.homework import later
from tests.media.tools import FFMPEG, ffmpeg, ffprobe_json
from tests.uploads.helpers import upload_file

#: What a phone writes about where and with what (QuickTime keys, as an iPhone stores them, and the
#: ©xyz/location atom Android and older iPhones use).
TAGS = {
    "location": "+48.8577+002.2950/",
    "com.apple.quicktime.location.ISO6709": "+48.8577+002.2950+035.000/",
    "make": "Apple",
    "model": "iPhone 15 Pro",
    "com.apple.quicktime.software": "17.4.1",
    "title": "At grandma's flat",
}
#: Strings that must not appear anywhere in a file others receive.
SECRETS = (b"48.8577", b"002.2950", b"iPhone", b"Apple", b"grandma")


@pytest.fixture(scope="module")
def phone_clip(clips, tmp_path_factory) -> Path:
    """A 2 s portrait phone clip (rotation 90) carrying GPS position, make, model, software and title."""
    d = tmp_path_factory.mktemp("gps")
    tagged = d / "IMG_0042.MOV"
    metadata = [arg for key, value in TAGS.items() for arg in ("-metadata", f"{key}={value}")]
    ffmpeg("-i", clips.valid, "-map", "0", "-c", "copy", "-map_metadata", "-1", *metadata,
           "-metadata:s:v:0", "rotate=90", "-movflags", "use_metadata_tags", tagged)
    data = tagged.read_bytes()
    assert all(secret in data for secret in SECRETS)  # the fixture really carries them
    return tagged


@pytest.fixture
def owner_client(make, login):
    return login(make.user("Li Hua"))


def _stream_hashes(path: Path) -> list[str]:
    """A hash of each audio and video stream's packets: equal when the streams are the same bits."""
    out = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-map", "0:V", "-map", "0:a", "-c", "copy",
                          "-f", "streamhash", "-hash", "md5", "-"], capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.split()


def _assert_clean(data: bytes, where: str) -> None:
    found = [secret for secret in SECRETS if secret in data]
    assert not found, f"{where} carries {found}"


def _urls(html: str) -> dict[str, str]:
    found = {}
    for key, pattern in (("mp4", r'data-mp4="(/m/[^"]+)"'), ("poster", r'poster="(/m/[^"]+)"'),
                         ("download", r'href="(/m/[^"]+/download)"')):
        match = re.search(pattern, html)
        if match:
            found[key] = unescape(match.group(1))
    return found


def test_teacher_and_classmates_receive_no_location_or_device(app, klass, hw, client_as, phone_clip, tmp_path):
    """A student hands in a phone video with GPS and device tags: do the teacher's original download and
    everyone's MP4 and poster come without them, while the original keeps its streams and rotation?"""
    student = client_as(klass.student)
    body = upload_file(student, phone_clip)
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready, media.error_code
    assignment = hw.assignment(klass.circle, due_at=later(days=3))
    submission = hw.submission(assignment, klass.student, media=media)
    page = f"/circles/{assignment.circle_id}/assignments/{assignment.id}/submissions/{submission.id}"

    teacher = client_as(klass.teacher)
    urls = _urls(teacher.get(page).get_data(as_text=True))
    assert {"mp4", "poster", "download"} <= set(urls)
    received = {}
    for name, url in urls.items():
        response = teacher.get(url, buffered=True)
        assert response.status_code == 200, name
        received[name] = response.data
        _assert_clean(response.data, name)

    original = tmp_path / "original.mov"
    original.write_bytes(received["download"])
    described = ffprobe_json(original, "format_tags", "stream_tags", "stream_side_data=rotation")
    tags = described["format"].get("tags", {})
    assert not {"location", "make", "model", "title"} & set(tags), tags
    assert not any(key.startswith("com.apple") for key in tags), tags
    assert _stream_hashes(original) == _stream_hashes(phone_clip)  # the same picture and sound, bit for bit
    video = next(s for s in described["streams"] if "side_data_list" in s)
    assert abs(int(video["side_data_list"][0]["rotation"])) == 90  # still shown upright

    web = tmp_path / "web.mp4"
    web.write_bytes(received["mp4"])
    assert not {"location", "make", "model", "title"} & set(ffprobe_json(web, "format_tags")["format"].get("tags", {}))


def test_hls_segments_carry_no_metadata(app, owner_client, phone_clip, monkeypatch):
    """Does the HLS rendition of a long enough video carry none of the phone's tags either?"""
    monkeypatch.setitem(app.config, "MEDIA_HLS_MIN_SECONDS", 1)
    body = upload_file(owner_client, phone_clip)
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready and media.hls_prefix, media.error_code
    playlist = get_storage().path(f"{media.hls_prefix}/index.m3u8")
    segments = [line for line in playlist.read_text().splitlines() if line and not line.startswith("#")]
    assert segments
    for name in segments:
        _assert_clean((playlist.parent / name).read_bytes(), name)


def test_a_video_refused_for_its_length_is_stripped_too(app, owner_client, phone_clip):
    """A sound video refused by a limit (too long) stays downloadable by staff as the original: is it
    stripped of its location and device as well?"""
    body = upload_file(owner_client, phone_clip, max_seconds=1)
    media = db.session.get(Media, body["media_id"])
    assert (media.state, media.error_code) == (MediaState.failed, "too_long")
    with get_storage().open(media.original_key) as f:
        _assert_clean(f.read(), "the refused original")


def test_a_cut_file_is_kept_as_received(app, owner_client, clips, tmp_path):
    """A truncated upload is refused as such, and its original left exactly as received (a remux would be
    a shorter but playable file, which a later retry would wrongly accept)."""
    data = clips.faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    body = upload_file(owner_client, cut)
    media = db.session.get(Media, body["media_id"])
    assert (media.state, media.error_code) == (MediaState.failed, "truncated")
    with get_storage().open(media.original_key) as f:
        assert f.read() == cut.read_bytes()


def test_a_video_attached_as_a_file_is_stripped(app, owner_client, phone_clip, tmp_path):
    """A phone video handed in as an attachment (a file, not transcoded): is the stored copy everyone
    downloads free of location and device, with the same streams, and is a document left as it is?"""
    body = upload_file(owner_client, phone_clip, kind="file")
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready, media.error_code
    stored = tmp_path / "stored.mov"
    with get_storage().open(media.original_key) as f:
        stored.write_bytes(f.read())
    _assert_clean(stored.read_bytes(), "the attached video")
    assert _stream_hashes(stored) == _stream_hashes(phone_clip)
    assert media.bytes == stored.stat().st_size

    document = tmp_path / "essay.txt"
    document.write_bytes(b"My essay mentions an iPhone at +48.8577+002.2950.\n")
    body = upload_file(owner_client, document, kind="file")
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready, media.error_code
    with get_storage().open(media.original_key) as f:
        assert f.read() == document.read_bytes()


def test_strip_originals_cleans_what_was_stored_before(app, make, phone_clip, clips, tmp_path):
    """`flask media strip-originals`: are video originals and video attachments stored before stripping
    existed cleaned (same streams), while a cut upload, a document and a photo are left as they are?"""
    owner = make.user()
    storage = get_storage()
    data = clips.faststart.read_bytes()
    items = {
        "video": (MediaKind.video, MediaState.ready, None, phone_clip.read_bytes()),
        "attached": (MediaKind.file, MediaState.ready, None, phone_clip.read_bytes()),
        "refused": (MediaKind.video, MediaState.failed, "too_long", phone_clip.read_bytes()),
        "cut": (MediaKind.video, MediaState.failed, "truncated", data[: len(data) // 2]),
        "document": (MediaKind.file, MediaState.ready, None, b"%PDF-1.4 made on an iPhone\n"),
    }
    made = {}
    for name, (kind, state, code, content) in items.items():
        media = Media(owner_id=owner.id, kind=kind, state=state, error_code=code, filename=name,
                      original_key=f"media/strip-{name}-{tmp_path.name}/original", bytes=len(content))
        storage.put(media.original_key, io.BytesIO(content))
        db.session.add(media)
        made[name] = media
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["media", "strip-originals"])
    assert result.exit_code == 0, result.output
    for name, media in made.items():
        stored = tmp_path / name
        with storage.open(media.original_key) as f:
            stored.write_bytes(f.read())
        if name in ("video", "attached", "refused"):
            _assert_clean(stored.read_bytes(), name)
            assert _stream_hashes(stored) == _stream_hashes(phone_clip), name
        else:
            assert stored.read_bytes() == items[name][3], name
    db.session.refresh(made["attached"])
    assert made["attached"].bytes == (tmp_path / "attached").stat().st_size


def test_no_original_is_served_before_the_job_strips_it(app, klass, hw, client_as, phone_clip):
    """While a video waits for or is in processing, its stored original still carries the phone's tags:
    does the teacher get no download link and a 404 for a grant to it, and the file once it is ready?"""
    from lms.uploads import access
    from lms.uploads.access import Rendition, Subject

    assignment = hw.assignment(klass.circle, due_at=later(days=3))
    media = hw.media(klass.student, state=MediaState.processing)
    media.original_key = f"media/held-{media.id}/original"
    get_storage().put_file(media.original_key, phone_clip)
    db.session.commit()
    submission = hw.submission(assignment, klass.student, media=media)
    page = f"/circles/{assignment.circle_id}/assignments/{assignment.id}/submissions/{submission.id}"
    teacher = client_as(klass.teacher)
    with app.test_request_context():
        token = access.sign(klass.teacher.id, media, Rendition.original, Subject("submission", submission.id))
    for state in (MediaState.uploaded, MediaState.checking, MediaState.processing):
        media.state = state
        db.session.commit()
        assert "download" not in _urls(teacher.get(page).get_data(as_text=True)), state
        assert teacher.get(f"/m/{token}/download").status_code == 404, state

    media.state = MediaState.ready
    media.mp4_key, media.poster_key = f"media/held-{media.id}/video.mp4", f"media/held-{media.id}/poster.jpg"
    for key in (media.mp4_key, media.poster_key):
        get_storage().put_file(key, phone_clip)  # stands for the renditions: only the original is looked at
    db.session.commit()
    assert "download" in _urls(teacher.get(page).get_data(as_text=True))
    assert teacher.get(f"/m/{token}/download", buffered=True).status_code == 200
