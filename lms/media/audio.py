"""Sound files as plain functions over paths: recognise, validate and transcode a sound-only upload (a
circle file's preview) into AAC in MP4, which every browser plays. The same safety as videos: only the
demuxers of AUDIO_INPUT_FORMATS, `file:` inputs, limits on size, streams and length, and a full decode
(the transcode's own) that must yield sound."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable

from lms.media.ffmpeg import AUDIO_INPUT_FORMATS, FFmpegError, FFmpegTimeout, file_url, input_args, run_ffmpeg
from lms.media.probe import ProbeResult, probe
from lms.media.validate import Limits, MediaRejected, decode_cap

#: First bytes of the sound formats accepted besides MP4/Matroska (whose sound-only files pass the
#: video sniff and are told apart by their streams).
_OGG, _FLAC, _ID3 = b"OggS", b"fLaC", b"ID3"


def sniff_audio(head: bytes) -> bool:
    """Whether `head` starts an MP3, Ogg, FLAC, WAV or M4A file."""
    if head.startswith((_OGG, _FLAC, _ID3)):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return True
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"M4B "):
        return True
    return len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and bool(head[1] & 0x06)  # MPEG frame


def validate_audio(path: str | os.PathLike, limits: Limits = Limits()) -> ProbeResult:
    """Check a sound-only file at `path` against `limits` (size, streams, length from its headers); the
    transcode's decode finishes the check. Raises MediaRejected, FFmpegTimeout, FFmpegError."""
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRejected("empty")
    if size > limits.max_bytes:
        raise MediaRejected("too_large", size_bytes=size, limit_bytes=limits.max_bytes)
    try:
        info = probe(path, timeout=limits.probe_timeout, formats=AUDIO_INPUT_FORMATS)
    except FFmpegTimeout:
        raise
    except FFmpegError:
        raise MediaRejected("unsupported_format") from None
    if info.audio_streams == 0 or not info.audio_codec:
        raise MediaRejected("unsupported_format")
    if info.streams > limits.max_streams:
        raise MediaRejected("too_many_streams", streams=info.streams, limit=limits.max_streams)
    if info.duration is not None and info.duration > limits.max_seconds:
        raise MediaRejected("too_long", seconds=info.duration, limit_seconds=limits.max_seconds)
    return info


def transcode_audio(src: str | os.PathLike, dst: str | os.PathLike, *, limits: Limits, info: ProbeResult,
                    progress: Callable[[float], None] | None = None, bitrate: str = "128k") -> ProbeResult:
    """Encode the first sound stream of `src` (validated by `validate_audio`, whose result is `info`) into
    AAC stereo in an MP4 at `dst` (faststart, no metadata, no picture), decoding at most `decode_cap`.
    What was decoded is judged: nothing is `corrupt`, more than the limit `too_long`. Returns `info`
    with the decoded length. Raises MediaRejected, FFmpegTimeout, FFmpegError."""
    cap = decode_cap(limits)
    claimed = info.duration or cap
    total = min(claimed, cap)
    dst = Path(dst)
    part = dst.with_name(dst.name + ".part")
    argv = [
        *input_args(src, formats=AUDIO_INPUT_FORMATS),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-c:a", "aac", "-b:a", bitrate, "-ac", "2",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-t", f"{cap:.3f}", "-movflags", "+faststart", "-f", "mp4", file_url(part),
    ]  # fmt: skip
    decoded = 0.0

    def on_progress(block: dict[str, str]) -> None:
        nonlocal decoded
        value = block.get("out_time_us", "")
        if value.isdigit():
            decoded = max(decoded, int(value) / 1e6)
        if progress is not None:
            if block.get("progress") == "end":
                progress(1.0)
            elif total and value.isdigit():
                progress(min(1.0, int(value) / 1e6 / total))

    try:
        try:
            run_ffmpeg(argv, timeout=60 + 2 * total, on_progress=on_progress)
        except FFmpegTimeout:
            raise
        except FFmpegError:
            raise MediaRejected("corrupt") from None
        if decoded <= 0:
            raise MediaRejected("corrupt")
        if decoded > limits.max_seconds + limits.duration_tolerance:
            raise MediaRejected("too_long", seconds=decoded, limit_seconds=limits.max_seconds)
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
    return dataclasses.replace(info, duration=decoded)
