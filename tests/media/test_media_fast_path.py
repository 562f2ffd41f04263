"""The fast path: a phone's H.264/AAC MP4 that browsers play as it is becomes the web video by stream copy
(no encode), without its metadata, with its rotation, and the copy's read still judges truncation and
lying headers; what browsers cannot play as it is (HEVC, 10-bit, HDR, VP8 WebM, a stream whose frame size
changes) is still encoded."""
from __future__ import annotations

import dataclasses
import subprocess

import pytest

from lms.media import Limits, MediaRejected, make_renditions, probe, validate
from lms.media import ffmpeg as wrapper
from lms.media.probe import ProbeResult
from lms.media.remux import heavier_than_standard, sps_frame_sizes, unplayable_reason
from tests.fixtures.services import require_service
from tests.media.tools import FFMPEG, ffmpeg, ffprobe_json, top_level_atoms

PHONE_TAGS = ("-metadata", "location=+31.2304+121.4737/", "-metadata", "location-eng=+31.2304+121.4737/",
              "-metadata", "make=Apple", "-metadata", "model=iPhone 15", "-metadata", "title=Zhang family dinner",
              "-metadata", "com.apple.quicktime.location.ISO6709=+31.2304+121.4737/")


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    """A portrait phone clip as a phone writes it: 1080p H.264 High + AAC, stored landscape with a 90°
    display rotation, GPS position and device tags, the index after the media data; its faststart
    copy; the faststart copy cut in half (an upload cut off)."""
    require_service("ffmpeg", bool(FFMPEG), "ffmpeg is not installed (scripts/setup installs it)")
    d = tmp_path_factory.mktemp("phone")
    encoded = d / "encoded.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi", "-i", "sine=frequency=440",
           "-t", "2", "-c:v", "libx264", "-preset", "superfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
           "-g", "30", "-c:a", "aac", encoded)
    phone = d / "IMG_0042.MOV"
    ffmpeg("-i", encoded, "-c", "copy", "-metadata:s:v:0", "rotate=90", *PHONE_TAGS, "-f", "mov", phone)
    faststart = d / "faststart.mp4"
    ffmpeg("-i", phone, "-c", "copy", "-metadata:s:v:0", "rotate=90", *PHONE_TAGS, "-movflags", "+faststart",
           faststart)
    cut = d / "cut.mp4"
    data = faststart.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return dataclasses.make_dataclass("Phone", ["mov", "faststart", "cut"])(phone, faststart, cut)


def _runs(monkeypatch) -> list[list[str]]:
    """Every ffmpeg/ffprobe argv run from now on."""
    runs: list[list[str]] = []
    real = wrapper.run

    def recording(argv, **kwargs):
        runs.append(list(argv))
        return real(argv, **kwargs)

    monkeypatch.setattr(wrapper, "run", recording)
    return runs


def _pipeline(path, out_dir, limits: Limits = Limits()):
    """What lms.uploads.tasks does with an upload."""
    info = validate(path, limits, decode=False)
    return make_renditions(path, out_dir, duration=info.duration, max_seconds=limits.max_seconds, info=info,
                           limits=limits)


def _encoded(runs) -> bool:
    return any("libx264" in argv for argv in runs)


def test_phone_video_is_remuxed_without_its_tags_and_with_its_rotation(phone, tmp_path, monkeypatch):
    """Is a phone's H.264/AAC MOV copied (no libx264 run) into a faststart MP4 of its first picture and sound
    streams, without GPS position, device or title, still shown portrait, and marked heavier than the
    standard rendition (1080p)?"""
    runs = _runs(monkeypatch)
    made = _pipeline(phone.mov, tmp_path / "out")
    assert made.remuxed and made.heavier_than_standard
    assert not _encoded(runs)
    assert (made.width, made.height) == (1080, 1920) and made.duration == pytest.approx(2, abs=0.1)

    tags = ffprobe_json(made.mp4, "format_tags")["format"].get("tags", {})
    gone = {"location", "location-eng", "make", "model", "title", "com.apple.quicktime.location.ISO6709"}
    assert not gone & set(tags)
    streams = ffprobe_json(made.mp4, "stream=codec_type,codec_name,width,height,profile:stream_tags"
                                     ":stream_side_data=rotation")["streams"]
    assert [(s["codec_type"], s["codec_name"]) for s in streams] == [("video", "h264"), ("audio", "aac")]
    video = streams[0]
    assert (video["width"], video["height"], video["profile"]) == (1920, 1080, "High")  # the same stream
    assert abs(int(video["side_data_list"][0]["rotation"])) == 90  # the display matrix, as browsers honour it
    assert not {"location", "make", "model"} & set(video.get("tags", {}))
    atoms = top_level_atoms(made.mp4)
    assert atoms.index("moov") < atoms.index("mdat")
    assert made.poster.stat().st_size > 0


def test_the_copy_holds_the_phones_picture_bit_for_bit(phone, tmp_path):
    """Is the web video's picture the phone's own (identical packets), not a re-encode?"""
    made = _pipeline(phone.faststart, tmp_path / "out")

    def packets(path):
        return subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f",
                               "framemd5", "-"], capture_output=True, check=True).stdout.splitlines()[-60:]

    assert made.remuxed and packets(made.mp4) == packets(phone.faststart)


def test_a_cut_phone_video_is_refused_as_truncated(phone, tmp_path, monkeypatch):
    """Is a faststart phone clip cut in half (its index whole, half its data missing) refused as
    truncated by the copy's read, without an encode and without a web video left behind?"""
    runs = _runs(monkeypatch)
    with pytest.raises(MediaRejected) as caught:
        _pipeline(phone.cut, tmp_path / "out")
    assert caught.value.code == "truncated"
    assert not _encoded(runs)
    assert not (tmp_path / "out" / "video.mp4").exists()


def test_a_short_header_is_caught_by_how_far_the_packets_reach(phone, tmp_path):
    """Is a phone clip whose length limit is shorter than what its packets reach refused as too long?"""
    with pytest.raises(MediaRejected) as caught:
        _pipeline(phone.mov, tmp_path / "out", Limits(max_seconds=0.5, duration_tolerance=0.2))
    assert caught.value.code == "too_long"


def test_small_phone_video_is_remuxed_and_not_heavier(clips, tmp_path, monkeypatch):
    """Is a 320×240 H.264 clip (below 720p and 3.5 Mbit/s) copied and left as the only web video?"""
    runs = _runs(monkeypatch)
    made = _pipeline(clips.valid, tmp_path / "out")
    assert made.remuxed and not made.heavier_than_standard and not _encoded(runs)


def _other(tmp_path, name: str, *args) -> object:
    path = tmp_path / name
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine", "-t", "1", *args, path)
    return path


def _size_changing(tmp_path):
    """One H.264 stream going from 320×240 to 240×320 (in-band parameter sets), in an MP4."""
    parts = []
    for size in ("320x240", "240x320"):
        part = tmp_path / f"{size}.h264"
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25", "-t", "1", "-c:v", "libx264", "-preset",
               "ultrafast", "-f", "h264", part)
        parts.append(part.read_bytes())
    joined = tmp_path / "joined.h264"
    joined.write_bytes(b"".join(parts))
    path = tmp_path / "turned.mp4"
    ffmpeg("-r", "25", "-i", joined, "-c", "copy", path)
    return path


ENCODED = {
    "HEVC": lambda d: _other(d, "hevc.mp4", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                             "log-level=error", "-tag:v", "hvc1", "-c:a", "aac"),
    "10-bit H.264": lambda d: _other(d, "high10.mp4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                                     "yuv420p10le", "-c:a", "aac"),
    "HDR (PQ, BT.2020) H.264": lambda d: _other(d, "pq.mp4", "-c:v", "libx264", "-preset", "ultrafast",
                                                "-color_primaries", "bt2020", "-color_trc", "smpte2084",
                                                "-colorspace", "bt2020nc", "-c:a", "aac"),
    "VP8 WebM": lambda d: _other(d, "vp8.webm", "-c:v", "libvpx", "-c:a", "libvorbis"),
    "H.264 in Matroska": lambda d: _other(d, "h264.mkv", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"),
    "Opus sound": lambda d: _other(d, "opus.mp4", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libopus",
                                   "-strict", "-2"),
    "frame size changes": _size_changing,
}


@pytest.mark.parametrize("case", ENCODED, ids=list(ENCODED))
def test_what_browsers_cannot_play_as_it_is_is_still_encoded(tmp_path, monkeypatch, case):
    """Is each upload a copy would not serve well (another codec, 10-bit, HDR, WebM, other sound, a size
    that changes) encoded by libx264, as before the fast path?"""
    source = ENCODED[case](tmp_path)
    runs = _runs(monkeypatch)
    made = _pipeline(source, tmp_path / "out")
    assert not made.remuxed and not made.heavier_than_standard
    assert _encoded(runs)
    assert probe(made.mp4).video_codec == "h264"


_PLAYABLE = ProbeResult(format_name="mov,mp4,m4a,3gp,3g2,mj2", duration=10.0, width=1920, height=1080,
                        video_codec="h264", audio_codec="aac", video_streams=1, audio_streams=1, streams=2,
                        bytes=20_000_000, rotation=90, pix_fmt="yuv420p", color_primaries="bt709",
                        color_transfer="bt709", color_space="bt709", color_range="tv", profile="High", level=40,
                        frame_rate=30.0)


@pytest.mark.parametrize("change, playable", [
    ({}, True),
    ({"color_primaries": None, "color_transfer": None, "color_space": None, "color_range": None}, True),
    ({"profile": "Constrained Baseline", "audio_codec": None, "audio_streams": 0}, True),
    ({"profile": "High 4:2:2"}, False),
    ({"profile": "High 10", "pix_fmt": "yuv420p10le"}, False),
    ({"level": 52}, False),
    ({"pix_fmt": "yuvj420p"}, False),
    ({"color_range": "pc"}, False),
    ({"color_transfer": "arib-std-b67", "color_primaries": "bt2020", "color_space": "bt2020nc"}, False),
    ({"color_space": "smpte170m"}, False),
    ({"frame_rate": 240.0}, False),
    ({"audio_codec": "pcm_s16le"}, False),
    ({"video_codec": "hevc"}, False),
    ({"format_name": "matroska,webm"}, False),
])
def test_unplayable_reason(change, playable):
    """Which headers keep a video off the fast path?"""
    assert (unplayable_reason(dataclasses.replace(_PLAYABLE, **change)) is None) == playable


@pytest.mark.parametrize("size, seconds, heavy", [
    ((1280, 720, 0), 10, False),  # 720p at 1.6 Mbit/s
    ((720, 1280, 0), 10, False),
    ((1280, 720, 90), 10, False),
    ((1920, 1080, 0), 10, True),  # taller than 720
    ((1080, 1920, 0), 10, True),
    ((1280, 720, 0), 4, True),  # 4 Mbit/s
])
def test_heavier_than_standard(size, seconds, heavy):
    """Is a copy above 720p (its shorter side) or ~3.5 Mbit/s heavier than the standard rendition?"""
    width, height, rotation = size
    result = dataclasses.replace(_PLAYABLE, width=width, height=height, rotation=rotation, duration=seconds,
                                 bytes=2_000_000)
    assert heavier_than_standard(result) == heavy


def test_sps_frame_sizes(tmp_path):
    """Are the frame sizes read from H.264 parameter sets right, cropping included (1080 of 1088 rows)?"""
    sizes = []
    for size, profile in (("1920x1080", "high"), ("240x320", "baseline"), ("642x362", "main")):
        raw = tmp_path / f"{size}.h264"
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25", "-frames:v", "1", "-c:v", "libx264",
               "-profile:v", profile, "-f", "h264", raw)
        sizes += sps_frame_sizes(raw.read_bytes())
    assert sizes == [(1920, 1080), (240, 320), (642, 362)]
    assert sps_frame_sizes(b"\x00\x00\x00\x01\x67\xff") == [(0, 0)]  # unreadable: a size nobody has
