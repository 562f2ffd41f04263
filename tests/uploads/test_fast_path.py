"""A phone's video that browsers play as it is: ready from its stream copy at once; when the copy is heavier
than the standard 720p rendition, a low-priority job encodes that one and swaps it in behind the same URLs,
while a player that started the copy keeps getting the copy's bytes."""
from __future__ import annotations

import contextvars
import threading
import time
from datetime import timedelta

import pytest

from lms import media as media_lib
from lms.core.types import utcnow
from lms.extensions import db, socketio
from lms.jobs import Queue, Task
from lms.jobs.backends import ThreadBackend
from lms.storage import get_storage
from lms.uploads import tasks
from lms.uploads.models import Media, MediaState
from tests.fixtures.services import require_service
from tests.media.tools import FFMPEG, ffmpeg, ffprobe_json
from tests.uploads.helpers import upload_file


@pytest.fixture(scope="module")
def phone_clip(tmp_path_factory):
    """A second of portrait 1080p phone video: H.264 High + AAC, stored landscape with a 90° rotation,
    with a GPS position and the phone's make and model."""
    require_service("ffmpeg", bool(FFMPEG), "ffmpeg is not installed (scripts/setup installs it)")
    d = tmp_path_factory.mktemp("phone")
    encoded, clip = d / "encoded.mp4", d / "VID_20261130.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi", "-i", "sine", "-t", "1",
           "-c:v", "libx264", "-preset", "superfast", "-g", "30", "-c:a", "aac", encoded)
    ffmpeg("-i", encoded, "-c", "copy", "-metadata:s:v:0", "rotate=90", "-metadata", "location=+31.2304+121.4737/",
           "-metadata", "make=Xiaomi", "-metadata", "model=14 Ultra", clip)
    return clip


@pytest.fixture
def owner(make, login):
    user = make.user("Zhang Yunni")
    return login(user), user


@pytest.fixture
def held(monkeypatch):
    """The follow-up jobs the processing job asks for, held instead of run (the inline backend would run
    them at once), as (task, args, queue)."""
    calls = []
    monkeypatch.setattr(tasks, "enqueue_after_commit",
                        lambda task, *args, queue: calls.append((task, args, queue)))
    return calls


def _body(client, url: str, headers=None) -> bytes:
    response = client.get(url, headers=headers or {})
    try:
        assert response.status_code in (200, 206), response.status_code
        return response.get_data()
    finally:
        response.close()


def _read(key: str) -> bytes:
    with get_storage().open(key) as f:
        return f.read()


def _probe(key: str, tmp_path) -> dict:
    path = tmp_path / key.replace("/", "_")
    path.write_bytes(_read(key))
    return ffprobe_json(path, "stream=codec_type,codec_name,width,height:stream_side_data=rotation:format_tags")


def test_heavy_phone_video_is_ready_from_its_copy_then_swapped_for_the_standard_rendition(
        app, owner, phone_clip, held, tmp_path):
    """Is a 1080p phone video ready with its copy (the phone's own H.264, no GPS, rotation kept) and the
    standard rendition queued on the `later` queue; once made, does it take the copy's place behind the same
    URLs, while a URL signed before keeps serving the copy (a player mid-video gets no foreign bytes) until
    the sweep deletes the copy, when no such URL can still be valid?"""
    client, _ = owner
    media = db.session.get(Media, upload_file(client, phone_clip, chunk=1 << 20)["media_id"])
    assert media.state == MediaState.ready and media.progress == 100
    assert (media.width, media.height) == (1080, 1920)
    assert held == [(Task.make_standard_rendition, (media.id,), Queue.later)]
    copy_key = media.mp4_key
    copy = _probe(copy_key, tmp_path)
    assert [(s["codec_name"], s.get("width")) for s in copy["streams"]] == [("h264", 1920), ("aac", None)]
    assert abs(int(copy["streams"][0]["side_data_list"][0]["rotation"])) == 90
    assert not {"location", "make", "model"} & set(copy["format"].get("tags", {}))

    before = client.get(f"/media/{media.id}/state").get_json()["urls"]
    assert set(before) == {"state", "mp4", "poster", "download"}  # nothing new shown
    assert _body(client, before["mp4"]) == _read(copy_key)

    tasks.make_standard_rendition(media.id)
    db.session.refresh(media)
    assert media.mp4_key != copy_key and media.previous_mp4_key == copy_key and media.replaced_at is not None
    assert (media.width, media.height) == (720, 1280) and media.state == MediaState.ready
    standard = _probe(media.mp4_key, tmp_path)
    assert [(s["codec_name"], s.get("width"), s.get("height")) for s in standard["streams"]] == [
        ("h264", 720, 1280), ("aac", None, None)]

    # The page signed before the swap: its player's range requests still read the copy.
    assert _body(client, before["mp4"], {"Range": "bytes=1000-1999"}) == _read(copy_key)[1000:2000]
    time.sleep(1.1)  # URLs are stamped to the second
    after = client.get(f"/media/{media.id}/state").get_json()["urls"]
    assert set(after) == set(before) and after["mp4"].rsplit("/", 1)[1] == before["mp4"].rsplit("/", 1)[1]
    assert _body(client, after["mp4"]) == _read(media.mp4_key)

    tasks.make_standard_rendition(media.id)  # again (a retried job): nothing changes
    db.session.refresh(media)
    assert media.previous_mp4_key == copy_key

    assert tasks.drop_replaced_renditions() == 0  # the old page's URL is still valid
    media.replaced_at = utcnow() - timedelta(seconds=app.config["MEDIA_URL_MAX_AGE"] + 120)
    db.session.commit()
    assert tasks.drop_replaced_renditions() == 1
    db.session.refresh(media)
    assert media.previous_mp4_key is None and not get_storage().exists(copy_key)
    assert _body(client, before["mp4"]) == _read(media.mp4_key)


def test_the_standard_rendition_follows_by_itself_and_nobody_is_told(app, owner, phone_clip):
    """Without holding the job (the inline backend runs it after the processing job's commit), does the
    uploader's page get one `ready` and nothing after it, and does the video end with the standard
    rendition?"""
    client, _ = owner
    sock = contextvars.Context().run(socketio.test_client, app, flask_test_client=client)
    media = db.session.get(Media, upload_file(client, phone_clip, chunk=1 << 20)["media_id"])
    states = [r["args"][0] for r in sock.get_received() if r["name"] == "media_state"]
    sock.disconnect()
    assert [s["state"] for s in states].count("ready") == 1 and states[-1]["state"] == "ready"
    assert "processing" in [s["state"] for s in states]
    db.session.refresh(media)
    assert media.replaced_at is not None and (media.width, media.height) == (720, 1280)


def test_light_video_is_copied_and_needs_no_standard_rendition(owner, clips, held):
    """Is a 320×240 phone clip ready from its copy with no follow-up job (it is lighter than 720p)?"""
    client, _ = owner
    media = db.session.get(Media, upload_file(client, clips.valid)["media_id"])
    assert media.state == MediaState.ready and held == []
    assert media.replaced_at is None


def test_a_failed_standard_rendition_leaves_the_copy(owner, phone_clip, held, monkeypatch):
    """When encoding the standard rendition fails, does the video stay ready with its copy, and is
    nothing of the failed attempt left in storage?"""
    client, _ = owner
    media = db.session.get(Media, upload_file(client, phone_clip, chunk=1 << 20)["media_id"])
    copy_key = media.mp4_key

    def broken(*args, **kwargs):
        raise media_lib.FFmpegError("simulated crash", returncode=-9)

    monkeypatch.setattr(media_lib, "standard_rendition", broken)
    tasks.make_standard_rendition(media.id)
    db.session.refresh(media)
    assert (media.state, media.mp4_key, media.replaced_at) == (MediaState.ready, copy_key, None)
    folder = get_storage().path(copy_key).parent
    assert not [p.name for p in folder.iterdir() if p.name.startswith("standard-")]


_gate = threading.Event()
_ran: list[str] = []


def _slow_later_job() -> None:
    _gate.wait(30)
    _ran.append("later")


def _urgent_job() -> None:
    _ran.append("urgent")


def test_embedded_backend_runs_later_jobs_beside_the_others(app):
    """With the embedded thread backend, does a job on the `later` queue (a standard rendition being
    encoded) never hold up the jobs queued after it on the other queues (the next video's processing)?"""
    backend = ThreadBackend(app)
    _gate.clear()
    _ran.clear()
    backend.enqueue(f"{__name__}:_slow_later_job", (), queue="later")
    backend.enqueue(f"{__name__}:_urgent_job", (), queue="media")
    backend.queue.join()  # the media queue is done while the later job still waits
    assert _ran == ["urgent"]
    _gate.set()
    backend.join()
    assert _ran == ["urgent", "later"]
