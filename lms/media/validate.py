"""Decide whether an uploaded file is a video we accept, before any transcoding.

The checks run cheapest first: size, our own look at the first bytes (text, playlists and
images are refused before ffprobe ever opens them), ffprobe through the container whitelist,
stream counts, duration and dimensions from the headers, and last a full decode that proves the
file is complete and as long as its headers claim. The processing job skips that last pass
(``decode=False``) and lets the transcode's own decode be judged the same way (`judge_decoded`).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from lms.media.ffmpeg import FFmpegError, FFmpegTimeout, input_args, run_ffmpeg
from lms.media.probe import ProbeResult, probe

#: English default for each rejection code. The web layer shows its own translation, chosen by
#: code and formatted with `MediaRejected.params`.
MESSAGES: dict[str, str] = {
    "empty": "The file is empty. Please choose the video again and upload it once more.",
    "too_large": "The file is {size}, more than the {limit} allowed. "
    "Please trim the video or record it at a lower quality, then upload it again.",
    "not_video": "This file is not a video. Please upload a video from your phone or camera "
    "(MP4, MOV or WebM).",
    "playlist": "This file is a playlist or a list of other files, not a video. "
    "Please upload the video file itself (MP4, MOV or WebM).",
    "unsupported_format": "This video format is not supported. "
    "Please convert it to MP4 (or record it again with your phone's camera app) and upload it again.",
    "corrupt": "The video is damaged and cannot be played. "
    "Please export or record it again and upload the new file.",
    "truncated": "The video file is incomplete: it stops before the video ends. The upload or the "
    "recording was probably interrupted. Please upload the complete file again.",
    "no_video_stream": "The file has no picture (it may be sound only). Please upload a video.",
    "too_many_streams": "The file has too many tracks ({streams}; at most {limit} are accepted). "
    "Please export it again as an ordinary video with one picture and one sound track.",
    "too_long": "The video is {duration} long; the limit is {limit}. "
    "Please trim it and upload it again.",
    "too_large_dimensions": "The picture is {width}×{height} pixels, larger than we accept "
    "(at most {max_side} pixels on its longer side). Please export it at 4K or lower and upload it again.",
    "header_lies": "The video's length information does not match its content. "
    "Please export it again with your video app and upload the new file.",
}

#: First bytes of images people rename to .mp4 (HEIF/AVIF are caught by their ftyp brand).
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"\x00\x00\x01\x00",  # ICO
    b"8BPS",  # Photoshop
    b"%PDF",
)
#: Video containers we recognise but do not accept (the demuxer whitelist would refuse them).
_OTHER_VIDEO_MAGIC = (
    b"FLV\x01",
    b"\x00\x00\x01\xba",  # MPEG program stream
    b"\x00\x00\x01\xb3",  # MPEG video elementary stream
    b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",  # ASF / WMV
    b"OggS",
)
#: Top-level ISO-BMFF boxes a real MP4/MOV/3GP file can start with.
_BMFF_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}
#: ftyp major brands of still images and image sequences.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"jpeg"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_SNIFF_BYTES = 4096


class MediaRejected(Exception):
    """The file is not acceptable. `code` is a stable machine string (a key of MESSAGES),
    `message` an English sentence for logs and untranslated callers, `params` the numbers in it."""

    def __init__(self, code: str, message: str | None = None, **params):
        self.code = code
        self.params = params
        self.message = message or MESSAGES[code].format(**_humanized(params))
        super().__init__(f"{code}: {self.message}")


@dataclass(frozen=True)
class Limits:
    """What an upload may be. Times in seconds, sizes in bytes and pixels."""

    max_bytes: int = 2 * 1024**3
    max_seconds: float = 20 * 60
    #: Longest side and total pixels of the picture: 4K (also portrait, also DCI 4096 wide).
    max_side: int = 4096
    max_pixels: int = 4096 * 2160
    #: Phones add data tracks (timed metadata, depth); keep room for them but not for thousands.
    max_streams: int = 16
    max_video_streams: int = 2
    probe_timeout: float = 30
    #: Wall-clock limit of the full decode; None means 60 s + 2 × the duration.
    decode_timeout: float | None = None
    #: Decoded and claimed durations may differ by this many seconds, or 5 %, whichever is more.
    duration_tolerance: float = 1.0


def validate(path: str | os.PathLike, limits: Limits = Limits(), *, decode: bool = True) -> ProbeResult:
    """Check the file at `path` against `limits`; return its probe (duration as decoded if unknown).

    Without `decode`, everything but the full decode is checked: the caller then decodes the file
    anyway (the transcode, with ``check=limits``) and judges it there, which saves a whole pass.

    Raises MediaRejected with a code (see MESSAGES) when the file is not acceptable; this is
    final, retrying gives the same answer. Raises FFmpegTimeout when probing or decoding takes
    longer than allowed, FFmpegError when ffmpeg itself fails (crash, memory limit) — both may be
    worth a retry.
    """
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRejected("empty")
    if size > limits.max_bytes:
        raise MediaRejected("too_large", size_bytes=size, limit_bytes=limits.max_bytes)
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    code = sniff(head)
    if code:
        raise MediaRejected(code)

    info = _probe(path, limits)
    _check_streams(info, limits)
    return _check_decode(path, info, limits) if decode else info


def sniff(head: bytes) -> str | None:
    """A rejection code for the first bytes of a file, or None if they look like MP4/MOV/WebM/MKV.

    Only an ISO-BMFF box or an EBML header passes: playlists (HLS, ffconcat, DASH), text,
    images and other containers are named so the user learns what they uploaded.
    """
    if not head:
        return "empty"
    if head[4:8] in _BMFF_FIRST_BOXES:
        if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
            return "not_video"
        return None
    if head.startswith(_EBML_MAGIC):
        return None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"#ext", b"ffconcat", b"[playlist]")) or b"<mpd" in text[:512]:
        return "playlist"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "not_video"
    is_mpeg_ts = head[:1] == head[188:189] == head[376:377] == b"G"  # sync bytes of 188-byte packets
    if head[:4] == b"RIFF" or head.startswith(_OTHER_VIDEO_MAGIC) or is_mpeg_ts:
        return "unsupported_format"  # AVI/WAV, FLV, MPEG, WMV, Ogg, MPEG-TS
    return "not_video"


def _probe(path, limits: Limits) -> ProbeResult:
    try:
        return probe(path, timeout=limits.probe_timeout)
    except FFmpegTimeout:
        raise
    except FFmpegError as exc:
        if _not_the_files_fault(exc):
            raise
        if "moov atom not found" in exc.stderr:
            raise MediaRejected("truncated") from exc
        if "not on whitelist" in exc.stderr:
            raise MediaRejected("unsupported_format") from exc
        raise MediaRejected("corrupt") from exc


def _check_streams(info: ProbeResult, limits: Limits) -> None:
    if info.video_streams == 0:
        raise MediaRejected("no_video_stream")
    if info.streams > limits.max_streams:
        raise MediaRejected("too_many_streams", streams=info.streams, limit=limits.max_streams)
    if info.video_streams > limits.max_video_streams:
        raise MediaRejected("too_many_streams", streams=info.video_streams, limit=limits.max_video_streams)
    if not info.video_codec or not info.width or not info.height:
        raise MediaRejected("unsupported_format")
    if info.duration is not None and info.duration > limits.max_seconds:
        raise MediaRejected("too_long", seconds=info.duration, limit_seconds=limits.max_seconds)
    if max(info.width, info.height) > limits.max_side or info.width * info.height > limits.max_pixels:
        raise MediaRejected("too_large_dimensions", width=info.width, height=info.height, max_side=limits.max_side)


def _check_decode(path, info: ProbeResult, limits: Limits) -> ProbeResult:
    """Decode the streams we use to the end; compare what came out with what the headers claim."""
    claimed = info.duration
    cap = decode_cap(limits)
    timeout = limits.decode_timeout or 60 + 2 * min(claimed if claimed is not None else cap, cap)
    argv = [
        "-xerror",  # stop at the first damaged packet instead of concealing it
        *input_args(path),
        "-map", "0:V:0", "-map", "0:a:0?", "-sn", "-dn",
        "-t", f"{cap:.3f}",
        "-f", "null", "-",
    ]  # fmt: skip
    decoded = 0.0

    def on_progress(block: dict[str, str]) -> None:
        nonlocal decoded
        value = block.get("out_time_us", "")
        if value.lstrip("-").isdigit():
            decoded = max(decoded, int(value) / 1e6)

    try:
        result = run_ffmpeg(argv, timeout=timeout, on_progress=on_progress)
    except FFmpegTimeout:
        raise
    except FFmpegError as exc:
        if _not_the_files_fault(exc):
            raise
        if claimed and decoded < claimed - _tolerance(claimed, limits):
            raise MediaRejected("truncated") from exc
        raise MediaRejected("corrupt") from exc
    return judge_decoded(info, decoded, result.stderr, limits)


def decode_cap(limits: Limits) -> float:
    """Seconds to decode at most: a little past the limit, so a file whose header understates its
    length is caught."""
    return limits.max_seconds + limits.duration_tolerance + 1


def judge_decoded(info: ProbeResult, decoded: float, stderr: str, limits: Limits) -> ProbeResult:
    """Compare what a decode to the end (or to `decode_cap`) gave — `decoded` seconds, with
    `stderr` the errors ffmpeg printed — with what the headers claim; return `info` with the
    decoded duration when the header gave none. Raises MediaRejected (corrupt, too_long,
    truncated, header_lies)."""
    claimed = info.duration
    if decoded <= 0:
        raise MediaRejected("corrupt")
    if decoded > limits.max_seconds + limits.duration_tolerance:
        raise MediaRejected("too_long", seconds=decoded, limit_seconds=limits.max_seconds)
    if claimed is None:
        return dataclasses.replace(info, duration=decoded)
    tolerance = _tolerance(claimed, limits)
    if decoded < claimed - tolerance:
        # Shorter than claimed: with a read error it was cut off, without one the header lies.
        raise MediaRejected("truncated" if stderr.strip() else "header_lies")
    if decoded > claimed + tolerance:
        raise MediaRejected("header_lies")
    return info


def _not_the_files_fault(exc: FFmpegError) -> bool:
    """Killed by a signal or out of memory: the machine's verdict, not the file's; worth a retry."""
    killed = exc.returncode is not None and exc.returncode < 0
    return killed or "Cannot allocate memory" in exc.stderr


def _humanized(params: dict) -> dict:
    """`params` plus the English renderings MESSAGES uses (sizes and times stay numbers in params)."""
    out = dict(params)
    if "size_bytes" in params:
        out["size"] = _human_bytes(params["size_bytes"])
    if "limit_bytes" in params:
        out["limit"] = _human_bytes(params["limit_bytes"])
    if "seconds" in params:
        out["duration"] = _human_seconds(params["seconds"])
    if "limit_seconds" in params:
        out["limit"] = _human_seconds(params["limit_seconds"])
    return out


def _tolerance(seconds: float, limits: Limits) -> float:
    return max(limits.duration_tolerance, 0.05 * seconds)


def _human_seconds(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _human_bytes(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
