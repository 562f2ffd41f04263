"""Video as phones and browsers record it: HDR (PQ, HLG), 10-bit and other colour formats, rotation tags,
and a recording whose picture turns mid-way; each comes out as an SDR BT.709 4:2:0 MP4, upright and unsquashed."""
from __future__ import annotations

import shutil
import sys
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image, ImageChops, ImageStat

from lms.media import poster, probe, transcode, validate
from tests.fixtures.services import require_service
from tests.media.tools import FFMPEG, ffmpeg, ffprobe_json

#: An SDR picture turned into an HDR one: linear light with SDR white at 100 nits, BT.2020, then PQ or HLG.
TO_HDR = ("zscale=tin=bt709:min=bt709:pin=bt709:rin=limited:t=linear:npl=100:p=bt709:m=bt709,format=gbrpf32le,"
          "zscale=p=bt2020:t={transfer}:m=bt2020nc:r=limited:npl=100,format=yuv420p10le")


def _encoders() -> str:
    if not FFMPEG:
        return ""
    return subprocess.run([FFMPEG, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30).stdout


def _hdr(sdr: Path, dst: Path, transfer: str) -> Path:
    """`sdr` as a phone's 10-bit HDR clip: HEVC Main 10 when libx265 is here, else 10-bit H.264."""
    codec = (["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1"]
             if " libx265 " in _encoders() else ["-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high10"])
    ffmpeg("-i", sdr, "-vf", TO_HDR.format(transfer=transfer), *codec,
           "-color_primaries", "bt2020", "-color_trc", transfer, "-colorspace", "bt2020nc", dst)
    return dst


@pytest.fixture(scope="module")
def phone(clips, tmp_path_factory) -> SimpleNamespace:
    """One colourful 1 s SDR clip (testsrc2, 320×240, 10 frames), the same picture as phones store it in
    HDR, and the poster colours of the SDR clip's own transcode (what the others are compared with)."""
    has_zscale = bool(shutil.which("ffmpeg")) and "zscale" in subprocess.run(
        [FFMPEG, "-hide_banner", "-filters"], capture_output=True, text=True, timeout=30).stdout
    require_service("ffmpeg with zscale (libzimg)", has_zscale, "making the HDR fixtures needs the zscale filter "
                    "(Debian's ffmpeg has it; scripts/setup installs it)")
    d = tmp_path_factory.mktemp("phone")
    p = SimpleNamespace()
    p.sdr = d / "sdr.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", p.sdr)
    sdr_out = d / "sdr-web.mp4"
    transcode(p.sdr, sdr_out, preset="ultrafast")
    p.sdr_hsv = _poster_hsv(sdr_out, d)
    p.pq = _hdr(p.sdr, d / "pq.mp4", "smpte2084")
    p.hlg = _hdr(p.sdr, d / "hlg.mp4", "arib-std-b67")
    return p


def _poster_hsv(video: Path, tmp_path: Path) -> tuple[float, float, float]:
    """Mean hue, saturation and value (0..255, Pillow's HSV) of the poster made from `video`."""
    jpg = tmp_path / f"{video.stem}.jpg"
    poster(video, jpg, 0.4, matrix=probe(video).color_space)
    with Image.open(jpg) as img:
        return tuple(ImageStat.Stat(img.convert("RGB").convert("HSV")).mean)


def _colour(path: Path) -> dict:
    [stream] = ffprobe_json(path, "stream=pix_fmt,color_range,color_space,color_transfer,color_primaries")["streams"]
    return stream


SDR_BT709 = {"pix_fmt": "yuv420p", "color_range": "tv", "color_space": "bt709", "color_transfer": "bt709",
             "color_primaries": "bt709"}


@pytest.mark.parametrize("kind", ["pq", "hlg"])
def test_hdr_phone_video_is_tone_mapped_to_sdr(phone, tmp_path, kind):
    """Does a 10-bit BT.2020 PQ (or HLG) clip come out 8-bit BT.709, as colourful and bright as the SDR
    original, instead of grey and flat under a PQ tag the browser ignores?"""
    source = getattr(phone, kind)
    info = probe(source)
    assert info.is_hdr and info.pix_fmt == "yuv420p10le" and info.color_primaries == "bt2020"

    hdr_out = tmp_path / f"{kind}.mp4"
    transcode(source, hdr_out, preset="ultrafast")
    assert _colour(hdr_out) == SDR_BT709

    _, sdr_saturation, sdr_value = phone.sdr_hsv
    _, saturation, value = _poster_hsv(hdr_out, tmp_path)
    assert saturation > 0.7 * sdr_saturation, (saturation, sdr_saturation)  # the issue saw 27 against 114
    assert value > 0.7 * sdr_value, (value, sdr_value)


@pytest.mark.parametrize("pix_fmt, full_range, matrix", [
    ("yuvj420p", True, "bt709"),  # full-range JPEG levels (some Android cameras)
    ("yuv422p10le", False, "bt709"),  # 10-bit 4:2:2 (camera apps' "pro" modes)
    ("yuv444p", False, "bt709"),
    ("yuv420p10le", False, "bt709"),  # 10-bit SDR
    ("yuv420p", False, "smpte170m"),  # standard definition, BT.601 colours
])
def test_phone_colour_formats_become_browser_ready(phone, tmp_path, pix_fmt, full_range, matrix):
    """Is every colour format a browser cannot show converted to 8-bit 4:2:0 BT.709, looking the same?"""
    source = tmp_path / f"{pix_fmt}.mov"
    codec = ["-c:v", "prores_ks"] if pix_fmt == "yuv422p10le" else ["-c:v", "libx264", "-preset", "ultrafast"]
    levels = "pc" if full_range else "tv"
    to_matrix = f"zscale=min=bt709:m={matrix}," if matrix != "bt709" else ""  # swscale keeps YUV matrices as they are
    ffmpeg("-i", phone.sdr, "-vf", f"{to_matrix}scale=out_range={levels},format={pix_fmt}", *codec, "-color_range", levels,
           "-color_primaries", "bt709" if matrix == "bt709" else "smpte170m",
           "-color_trc", "bt709" if matrix == "bt709" else "smpte170m", "-colorspace", matrix, source)
    info = probe(source)
    assert (info.pix_fmt, info.color_space) == (pix_fmt, matrix)

    out = tmp_path / "out.mp4"
    transcode(source, out, preset="ultrafast")
    assert _colour(out) == SDR_BT709
    expected, got = phone.sdr_hsv, _poster_hsv(out, tmp_path)
    assert got[1] == pytest.approx(expected[1], rel=0.1) and got[2] == pytest.approx(expected[2], rel=0.1)
    assert got[0] == pytest.approx(expected[0], abs=6)  # hue: no colour shift from a wrong matrix


# -- rotation and a picture that turns -------------------------------------------------------------


def _bright_box(png: Path) -> tuple[int, int, int, int]:
    """The bounding box of what is not black in a frame (the picture inside any bars)."""
    with Image.open(png) as img:
        box = img.convert("L").point(lambda v: 255 if v > 40 else 0).getbbox()
    assert box, "the frame is all black"
    return box


def _frame(video: Path, at: float, dst: Path) -> Path:
    ffmpeg("-ss", f"{at:.2f}", "-i", video, "-frames:v", 1, dst)
    return dst


@pytest.fixture(scope="module")
def turning(tmp_path_factory) -> dict[str, Path]:
    """Browser recordings (VP8 and VP9 WebM) of a phone that turned: 1 s of a 640×480 red picture, then
    1 s of a 480×640 blue one (10 frames a second), in one track (two encodes joined by stream copy, as MediaRecorder writes)."""
    d = tmp_path_factory.mktemp("turning")
    made = {}
    for codec, encoder in (("vp8", "libvpx"), ("vp9", "libvpx-vp9")):
        parts = []
        for name, colour, size in (("land", "0xE02020", "640x480"), ("port", "0x2020E0", "480x640")):
            part = d / f"{codec}-{name}.webm"
            ffmpeg("-f", "lavfi", "-i", f"color=c={colour}:size={size}:rate=10", "-t", "1", "-c:v", encoder,
                   "-b:v", "300k", "-deadline", "realtime", "-cpu-used", "8", part)
            parts.append(part)
        listing = d / f"{codec}.txt"
        listing.write_text("".join(f"file '{part}'\n" for part in parts))
        made[codec] = d / f"{codec}-turning.webm"
        ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-c", "copy", made[codec])
    return made


@pytest.mark.parametrize("codec", ["vp8", "vp9"])
def test_a_recording_that_turns_is_letterboxed_not_squashed(turning, tmp_path, codec):
    """Does a WebM whose frames go from 640×480 to 480×640 validate and come out in one frame size, the
    portrait part pillarboxed with its own 3:4 shape instead of stretched to 4:3?"""
    source = turning[codec]
    sizes = {(f["width"], f["height"]) for f in ffprobe_json(source, "frame=width,height")["frames"]}
    assert sizes == {(640, 480), (480, 640)}  # the fixture really turns

    validate(source)
    out = tmp_path / "out.mp4"
    transcode(source, out, preset="ultrafast")
    assert {(f["width"], f["height"]) for f in ffprobe_json(out, "frame=width,height")["frames"]} == {(640, 480)}

    left, top, right, bottom = _bright_box(_frame(out, 0.5, tmp_path / "land.png"))
    assert (right - left, bottom - top) == (640, 480)
    left, top, right, bottom = _bright_box(_frame(out, 1.5, tmp_path / "port.png"))
    assert bottom - top == 480 and (right - left) / (bottom - top) == pytest.approx(3 / 4, abs=0.02)
    assert left == pytest.approx(640 - right, abs=2)  # centred
    with Image.open(tmp_path / "port.png") as img:
        r, g, b = img.convert("RGB").getpixel((320, 240))
    assert b > 150 and r < 100  # the blue part, not the red one


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> Path:
    """A 320×240 black clip with a red block in its top-left corner, as stored (before rotation)."""
    clip = tmp_path_factory.mktemp("marked") / "marked.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:size=320x240:rate=10,drawbox=x=0:y=0:w=80:h=60:color=red:t=fill",
           "-t", "0.4", "-c:v", "libx264", "-preset", "ultrafast", clip)
    return clip


#: Where the stored top-left corner is shown after turning the picture counter-clockwise by the display
#: matrix's angle (the convention of ffprobe's `rotation`).
CORNER_AFTER = {90: "bottom-left", 180: "bottom-right", 270: "top-right"}


@pytest.mark.parametrize("tag", [90, 180, 270])
def test_phone_rotation_is_applied_to_the_picture(marked, tmp_path, tag):
    """Is a phone's rotation (the display matrix its `rotate` tag writes) turned into upright pixels, with
    the output untagged, so every player shows it the same way?"""
    source = tmp_path / f"rotated{tag}.mp4"
    ffmpeg("-i", marked, "-c", "copy", "-metadata:s:v:0", f"rotate={tag}", source)
    rotation = probe(source).rotation
    assert rotation in CORNER_AFTER

    out = tmp_path / "out.mp4"
    transcode(source, out, preset="ultrafast")
    info = probe(out)
    assert info.rotation == 0
    assert (info.width, info.height) == ((240, 320) if rotation % 180 else (320, 240))
    frame = _frame(out, 0.1, tmp_path / "frame.png")
    left, top, right, bottom = _bright_box(frame)
    with Image.open(frame) as img:
        width, height = img.size
    vertical = "top" if top == 0 else "bottom" if bottom == height else "middle"
    horizontal = "left" if left == 0 else "right" if right == width else "middle"
    assert f"{vertical}-{horizontal}" == CORNER_AFTER[rotation]


@pytest.mark.parametrize("kind", ["pq", "hlg", "sd"])
def test_without_zscale_the_colorspace_filter_converts(phone, tmp_path, monkeypatch, kind):
    """On an ffmpeg built without libzimg (no zscale), do HDR and BT.601 clips still come out 8-bit 4:2:0
    tagged BT.709 through the colorspace filter, the BT.601 one with its colours kept?"""
    monkeypatch.setattr(sys.modules["lms.media.transcode"], "has_filters", lambda *names: False)
    source = getattr(phone, kind, None)
    if source is None:
        source = tmp_path / "sd.mp4"
        ffmpeg("-i", phone.sdr, "-vf", "zscale=min=bt709:m=smpte170m,format=yuv420p", "-c:v", "libx264", "-preset",
               "ultrafast", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-colorspace", "smpte170m",
               source)
    out = tmp_path / "out.mp4"
    transcode(source, out, preset="ultrafast")
    assert _colour(out) == SDR_BT709
    if kind == "sd":
        expected, got = phone.sdr_hsv, _poster_hsv(out, tmp_path)
        assert got[0] == pytest.approx(expected[0], abs=6) and got[1] == pytest.approx(expected[1], rel=0.1)


@pytest.mark.parametrize("source_kind", ["yuv", "rgb"])
def test_web_video_and_poster_keep_the_pictures_colours(tmp_path, source_kind):
    """Do the web video and its poster show the colours of the picture filmed? A BT.709 clip and an RGB
    screen recording (PNG in MOV) against testsrc2's own RGB frame: swscale's defaults (BT.601 for RGB
    to YUV, and a JPEG left with the video's BT.709 matrix) shift greens by about 25 levels."""
    truth = tmp_path / "truth.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-frames:v", 1, truth)
    source = tmp_path / f"{source_kind}.mov"
    if source_kind == "yuv":
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "1", "-vf",
               "scale=out_color_matrix=bt709,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
               "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", source)
    else:
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "1", "-c:v", "png", "-pix_fmt", "rgb24",
               source)
    out = tmp_path / "web.mp4"
    transcode(source, out, preset="ultrafast")
    frame = tmp_path / "frame.png"  # the web video's first frame, read with its BT.709 matrix by zscale
    ffmpeg("-i", out, "-vf", "zscale=min=bt709:rin=limited:r=full,format=gbrp,format=rgb24", "-frames:v", 1, frame)
    jpg = tmp_path / "poster.jpg"
    poster(out, jpg, 0, matrix=probe(out).color_space)
    with Image.open(truth) as expected:
        for picture in (frame, jpg):
            with Image.open(picture) as got:
                difference = ImageStat.Stat(ImageChops.difference(expected.convert("RGB"), got.convert("RGB"))).mean
            assert max(difference) < 10, (picture.name, difference)
