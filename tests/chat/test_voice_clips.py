"""Voice clips: a sound-only clip (as browsers record it, or a phone's m4a/mp3/ogg) sent with a message goes
through the media pipeline to AAC in MP4 and plays in an <audio> element; a video clip stays a video."""
from __future__ import annotations

import re

import pytest

from lms.chat import queries as q
from lms.extensions import db
from lms.uploads.models import Media, MediaState
from tests.chat.support import send
from tests.media.tools import ffmpeg
from tests.uploads.helpers import upload_bytes

#: how browsers and phones record sound: (file name, ffmpeg output arguments)
SOUNDS = {
    "voice.webm": ("-c:a", "libopus", "-f", "webm"),  # Chrome's and Firefox's MediaRecorder (audio/webm;codecs=opus)
    "voice.ogg": ("-c:a", "libopus", "-f", "ogg"),  # Firefox's audio/ogg
    "voice.m4a": ("-c:a", "aac", "-f", "ipod"),  # Safari's audio/mp4, a phone's voice memo
    "voice.mp3": ("-c:a", "libmp3lame", "-f", "mp3"),
}


@pytest.fixture(scope="module")
def sounds(tmp_path_factory, clips):
    """One second of a 440 Hz tone in each format of SOUNDS, made by ffmpeg."""
    folder = tmp_path_factory.mktemp("voice")
    made = {}
    for name, args in SOUNDS.items():
        path = folder / name
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1", *args, path)
        made[name] = path.read_bytes()
    return made


@pytest.mark.parametrize("name", sorted(SOUNDS))
def test_a_voice_clip_plays_as_sound(world, client_as, sounds, name):
    """Is a sound-only clip of each recorded format processed (AAC in MP4, no poster) and shown in an <audio>
    element, on the page and in the room's copy, its link serving the MP4?"""
    student = client_as(world.user("student"))
    body = upload_bytes(student, sounds[name], filename=name, kind="video", purpose="chat",
                        purpose_id=world.main.id)
    db.session.expire_all()
    media = db.session.get(Media, body["media_id"])
    assert media.accepts_audio and media.state == MediaState.ready, (media.state, media.error_code)
    assert media.mp4_key and media.poster_key is None and media.duration and media.duration > 0.5
    message = send(world, "student", "", media_id=media.id)
    reader = q.reader_of(world.circle, world.user("student2"))
    [shown] = q.message_dicts(world.main, [message], reader)
    assert shown["media"]["audio"] is True and shown["media"]["poster"] is None
    classmate = client_as(world.user("student2"))
    page = classmate.get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    src = re.search(r'<audio controls preload="none" src="([^"]+)"', page).group(1)
    assert "<video controls" not in page
    signed = classmate.get(src)
    assert signed.status_code == 302
    with classmate.get(signed.headers["Location"]) as sound:
        assert sound.status_code == 200 and sound.mimetype == "video/mp4"


def test_a_video_clip_stays_a_video(world, client_as, clips):
    """Is a clip with a picture still a video (poster, <video>), though clips accept sound?"""
    student = client_as(world.user("student"))
    body = upload_bytes(student, clips.valid.read_bytes(), filename="answer.mp4", kind="video", purpose="chat",
                        purpose_id=world.main.id)
    db.session.expire_all()
    media = db.session.get(Media, body["media_id"])
    assert media.state == MediaState.ready and media.poster_key
    message = send(world, "student", "my answer", media_id=media.id)
    [shown] = q.message_dicts(world.main, [message], q.reader_of(world.circle, world.user("student2")))
    assert shown["media"]["audio"] is False and shown["media"]["poster"]
    page = client_as(world.user("student2")).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    assert "<video controls" in page and "<audio controls" not in page


def test_a_file_attachment_does_not_take_sound_as_a_clip(world, client_as, sounds):
    """Is a sound file sent as a plain file (the file uploader) kept a file, not made a clip?"""
    body = upload_bytes(client_as(world.user("student")), sounds["voice.mp3"], filename="voice.mp3", kind="file",
                        purpose="chat", purpose_id=world.main.id)
    db.session.expire_all()
    assert db.session.get(Media, body["media_id"]).accepts_audio is False
