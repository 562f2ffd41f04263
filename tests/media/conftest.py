"""Media fixtures: small clips made once per session with ffmpeg's lavfi test sources."""
from __future__ import annotations

import subprocess
from types import SimpleNamespace

import pytest

from tests.media.tools import FFMPEG, FFPROBE, ffmpeg


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> SimpleNamespace:
    """Clips derived from one 2-second 320×240 H.264/AAC encode (the rest are stream copies)."""
    if not FFMPEG or not FFPROBE:
        pytest.skip("ffmpeg/ffprobe not installed")
    d = tmp_path_factory.mktemp("clips")
    c = SimpleNamespace(dir=d)
    c.valid = d / "valid.mp4"  # moov after mdat, as cameras write it
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac",
        "-metadata", "title=Secret family name", "-metadata", "location=+48.85+002.35/",
        c.valid,
    )  # fmt: skip
    c.faststart = d / "faststart.mp4"
    ffmpeg("-i", c.valid, "-c", "copy", "-movflags", "+faststart", c.faststart)
    c.silent = d / "silent.mp4"
    ffmpeg("-i", c.valid, "-c", "copy", "-an", c.silent)
    c.rotated = d / "rotated.mp4"  # a phone held upright: stored landscape, shown portrait
    ffmpeg("-i", c.valid, "-c", "copy", "-metadata:s:v:0", "rotate=90", c.rotated)
    c.browser_webm = d / "browser.mkv"  # written to a pipe, as MediaRecorder does: no duration, no cues
    with open(c.browser_webm, "wb") as out:
        subprocess.run(
            [FFMPEG, "-nostdin", "-v", "error", "-i", str(c.valid), "-c", "copy", "-f", "matroska", "pipe:1"],
            stdout=out,
            check=True,
            timeout=60,
        )
    c.mkv = d / "valid.mkv"
    ffmpeg("-i", c.valid, "-c", "copy", c.mkv)
    c.four_streams = d / "four_streams.mp4"
    ffmpeg("-i", c.valid, "-map", "0:v", "-map", "0:a", "-map", "0:a", "-map", "0:a", "-c", "copy", c.four_streams)
    c.audio_only = d / "audio.m4a"
    ffmpeg("-i", c.valid, "-vn", "-c", "copy", c.audio_only)
    c.png = d / "frame.png"
    ffmpeg("-i", c.valid, "-frames:v", "1", c.png)
    c.ts = d / "valid.ts"
    ffmpeg("-i", c.valid, "-c", "copy", "-f", "mpegts", c.ts)
    c.avi = d / "valid.avi"
    ffmpeg("-i", c.valid, "-c", "copy", c.avi)
    return c
