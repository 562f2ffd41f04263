"""Uploaded videos processed for real (ffmpeg on generated clips): ready with MP4 and poster, or
failed with the reason a person can act on; retries after crashes and dead workers."""
from __future__ import annotations

import contextvars
import sys
from datetime import timedelta

import pytest

from lms import media as media_lib
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.storage import get_storage
from lms.uploads import operations as ops
from lms.uploads.models import Media, MediaState
from tests.media.tools import ffprobe_json, top_level_atoms
from tests.uploads.helpers import upload_bytes, upload_file


#: where the pipeline looks ffmpeg's transcode up (the package re-exports the function under the
#: module's own name, so the module is reached through sys.modules)
TRANSCODE_MODULE = sys.modules["lms.media.transcode"]
#: where it looks up the stream copy that makes the web video of a clip browsers play as it is (these)
REMUX_MODULE = sys.modules["lms.media.remux"]


@pytest.fixture
def owner(make, login):
    user = make.user("Zhang Yunni")
    return login(user), user


def _read(storage, key: str) -> bytes:
    with storage.open(key) as f:
        return f.read()


def _media(body) -> Media:
    return db.session.get(Media, body["media_id"])


def test_valid_clip_ends_ready_with_a_web_mp4_and_a_poster(app, owner, clips, tmp_path):
    """Does a camera clip end `ready` with an H.264/AAC fast-start MP4 and a JPEG poster?"""
    client, _ = owner
    body = upload_file(client, clips.valid)
    media = _media(body)
    assert media.state == MediaState.ready, media.error_code
    assert media.attempts == 1 and media.progress == 100
    assert media.duration == pytest.approx(2, abs=0.2) and (media.width, media.height) == (320, 240)

    storage = get_storage()
    mp4 = tmp_path / "out.mp4"
    mp4.write_bytes(_read(storage, media.mp4_key))
    streams = ffprobe_json(mp4, "stream=codec_type,codec_name,height")["streams"]
    assert {(s["codec_type"], s["codec_name"]) for s in streams} == {("video", "h264"), ("audio", "aac")}
    atoms = top_level_atoms(mp4)
    assert atoms.index("moov") < atoms.index("mdat")  # plays before it has fully downloaded
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(_read(storage, media.poster_key))
    assert ffprobe_json(poster, "stream=codec_name")["streams"][0]["codec_name"] == "mjpeg"
    # The original is kept as a copy of the same streams without the camera's metadata (title, GPS).
    original = tmp_path / "original.mp4"
    original.write_bytes(_read(storage, media.original_key))
    assert ffprobe_json(original, "format_tags")["format"].get("tags", {}).keys().isdisjoint({"title", "location"})
    assert [s["codec_name"] for s in ffprobe_json(original, "stream=codec_name")["streams"]] == ["h264", "aac"]

    state = client.get(f"/media/{media.id}/state").get_json()
    assert state["state"] == "ready" and state["error"] is None
    assert set(state["urls"]) == {"state", "mp4", "poster", "download"}


def test_state_changes_are_pushed_to_the_uploaders_page(app, owner, clips):
    """Does the uploader's open page receive every state change, ending with `ready`?"""
    client, user = owner
    sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=client)
    assert sock.is_connected()
    upload_file(client, clips.valid)
    states = [r["args"][0]["state"] for r in sock.get_received() if r["name"] == "media_state"]
    assert states[0] == "uploaded" and states[-1] == "ready"
    assert "checking" in states and "processing" in states
    sock.disconnect()


BAD_FILES = {
    "text renamed .mp4": (lambda c: b"just some notes, not a video\n" * 100, "not_video", "not a video"),
    "image renamed .mp4": (lambda c: c.png.read_bytes(), "not_video", "not a video"),
    "HLS playlist": (lambda c: b"#EXTM3U\n#EXTINF:2,\nfile:///etc/passwd\n", "playlist", "playlist"),
    "ffconcat script": (lambda c: b"ffconcat version 1.0\nfile '/etc/passwd'\n", "playlist", "playlist"),
    "truncated": (lambda c: c.faststart.read_bytes()[: len(c.faststart.read_bytes()) * 2 // 3], "truncated",
                  "incomplete"),
    "sound only": (lambda c: c.audio_only.read_bytes(), "no_video_stream", "no picture"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_fail_with_a_reason(owner, clips, name):
    """Does each kind of file that is not an acceptable video end `failed` with its reason in words?"""
    make_bytes, code, words = BAD_FILES[name]
    client, _ = owner
    body = upload_bytes(client, make_bytes(clips), filename="homework.mp4")
    media = _media(body)
    assert media.state == MediaState.failed and media.error_code == code
    assert media.attempts == 1  # a verdict on the file is final: no retries
    state = client.get(f"/media/{media.id}/state").get_json()
    assert words in state["error"] and state["urls"] == {}


def test_too_long_for_the_asked_limit(owner, clips):
    """Is a video longer than the limit its uploader's page asked for refused, saying both lengths?"""
    client, _ = owner
    body = upload_file(client, clips.valid, max_seconds=1)
    media = _media(body)
    assert media.max_seconds == 1
    assert (media.state, media.error_code) == (MediaState.failed, "too_long")
    assert "1 second" in client.get(f"/media/{media.id}/state").get_json()["error"]


def test_a_crash_is_retried_and_then_succeeds(app, owner, clips, monkeypatch):
    """After ffmpeg crashes once, does the item wait, get re-queued by the sweep and end ready?"""
    client, _ = owner
    calls = []

    def crash_once(real):
        def run(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise media_lib.FFmpegError("simulated crash", returncode=-9)
            return real(*args, **kwargs)
        return run

    monkeypatch.setattr(TRANSCODE_MODULE, "transcode", crash_once(TRANSCODE_MODULE.transcode))
    monkeypatch.setattr(REMUX_MODULE, "remux", crash_once(REMUX_MODULE.remux))
    media = _media(upload_file(client, clips.valid))
    assert media.state == MediaState.uploaded and media.attempts == 1
    assert media.retry_at > utcnow()  # waits before trying again

    assert ops.sweep_media() == (0, 0)  # not due yet
    media.retry_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    ops.sweep_media()
    db.session.commit()  # the inline backend runs the job on commit
    db.session.refresh(media)
    assert media.state == MediaState.ready and media.attempts == 2 and len(calls) == 2


def test_repeated_crashes_fail_for_good_and_keep_the_original(app, owner, clips, monkeypatch):
    """After MEDIA_MAX_ATTEMPTS crashes, is the item failed with a reason, the original kept, and can
    the owner ask for another try?"""
    client, _ = owner

    def always_crash(*args, **kwargs):
        raise media_lib.FFmpegError("simulated crash", returncode=-9)

    monkeypatch.setattr(TRANSCODE_MODULE, "transcode", always_crash)
    monkeypatch.setattr(REMUX_MODULE, "remux", always_crash)
    media = _media(upload_file(client, clips.valid))
    for _ in range(app.config["MEDIA_MAX_ATTEMPTS"] - 1):
        media.retry_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        ops.sweep_media()
        db.session.commit()
        db.session.refresh(media)
    assert media.state == MediaState.failed and media.error_code == "processing_failed"
    assert media.attempts == app.config["MEDIA_MAX_ATTEMPTS"]
    assert get_storage().exists(media.original_key)
    assert "original file is kept" in client.get(f"/media/{media.id}/state").get_json()["error"]

    monkeypatch.undo()
    library = client.get("/media/").get_data(as_text=True)
    assert f'action="/media/{media.id}/retry"' in library  # the owner is offered another try
    response = client.post(f"/media/{media.id}/retry")  # the library's button: a form post
    assert response.status_code == 302 and response.headers["Location"] == "/media/"
    db.session.refresh(media)
    assert media.state == MediaState.ready
    assert "being processed again" in client.get("/media/").get_data(as_text=True)
    again = client.post(f"/media/{media.id}/retry", headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.get_json()["error"]["message"]


def test_a_dead_workers_item_is_taken_over(app, owner, clips):
    """When a worker dies mid-job (its heartbeat stops), does the sweep hand the item to another run?"""
    client, user = owner
    data = clips.valid.read_bytes()
    media = Media(owner_id=user.id, state=MediaState.processing, filename="x.mp4", bytes=len(data),
                  original_key="media/deadworker/original", attempts=1, max_seconds=60,
                  heartbeat_at=utcnow() - timedelta(seconds=app.config["MEDIA_STALE_SECONDS"] + 5))
    get_storage().put_file(media.original_key, clips.valid)
    db.session.add(media)
    db.session.commit()

    ops.sweep_media()
    db.session.commit()
    db.session.refresh(media)
    assert media.state == MediaState.ready and media.attempts == 2


def test_only_one_worker_claims_an_item(app, owner):
    """Can two workers both start on the same waiting item?"""
    _, user = owner
    media = Media(owner_id=user.id, state=MediaState.uploaded, original_key="media/claim/original")
    db.session.add(media)
    db.session.commit()
    first = ops.claim_media(media.id)
    db.session.commit()
    second = ops.claim_media(media.id)
    assert first == 1 and second is None
