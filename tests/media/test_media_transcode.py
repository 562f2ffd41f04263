"""What transcode(), poster() and hls() produce from a validated clip."""
from __future__ import annotations

import pytest

from lms.media import FFmpegError, poster, probe, transcode, hls
from tests.media.tools import ffprobe_json, top_level_atoms


def test_transcode_makes_a_web_mp4(clips, tmp_path):
    """Is the output H.264 High/AAC stereo, ≤720p, moov before mdat, without the source's metadata?"""
    out = tmp_path / "web.mp4"
    fractions: list[float] = []
    transcode(clips.valid, out, progress=fractions.append)

    info = probe(out)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width, info.height) == (320, 240)  # never scaled up
    assert info.height <= 720
    assert info.duration == pytest.approx(2.0, abs=0.15)

    atoms = top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat"), atoms  # faststart: plays while downloading

    described = ffprobe_json(out, "format_tags", "stream=codec_type,profile,pix_fmt,channels", "stream_tags")
    video, audio = described["streams"]
    assert (video["profile"], video["pix_fmt"]) == ("High", "yuv420p")
    assert audio["channels"] == 2
    tags = described["format"].get("tags", {})
    assert "title" not in tags and "location" not in tags

    assert fractions and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    "clip, max_height, size",
    [
        ("valid", 120, (160, 120)),  # landscape: the height is the short side
        ("rotated", 120, (120, 160)),  # portrait phone video: rotated upright, the width is bounded
    ],
)
def test_transcode_scales_the_short_side(clips, tmp_path, clip, max_height, size):
    """Is the picture scaled down to the size limit on its shorter side, keeping its aspect ratio?"""
    out = tmp_path / "web.mp4"
    transcode(getattr(clips, clip), out, max_height=max_height, preset="ultrafast")
    info = probe(out)
    assert (info.width, info.height) == size
    assert info.rotation == 0


def test_transcode_keeps_dimensions_even(clips, tmp_path):
    """Are odd target sizes rounded to even dimensions (required for yuv420p H.264)?"""
    out = tmp_path / "web.mp4"
    transcode(clips.valid, out, max_height=101, preset="ultrafast")
    info = probe(out)
    assert info.height == 100 and info.width % 2 == 0
    assert info.width / info.height == pytest.approx(4 / 3, rel=0.03)


def test_transcode_without_audio(clips, tmp_path):
    """Does a silent video transcode to a video-only MP4?"""
    out = tmp_path / "web.mp4"
    transcode(clips.silent, out, preset="ultrafast")
    info = probe(out)
    assert info.video_codec == "h264" and info.audio_streams == 0


def test_transcode_cuts_at_max_seconds(clips, tmp_path):
    """Is the output cut at max_seconds, with progress still reaching 1.0?"""
    out = tmp_path / "web.mp4"
    fractions: list[float] = []
    transcode(clips.valid, out, max_seconds=1, preset="ultrafast", progress=fractions.append)
    assert probe(out).duration == pytest.approx(1.0, abs=0.15)
    assert fractions[-1] == 1.0


def test_transcode_of_a_disguised_playlist_fails_cleanly(clips, tmp_path):
    """If an unvalidated playlist reaches transcode, does ffmpeg refuse it and leave no output?"""
    upload = tmp_path / "upload.mp4"
    upload.write_text(f"#EXTM3U\n#EXTINF:2.0,\nfile:{clips.ts}\n#EXT-X-ENDLIST\n")
    out = tmp_path / "web.mp4"
    with pytest.raises(FFmpegError):
        transcode(upload, out, duration=2)
    assert not out.exists()
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("at_seconds, width, expected_width", [(1.0, 640, 320), (1.0, 160, 160), (30.0, 640, 320)])
def test_poster(clips, tmp_path, at_seconds, width, expected_width):
    """Is the poster a JPEG no wider than asked (never enlarged), even when asked past the end?"""
    out = tmp_path / "poster.jpg"
    poster(clips.valid, out, at_seconds, width=width)
    assert out.read_bytes()[:3] == b"\xff\xd8\xff"
    [stream] = ffprobe_json(out, "stream=codec_name,width,height")["streams"]
    assert (stream["codec_name"], stream["width"]) == ("mjpeg", expected_width)


def test_hls_by_stream_copy(clips, tmp_path):
    """Does hls() write a VOD playlist whose segments all exist, covering the whole video?"""
    web = tmp_path / "web.mp4"
    transcode(clips.valid, web, preset="ultrafast")
    playlist = hls(web, tmp_path / "hls", segment_seconds=1)

    assert playlist == tmp_path / "hls" / "index.m3u8"
    lines = playlist.read_text().splitlines()
    assert lines[0] == "#EXTM3U" and "#EXT-X-PLAYLIST-TYPE:VOD" in lines and lines[-1] == "#EXT-X-ENDLIST"
    segments = [line for line in lines if line and not line.startswith("#")]
    assert segments and all((playlist.parent / name).stat().st_size > 0 for name in segments)
    assert all("/" not in name and ":" not in name for name in segments)  # relative names only
    seconds = sum(float(line.split(":")[1].rstrip(",")) for line in lines if line.startswith("#EXTINF:"))
    assert seconds == pytest.approx(2.0, abs=0.15)
