"""Read what a media file says about itself (container, duration, streams) with ffprobe."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from lms.media.ffmpeg import FFmpegError, run_ffprobe

_ENTRIES = (
    "format=format_name,duration,size,nb_streams"
    ":stream=index,codec_type,codec_name,width,height,duration"
    ",pix_fmt,color_range,color_space,color_transfer,color_primaries,profile,level,avg_frame_rate"
    ":stream_disposition=attached_pic"
    ":stream_side_data=rotation"
)

#: Transfer characteristics of high-dynamic-range video (ffprobe's names): PQ and HLG.
HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})
_COLOUR_FIELDS = ("pix_fmt", "color_primaries", "color_transfer", "color_space", "color_range")


@dataclass(frozen=True)
class ProbeResult:
    """What the file's headers claim; nothing here has been checked by decoding."""

    #: ffprobe's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm".
    format_name: str
    #: Seconds: the longest of the container's and the audio/video streams' durations;
    #: None when the file does not say (a WebM recorded by a browser).
    duration: float | None
    #: Coded size of the main video stream (before rotation), None without video.
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    #: Video streams, not counting cover art (attached pictures).
    video_streams: int
    audio_streams: int
    #: All streams: video, audio, subtitles, data, attachments, cover art.
    streams: int
    #: Size of the file on disk.
    bytes: int
    #: Display rotation of the main video stream in degrees (phones film portrait this way).
    rotation: int = 0
    #: The main video stream's pixel format ("yuv420p10le") and colour description as ffprobe names
    #: them ("bt2020", "smpte2084", "bt2020nc", "tv"); None when the file does not say.
    pix_fmt: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    color_space: str | None = None
    color_range: str | None = None
    #: The main video stream's profile as ffprobe names it ("High", "Constrained Baseline"), its level
    #: (H.264: 10 × the level number, 41 for 4.1) and average frame rate; None when unknown.
    profile: str | None = None
    level: int | None = None
    frame_rate: float | None = None

    @property
    def has_audio(self) -> bool:
        return self.audio_streams > 0

    @property
    def is_hdr(self) -> bool:
        """High dynamic range: PQ (HDR10, HDR10+, Dolby Vision 8.1) or HLG (phones, Dolby Vision 8.4)."""
        return self.color_transfer in HDR_TRANSFERS

    @property
    def display_size(self) -> tuple[int, int] | None:
        """(width, height) as shown, i.e. swapped when the video is rotated by 90 or 270 degrees."""
        if self.width is None or self.height is None:
            return None
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


def probe(path: str | os.PathLike, *, timeout: float = 30, formats: str | None = None) -> ProbeResult:
    """Probe `path` through the demuxer whitelist (`formats`, default the video containers'; see
    lms.media.ffmpeg.input_args) and return what its headers claim.

    Expects a local file. Raises FFmpegError when ffprobe cannot open or parse it (also when its
    format is not a whitelisted container), FFmpegTimeout after `timeout` seconds.
    """
    extra = {"formats": formats} if formats else {}
    result = run_ffprobe(path, ["-show_entries", _ENTRIES, "-of", "json"], timeout=timeout, **extra)
    try:
        data = json.loads(result.stdout)
        fmt = data["format"]
        streams = data.get("streams", [])
    except (ValueError, KeyError, TypeError) as exc:
        raise FFmpegError(f"ffprobe gave no usable description: {exc}", stderr=result.stderr) from exc

    videos = [
        s for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]  # fmt: skip
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    video = videos[0] if videos else None
    audio = audios[0] if audios else None
    durations = [_float(fmt.get("duration"))] + [_float(s.get("duration")) for s in videos + audios]
    known = [d for d in durations if d is not None and d >= 0]
    return ProbeResult(
        format_name=fmt.get("format_name", ""),
        duration=max(known) if known else None,
        width=_int(video.get("width")) if video else None,
        height=_int(video.get("height")) if video else None,
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        video_streams=len(videos),
        audio_streams=len(audios),
        streams=len(streams),
        bytes=os.path.getsize(path),
        rotation=_rotation(video) if video else 0,
        **{name: _known(video.get(name)) if video else None for name in _COLOUR_FIELDS},
        profile=_known(video.get("profile")) if video else None,
        level=_int(video.get("level")) if video else None,
        frame_rate=_rate(video.get("avg_frame_rate")) if video else None,
    )


def _known(value) -> str | None:
    return None if value in (None, "", "unknown", "unspecified", "reserved") else str(value)


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _rate(value) -> float | None:
    """A rate such as "30000/1001" in frames per second; None for "0/0" or nonsense."""
    num, _, den = str(value or "").partition("/")
    try:
        rate = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return rate if rate > 0 else None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    return 0
