"""Which uploads validate() accepts, which it rejects with which code, and what ffmpeg may open."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from lms.media import FFmpegError, Limits, MediaRejected, probe, validate
from lms.media.validate import MESSAGES, sniff
from tests.media.tools import FFPROBE


def test_valid_clip_passes(clips):
    """Does an ordinary phone-style MP4 pass, with what its headers say?"""
    info = validate(clips.valid)
    assert info.format_name.startswith("mov,mp4")
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert (info.video_streams, info.audio_streams, info.streams) == (1, 1, 2)
    assert info.bytes == clips.valid.stat().st_size


@pytest.mark.parametrize("name", ["faststart", "mkv", "silent"])
def test_other_valid_files_pass(clips, name):
    """Do a faststart MP4, a Matroska file and a video without sound pass too?"""
    info = validate(getattr(clips, name))
    assert info.has_audio is (name != "silent")


def test_browser_recording_without_duration_passes(clips):
    """Does a MediaRecorder-style WebM/Matroska (no duration in its header) pass, timed by decoding?"""
    assert probe(clips.browser_webm).duration is None
    info = validate(clips.browser_webm)
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_rotated_phone_video(clips):
    """Is a portrait phone video (stored landscape, rotated 90°) reported with its display size?"""
    info = validate(clips.rotated)
    assert info.rotation in (90, 270)
    assert info.display_size == (240, 320)


# -- rejected files -------------------------------------------------------------------------------


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def _half(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def _patch_mvhd_duration(src: Path, dst: Path, factor: int) -> Path:
    """Multiply the movie header's duration: the container claims a length its samples lack."""
    data = bytearray(src.read_bytes())
    at = data.index(b"mvhd")
    assert data[at + 4] == 0  # version 0: 32-bit timescale and duration
    (duration,) = struct.unpack_from(">I", data, at + 20)
    struct.pack_into(">I", data, at + 20, duration * factor)
    dst.write_bytes(data)
    return dst


def _patch_mkv_duration(src: Path, dst: Path, milliseconds: float) -> Path:
    """Rewrite Matroska's Segment Info Duration (EBML id 0x4489, 8-byte float)."""
    data = bytearray(src.read_bytes())
    at = data.index(b"\x44\x89\x88")
    struct.pack_into(">d", data, at + 3, milliseconds)
    dst.write_bytes(data)
    return dst


BAD_FILES = {
    "empty": (lambda c, d: _write(d / "empty.mp4", b""), Limits(), "empty"),
    "text renamed .mp4": (
        lambda c, d: _write(d / "essay.mp4", "Dear teacher, my video did not record.\n".encode()),
        Limits(),
        "not_video",
    ),
    "PNG renamed .mp4": (lambda c, d: _copy(c.png, d / "photo.mp4"), Limits(), "not_video"),
    "HEIC photo renamed .mp4": (
        lambda c, d: _write(d / "photo.mp4", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64),
        Limits(),
        "not_video",
    ),
    "HLS playlist of a valid clip": (
        lambda c, d: _write(d / "upload.mp4", f"#EXTM3U\n#EXTINF:2.0,\nfile:{c.ts}\n#EXT-X-ENDLIST\n".encode()),
        Limits(),
        "playlist",
    ),
    "ffconcat script of a valid clip": (
        lambda c, d: _write(d / "upload.mp4", f"ffconcat version 1.0\nfile '{c.valid}'\n".encode()),
        Limits(),
        "playlist",
    ),
    "AVI": (lambda c, d: _copy(c.avi, d / "upload.mp4"), Limits(), "unsupported_format"),
    "MPEG-TS": (lambda c, d: _copy(c.ts, d / "upload.mp4"), Limits(), "unsupported_format"),
    "audio only": (lambda c, d: _copy(c.audio_only, d / "upload.mp4"), Limits(), "no_video_stream"),
    "truncated MP4 (moov at the end)": (lambda c, d: _half(c.valid, d / "cut.mp4"), Limits(), "truncated"),
    "truncated faststart MP4": (lambda c, d: _half(c.faststart, d / "cut.mp4"), Limits(), "truncated"),
    "truncated Matroska": (lambda c, d: _half(c.mkv, d / "cut.mkv"), Limits(), "truncated"),
    "too long": (lambda c, d: c.valid, Limits(max_seconds=1), "too_long"),
    "too large dimensions": (lambda c, d: c.valid, Limits(max_side=160), "too_large_dimensions"),
    "too many pixels": (lambda c, d: c.valid, Limits(max_pixels=320 * 200), "too_large_dimensions"),
    "too many streams": (lambda c, d: c.four_streams, Limits(max_streams=3), "too_many_streams"),
    "too large": (lambda c, d: c.valid, Limits(max_bytes=1000), "too_large"),
    "header claims 10× the length": (
        lambda c, d: _patch_mvhd_duration(c.faststart, d / "lie.mp4", 10),
        Limits(),
        "header_lies",
    ),
    "header claims a quarter of the length": (
        lambda c, d: _patch_mkv_duration(c.mkv, d / "lie.mkv", 500.0),
        Limits(),
        "header_lies",
    ),
    "header understates a too-long clip": (
        lambda c, d: _patch_mkv_duration(c.mkv, d / "lie.mkv", 500.0),
        Limits(max_seconds=1, duration_tolerance=0.5),
        "too_long",
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_file_rejected_with_code(clips, tmp_path, case):
    """Is each bad upload rejected with its stable code and a plain-English sentence?"""
    make, limits, code = BAD_FILES[case]
    with pytest.raises(MediaRejected) as caught:
        validate(make(clips, tmp_path), limits)
    assert caught.value.code == code
    assert caught.value.message.endswith(".") and "{" not in caught.value.message


def test_every_code_has_a_message():
    """Can every rejection be shown, i.e. does each code format with its parameters?"""
    params = {"size": "3 GB", "limit": "2 GB", "streams": 20, "duration": "21 min"}
    params |= {"width": 8000, "height": 6000, "max_side": 4096}
    for code, template in MESSAGES.items():
        assert MediaRejected(code, **params).message == template.format(**params)


@pytest.mark.parametrize(
    "head, code",
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", None),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", None),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", None),  # older QuickTime
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", None),  # Matroska / WebM
        (b"\xef\xbb\xbf#EXTM3U\n", "playlist"),
        (b"  \n#EXT-X-VERSION:3\n", "playlist"),
        (b'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">', "playlist"),
        (b"Good morning, here is my homework. " * 20, "not_video"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "not_video"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "not_video"),
        (b"GIF89a\x01\x00", "not_video"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "not_video"),
        (b"RIFF\x10\x00\x00\x00AVI LIST", "unsupported_format"),
        (b"FLV\x01\x05", "unsupported_format"),
        ((b"G" + b"\x00" * 187) * 3, "unsupported_format"),  # MPEG-TS
        (b"\x00\x01\x02\x03\x04\x05\x06\x07", "not_video"),
    ],
)
def test_sniff(head, code):
    """Does the first-bytes check let only MP4/MOV/Matroska through, naming what else it saw?"""
    assert sniff(head) == code


# -- ffmpeg never reads the files a playlist points to --------------------------------------------


def _opened_while(fifo: Path, action) -> bool:
    """Run `action`; report whether any process opened the FIFO `fifo` for reading meanwhile.

    Opening a FIFO for writing without blocking succeeds only while a reader has it open, so a
    watcher polling that open sees ffmpeg's open(2). Closing at once gives the reader EOF.
    """
    opened, stop = threading.Event(), threading.Event()

    def watch():
        while not stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.002)
                continue
            opened.set()
            os.close(fd)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        action()
    finally:
        stop.set()
        watcher.join()
    return opened.is_set()


PLAYLISTS = {
    "hls": ("secret.ts", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{name}\n#EXT-X-ENDLIST\n"),
    "ffconcat": ("secret.mp4", "ffconcat version 1.0\nfile '{name}'\n"),
}


@pytest.mark.parametrize("kind", PLAYLISTS)
def test_disguised_playlist_never_opens_its_target(tmp_path, kind):
    """Does probing a playlist named .mp4 open the file it lists? Plain ffprobe does; ours must not."""
    target_name, template = PLAYLISTS[kind]
    target = tmp_path / target_name
    os.mkfifo(target)
    upload = tmp_path / "upload.mp4"
    upload.write_text(template.format(name=target_name))

    # The control shows the detector works: a protocol whitelist alone does not stop the read.
    def plain_ffprobe():
        subprocess.run([FFPROBE, "-v", "quiet", "-protocol_whitelist", "file", str(upload)], timeout=20, check=False)

    assert _opened_while(target, plain_ffprobe)

    def our_probe():
        with pytest.raises(FFmpegError):
            probe(upload)  # straight to ffprobe, skipping validate's own look at the bytes

    assert not _opened_while(target, our_probe)

    def our_validate():
        with pytest.raises(MediaRejected) as caught:
            validate(upload)
        assert caught.value.code == "playlist"

    assert not _opened_while(target, our_validate)


def test_playlist_behind_a_fake_mp4_header(tmp_path):
    """Is a playlist that starts with an MP4 box (so it passes the first-bytes check) still harmless?"""
    target = tmp_path / "secret.ts"
    os.mkfifo(target)
    upload = tmp_path / "upload.mp4"
    upload.write_bytes(b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00" + b"#EXTM3U\n#EXTINF:2.0,\nsecret.ts\n")

    def our_validate():
        with pytest.raises(MediaRejected):
            validate(upload)

    assert not _opened_while(target, our_validate)
