"""Live lessons' video as plain functions: the ffmpeg command that turns the teacher's browser stream
into short HLS segments, and the replay made from those segments by stream copy.

No Flask here; lms.live.ingest runs the command (through `ffmpeg.spawn`) and lms.live.replay the
replay. Every input goes through the whitelists of `lms.media.ffmpeg`.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterable

from lms.media.ffmpeg import (
    FFmpegError,
    check_inputs,
    ffmpeg_argv,
    ffprobe_bin,
    file_url,
    own_input_args,
    pipe_input_args,
    run,
    run_ffmpeg,
)
from lms.media.probe import probe
from lms.media.transcode import Renditions, hls, poster

#: The live playlist and its segments in a lesson's folder: index.m3u8, 0.ts, 1.ts, … (nginx-rtmp
#: names its fragments the same way with `hls_nested on`, so both ingests share one layout).
PLAYLIST = "index.m3u8"
SEGMENT = re.compile(r"^(\d{1,9})\.ts$")

#: Matroska codec ids of H.264 (copied as it is) and of what must be encoded (VP8, VP9, AV1).
_H264_CODEC_ID = b"V_MPEG4/ISO/AVC"
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
#: Where the MPEG-TS muxer's timestamps start (its default -muxdelay 0.7 s, doubled for the first DTS).
TS_START = 1.4


def starts_stream(piece: bytes) -> bool:
    """Whether a piece begins a new WebM stream (its EBML header): a recorder started afresh."""
    return piece[:4] == _EBML_MAGIC


def header_prefix(piece: bytes) -> bool:
    """Whether a piece is only the beginning of a WebM stream's EBML header, shorter than its 4-byte magic:
    Chromium's MediaRecorder, recording VP8, hands over the header's first byte alone as its first piece."""
    return 0 < len(piece) < len(_EBML_MAGIC) and _EBML_MAGIC.startswith(piece)


def sends_h264(header_piece: bytes) -> bool:
    """Whether the first piece of a WebM stream declares an H.264 video track (Chromium's
    ``video/webm;codecs=h264``), which can be copied instead of encoded."""
    return _H264_CODEC_ID in header_piece[:65536]


def live_hls_argv(
    out_dir: str | os.PathLike,
    *,
    encode: bool,
    start_number: int = 0,
    ts_offset: float = 0.0,
    segment_seconds: float = 1.0,
    list_size: int = 6,
    max_seconds: float = 6 * 3600,
    max_width: int = 1280,
    max_height: int = 720,
    video_bitrate: str = "2500k",
    threads: int | None = None,
) -> list[str]:
    """The full ffmpeg argv that reads a WebM stream on stdin and writes a live HLS playlist
    (`PLAYLIST`, the last `list_size` segments) and segments ``<n>.ts`` of about `segment_seconds`
    into `out_dir`. Segments are never deleted: together they are the lesson's recording.

    `encode`: H.264 by libx264 (``-tune zerolatency``, a keyframe at every segment boundary, the
    picture at most `max_width`×`max_height`, never enlarged); otherwise the video is copied as sent
    (segments then start at the sender's keyframes). Audio becomes AAC either way. A stream resumed
    after a drop continues with `start_number` and timestamps shifted by `ts_offset` seconds, so the
    joined segments play as one recording; its first segment is marked as a discontinuity.
    """
    out = Path(out_dir)
    args = pipe_input_args("-fflags", "+genpts+nobuffer", "-probesize", "131072", "-analyzeduration", "1000000")
    args += ["-map", "0:v:0", "-map", "0:a:0?", "-t", f"{max_seconds:.0f}", "-sn", "-dn", "-map_metadata", "-1"]
    if encode:
        scale = (f"scale=w='min(iw,{max_width})':h='min(ih,{max_height})':force_original_aspect_ratio=decrease"
                 f":force_divisible_by=2,format=yuv420p")
        args += ["-vf", scale, "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
                 "-profile:v", "high", "-b:v", video_bitrate, "-maxrate", video_bitrate, "-bufsize", video_bitrate,
                 "-force_key_frames", f"expr:gte(t,n_forced*{segment_seconds:g})", "-sc_threshold", "0"]
        if threads:
            args += ["-threads", str(threads)]
    else:
        args += ["-c:v", "copy"]
    args += [
        "-c:a", "aac", "-b:a", "96k", "-ac", "2", "-ar", "48000",
        "-output_ts_offset", f"{ts_offset:.3f}",
        "-f", "hls",
        "-hls_time", f"{segment_seconds:g}",
        "-hls_list_size", str(list_size),
        "-start_number", str(start_number),
        "-hls_flags", "independent_segments+discont_start+omit_endlist+temp_file",
        "-hls_segment_type", "mpegts",
        "-hls_segment_filename", file_url(out / "%d.ts"),
        file_url(out / PLAYLIST),
    ]  # fmt: skip
    return ffmpeg_argv(args)


def segments(folder: str | os.PathLike) -> list[Path]:
    """The segments in a lesson's folder, in order (by number, not by name: 10.ts after 9.ts)."""
    found = []
    for entry in os.scandir(folder):
        match = SEGMENT.match(entry.name)
        if match and entry.is_file():
            found.append((int(match.group(1)), Path(entry.path)))
    return [path for _, path in sorted(found)]


def next_segment(folder: str | os.PathLike) -> tuple[int, float]:
    """(number of the next segment, seconds recorded so far) for a stream that resumes in `folder`:
    the sum of the EXTINF durations is not kept across playlists, so the segments are measured."""
    existing = segments(folder) if Path(folder).is_dir() else []
    if not existing:
        return 0, 0.0
    last = int(SEGMENT.match(existing[-1].name).group(1))
    return last + 1, recorded_seconds(folder)


def recorded_seconds(folder: str | os.PathLike) -> float:
    """How many seconds the segments of `folder` hold: the end of the last one (its start plus its
    length) as ffprobe reads it, since a resumed stream's timestamps continue where the last ended."""
    existing = segments(folder)
    if not existing:
        return 0.0
    return _segment_end(existing[-1])


def _segment_end(path: Path) -> float:
    """The end time (start + duration, seconds from the recording's start) of one of our segments."""
    argv = [ffprobe_bin(), "-v", "error", "-show_entries", "format=start_time,duration", "-of", "json",
            *own_input_args(path)]
    check_inputs(argv)
    data = json.loads(run(argv, timeout=30).stdout or b"{}").get("format", {})
    start = float(data.get("start_time") or 0)
    length = float(data.get("duration") or 0)
    # The MPEG-TS muxer starts at 1.4 s (its default delay); the recording's clock starts at 0.
    return max(0.0, start - TS_START) + length


def join_segments(paths: Iterable[str | os.PathLike], dst_ts: str | os.PathLike) -> int:
    """Append MPEG-TS segments into one file (TS is made to be concatenated); return its size."""
    dst = Path(dst_ts)
    size = 0
    with open(dst, "wb") as out:
        for path in paths:
            with open(path, "rb") as part:
                while chunk := part.read(1 << 20):
                    out.write(chunk)
                    size += len(chunk)
    return size


def replay_renditions(recording_ts: str | os.PathLike, out_dir: str | os.PathLike, *,
                      timeout: float = 1800) -> Renditions:
    """What a replay plays, from a lesson's joined segments, by stream copy (minutes for an hour):
    ``video.mp4`` (faststart; timestamps made continuous across the host's reconnections),
    ``poster.jpg`` and ``hls/`` (VOD, 6 s segments cut at the live stream's keyframes).
    Raises FFmpegError when the recording holds no playable video."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mp4 = out / "video.mp4"
    part = out / "video.mp4.part"
    argv = [*own_input_args(recording_ts, "-fflags", "+genpts"),
            "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-map_metadata", "-1", "-dn", "-sn",
            "-movflags", "+faststart", "-f", "mp4", file_url(part)]
    try:
        run_ffmpeg(argv, timeout=timeout)
        os.replace(part, mp4)
    finally:
        part.unlink(missing_ok=True)
    result = probe(mp4)
    if not result.duration or not result.video_codec:
        raise FFmpegError("the recording holds no playable video")
    poster_path = out / "poster.jpg"
    poster(mp4, poster_path, at_seconds=min(2.0, result.duration / 3), matrix=result.color_space)
    playlist = hls(mp4, out / "hls", timeout=timeout)
    width, height = result.display_size or (result.width, result.height)
    return Renditions(mp4=mp4, poster=poster_path, hls_playlist=playlist, duration=result.duration,
                      width=width, height=height, video_codec=result.video_codec, audio_codec=result.audio_codec)
