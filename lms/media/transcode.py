"""Turn a validated upload into what browsers play: an H.264/AAC MP4, a JPEG poster, HLS."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import ffmpeg as ffmpeg_python

from lms.media.ffmpeg import FFmpegError, file_url, run_ffmpeg, safe_input
from lms.media.probe import probe

#: Seconds between forced keyframes: quick seeking, and HLS segments cut where we ask.
KEYFRAME_SECONDS = 2


def transcode(
    src: str | os.PathLike,
    dst_mp4: str | os.PathLike,
    *,
    max_height: int = 720,
    crf: int = 23,
    preset: str = "veryfast",
    max_seconds: float | None = None,
    timeout: float | None = None,
    progress: Callable[[float], None] | None = None,
    duration: float | None = None,
    threads: int | None = None,
    audio_bitrate: str = "128k",
    memory_limit: int | None = None,
) -> None:
    """Encode `src` into a web MP4 at `dst_mp4`: H.264 High + AAC stereo, faststart, no metadata.

    Only the first video stream and the first audio stream (if any) are kept; subtitles, data
    tracks, chapters and metadata (titles, GPS, device names) are dropped. The picture is scaled
    down, never up, so its shorter side is at most `max_height` (720p: a portrait phone video
    becomes 720×1280), keeping the aspect ratio with even dimensions. `max_seconds` cuts the
    output. `progress` is called with a fraction 0..1 as encoding advances (1.0 at the end).
    `duration` (seconds) saves a probe when the caller knows it; `timeout` defaults to
    3 × duration + 60 s.

    Expects `src` to have passed `validate`. Writes to a temporary name beside `dst_mp4` and
    renames at the end, so `dst_mp4` is never a partial file. Raises FFmpegTimeout or FFmpegError.
    """
    dst = Path(dst_mp4)
    if duration is None:
        duration = probe(src).duration or max_seconds or 0
    total = min(duration, max_seconds) if max_seconds else duration
    if timeout is None:
        timeout = 3 * total + 60

    inp = safe_input(src)
    short_side = f"trunc(min({{side}},{max_height})/2)*2"
    video = inp["V:0"].filter(
        "scale",
        w=f"if(gte(iw,ih),-2,{short_side.format(side='iw')})",
        h=f"if(gte(iw,ih),{short_side.format(side='ih')},-2)",
    )
    options = {
        "c:v": "libx264",
        "profile:v": "high",
        "preset": preset,
        "crf": crf,
        "maxrate": "3M",
        "bufsize": "6M",
        "pix_fmt": "yuv420p",
        "fpsmax": 60,
        "force_key_frames": f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})",
        "c:a": "aac",
        "b:a": audio_bitrate,
        "ac": 2,
        "sn": None,
        "dn": None,
        "map_metadata": -1,
        "map_chapters": -1,
        "movflags": "+faststart",
        "f": "mp4",
    }
    if max_seconds:
        options["t"] = f"{max_seconds:.3f}"
    if threads:
        options["threads"] = threads
    part = dst.with_name(dst.name + ".part")
    spec = ffmpeg_python.output(video, inp["a:0?"], file_url(part), **options)

    def on_progress(block: dict[str, str]) -> None:
        if progress is None:
            return
        if block.get("progress") == "end":
            progress(1.0)
            return
        value = block.get("out_time_us", "")
        if total and value.isdigit():
            progress(min(1.0, int(value) / 1e6 / total))

    try:
        run_ffmpeg(spec, timeout=timeout, on_progress=on_progress, memory_limit=memory_limit)
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)


def poster(
    src: str | os.PathLike,
    dst_jpg: str | os.PathLike,
    at_seconds: float,
    *,
    width: int = 640,
    timeout: float = 60,
) -> None:
    """Write one frame of `src`, taken at `at_seconds`, as a JPEG at most `width` pixels wide.

    If the video is shorter than `at_seconds` the first frame is used. Raises FFmpegError when no
    frame could be decoded, FFmpegTimeout after `timeout` seconds.
    """
    dst = Path(dst_jpg)
    part = dst.with_name(dst.name + ".part")
    try:
        for at in (at_seconds, 0) if at_seconds > 0 else (0,):
            spec = ffmpeg_python.output(
                safe_input(src, ss=f"{at:.3f}")["V:0"],
                file_url(part),
                vf=f"scale=w='min(iw,{width})':h=-2",
                **{"frames:v": 1, "q:v": 4, "c:v": "mjpeg", "f": "image2", "update": 1},
            )
            run_ffmpeg(spec, timeout=timeout)
            if part.exists() and part.stat().st_size > 0:
                os.replace(part, dst)
                return
        raise FFmpegError(f"no frame could be decoded for a poster of {src}")
    finally:
        part.unlink(missing_ok=True)


def hls(
    src_mp4: str | os.PathLike,
    out_dir: str | os.PathLike,
    segment_seconds: int = 6,
    *,
    timeout: float = 300,
) -> Path:
    """Cut `src_mp4` (our own H.264/AAC output) into a VOD HLS playlist with MPEG-TS segments.

    Stream copy, no re-encoding: segments start at the keyframes `transcode` forces every
    KEYFRAME_SECONDS. Writes ``index.m3u8`` and ``seg_00000.ts``… into `out_dir` (created if
    needed; use a fresh directory, a failed run may leave segments behind) and returns the
    playlist's path. Raises FFmpegTimeout or FFmpegError.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inp = safe_input(src_mp4)
    playlist = out / "index.m3u8"
    spec = ffmpeg_python.output(
        inp["V:0"],
        inp["a:0?"],
        file_url(playlist),
        **{
            "c": "copy",
            "f": "hls",
            "hls_time": segment_seconds,
            "hls_playlist_type": "vod",
            "hls_flags": "independent_segments",
            "hls_segment_type": "mpegts",
            "hls_segment_filename": file_url(out / "seg_%05d.ts"),
        },
    )
    run_ffmpeg(spec, timeout=timeout)
    return playlist


@dataclass(frozen=True)
class Renditions:
    """What `make_renditions` wrote: file paths and the playable result's properties."""

    mp4: Path
    poster: Path
    hls_playlist: Path | None
    duration: float
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None


def make_renditions(
    src: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    duration: float | None,
    max_seconds: float | None = None,
    hls_min_seconds: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> Renditions:
    """Everything browsers need from a validated upload, written into `out_dir`: ``video.mp4``
    (transcode), ``poster.jpg`` and, when the result lasts at least `hls_min_seconds`, ``hls/``.

    `duration` is the validated length (saves a probe); `progress` as for `transcode`. The job
    that processes uploads and `flask media process` both call this. Raises FFmpegError/Timeout.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mp4 = out / "video.mp4"
    transcode(src, mp4, max_seconds=max_seconds, duration=duration, progress=progress)
    result = probe(mp4)
    length = result.duration or duration or 0
    poster_path = out / "poster.jpg"
    poster(mp4, poster_path, at_seconds=min(2.0, length / 3))
    playlist = None
    if hls_min_seconds is not None and length >= hls_min_seconds:
        playlist = hls(mp4, out / "hls")
    width, height = result.display_size or (result.width, result.height)
    return Renditions(mp4=mp4, poster=poster_path, hls_playlist=playlist, duration=length, width=width,
                      height=height, video_codec=result.video_codec, audio_codec=result.audio_codec)
