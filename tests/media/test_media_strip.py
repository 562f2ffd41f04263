"""strip_metadata(): the same streams in the same kind of container, without what the camera wrote."""
from __future__ import annotations

import sys

import pytest

from lms.media import FFmpegError, probe, strip_metadata
from tests.media.tools import ffmpeg, ffprobe_json


def test_a_webm_recording_stays_webm_without_tags(clips, tmp_path):
    """Is a browser recording written back as WebM (VP9/Opus), its title and encoder tags gone?"""
    source = tmp_path / "recording.webm"
    ffmpeg("-i", clips.valid, "-t", "1", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
           "-c:a", "libopus", "-metadata", "title=Kitchen, 5 Rue Cler", source)
    out = tmp_path / "out"
    assert strip_metadata(source, out) == "webm"
    described = ffprobe_json(out, "format_tags", "stream=codec_name")
    assert [s["codec_name"] for s in described["streams"]] == ["vp9", "opus"]
    assert "title" not in {key.lower() for key in described["format"].get("tags", {})}


def test_pcm_sound_falls_back_to_quicktime(clips, tmp_path):
    """A camera's MOV with PCM sound (which MP4 cannot hold): is it written as MOV, streams kept?"""
    source = tmp_path / "camera.mov"
    ffmpeg("-i", clips.valid, "-c:v", "copy", "-c:a", "pcm_s16le", "-metadata", "location=+48.8577+002.2950/", source)
    out = tmp_path / "out"
    assert strip_metadata(source, out) == "mov"
    assert probe(out).audio_codec == "pcm_s16le"
    assert b"48.8577" not in out.read_bytes()


def test_a_stream_no_muxer_takes_leaves_the_first_picture_and_sound(clips, tmp_path, monkeypatch):
    """When copying every stream fails in both muxers (a phone's audio codec this ffmpeg does not know),
    is the copy made of the first video and audio streams instead of failing?"""
    module = sys.modules["lms.media.transcode"]
    real = module.run_ffmpeg
    tried = []

    def refuses_all_streams(spec, **kwargs):
        args = spec.get_args()
        tried.append(args)
        if "0:V" in args:
            raise FFmpegError("Could not find tag for codec none in stream #2")
        return real(spec, **kwargs)

    monkeypatch.setattr(module, "run_ffmpeg", refuses_all_streams)
    out = tmp_path / "out"
    assert strip_metadata(clips.four_streams, out) == "mp4"
    assert len(tried) == 3  # mp4 and mov with every stream, then mp4 with the first two
    info = probe(out)
    assert (info.video_streams, info.audio_streams) == (1, 1)


def test_not_a_video_fails(clips, tmp_path):
    """Does a file without a picture raise FFmpegError (the caller then keeps it as received)?"""
    with pytest.raises(FFmpegError):
        strip_metadata(clips.audio_only, tmp_path / "out")
    assert not list(tmp_path.glob("out*"))
