"""The fast path: a phone's video that browsers already play is copied into the web MP4, not encoded.

Most uploads are H.264 from a phone or camera: 8-bit 4:2:0 SDR, AAC sound, in MP4/MOV. Encoding
them again costs seconds of CPU per second of video and gains nothing a browser needs. Their web
video is made instead by stream copy (remux): the first picture and sound streams, bit for bit,
without metadata (GPS position, device make and model, titles), chapters, data or subtitle tracks,
with the index first (faststart) and the phone's rotation kept as the display matrix browsers honour.

The copy also finishes the validation the transcode's decode would have done, where it can without
decoding: how far the packets reach is judged as `validate` judges a decode (truncated, header_lies,
too_long), and a file the demuxer reports errors in is decoded in full to learn why. A video heavier
than the standard rendition (`heavier_than_standard`) is ready at once and gets the standard one later
(lms.uploads.tasks).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

from lms.media.ffmpeg import FFmpegError, FFmpegTimeout, file_url, input_args, run_ffmpeg
from lms.media.probe import ProbeResult
from lms.media.validate import Limits, decode_cap, judge_decoded, validate

log = logging.getLogger(__name__)

#: H.264 profiles every browser decodes (ffprobe's names).
PLAYABLE_PROFILES = frozenset({"Baseline", "Constrained Baseline", "Main", "High"})
#: Highest H.264 level (× 10) phones' and browsers' decoders all take: 5.1 (4K at 30 frames a second).
PLAYABLE_MAX_LEVEL = 51
#: The transcode caps the frame rate at this too.
PLAYABLE_MAX_FPS = 60.5
#: The standard rendition: its shorter side at most this (720p) and its bit rate about this at most
#: (the transcode's maxrate is 3 Mbit/s; sound and container add the rest).
STANDARD_HEIGHT = 720
STANDARD_BITRATE = 3_500_000


def unplayable_reason(info: ProbeResult) -> str | None:
    """Why the upload described by `info` must be encoded for browsers, or None when a stream copy of
    its first picture and sound streams plays everywhere (what the headers say; the copy checks the
    rest: the frame size staying the same, the packets reaching the end)."""
    if not info.format_name.startswith("mov"):
        return f"container {info.format_name}"
    if info.video_codec != "h264":
        return f"video codec {info.video_codec}"
    if info.profile not in PLAYABLE_PROFILES:
        return f"H.264 profile {info.profile}"
    if not info.level or info.level <= 0 or info.level > PLAYABLE_MAX_LEVEL:
        return f"H.264 level {info.level}"
    if info.pix_fmt != "yuv420p":  # 10-bit, 4:2:2, 4:4:4, full range (yuvj420p)
        return f"pixel format {info.pix_fmt}"
    if info.color_range == "pc":
        return "full range"
    colours = (info.color_primaries, info.color_transfer, info.color_space)
    if any(value not in (None, "bt709") for value in colours):  # PQ, HLG, BT.2020, BT.601 …
        return "colours {}/{}/{}".format(*colours)
    if info.has_audio and info.audio_codec != "aac":
        return f"audio codec {info.audio_codec}"
    if info.rotation % 90:
        return f"rotation {info.rotation}"
    if info.frame_rate is not None and info.frame_rate > PLAYABLE_MAX_FPS:
        return f"{info.frame_rate:g} frames a second"
    if not info.width or not info.height or info.width % 2 or info.height % 2:
        return f"frame size {info.width}×{info.height}"
    return None


def heavier_than_standard(result: ProbeResult, max_height: int = STANDARD_HEIGHT,
                          max_bitrate: int = STANDARD_BITRATE) -> bool:
    """Whether the web video `result` (a remux's probe) is heavier than the standard rendition a phone
    on a mobile network should get: taller than `max_height` (its shorter side), or above `max_bitrate`."""
    width, height = result.display_size or (0, 0)
    if min(width, height) > max_height:
        return True
    return bool(result.duration) and result.bytes * 8 / result.duration > max_bitrate


class NotRemuxable(Exception):
    """The copy was made but is not fit to serve (the frame size changes inside the stream): encode."""


def remux(
    src: str | os.PathLike,
    dst_mp4: str | os.PathLike,
    *,
    info: ProbeResult,
    check: Limits | None = None,
    max_seconds: float | None = None,
    timeout: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> ProbeResult:
    """Copy the first video and audio streams of `src` (for which `unplayable_reason(info)` is None)
    into a web MP4 at `dst_mp4`: no metadata, chapters, data or subtitles; faststart; the rotation
    kept as the display matrix.

    With `check` (the upload's Limits; `info` is then ``validate(src, check, decode=False)``), this run
    is the validation's pass over the file: how far the packets reach is judged by `judge_decoded`
    (truncated, header_lies, too_long raise MediaRejected), and when the demuxer reports an error
    (a cut or damaged file) the file is decoded in full, as `validate` does, to name the fault (a
    file that passes that decode is whole, and so is its copy). The copy is cut at
    `decode_cap(check)` (else `max_seconds`). `progress` gets fractions 0..1 (1.0 at the end).

    Raises NotRemuxable when the frame size changes inside the stream (SPS of another size), so
    the caller encodes the file instead. Writes a temporary name beside `dst_mp4` and renames at
    the end. Returns `info`, with the reached duration when the header gave none. Raises
    FFmpegTimeout, FFmpegError.
    """
    dst = Path(dst_mp4)
    cut = decode_cap(check) if check is not None else max_seconds
    claimed = info.duration or cut or 0
    if timeout is None:
        timeout = 60 + (min(claimed, cut) if cut else claimed) / 4
    part = dst.with_name(dst.name + ".part")
    sps = dst.with_name(dst.name + ".sps")
    limit = ["-t", f"{cut:.3f}"] if cut else []
    argv = [
        *input_args(src),
        "-map", "0:V:0", "-map", "0:a:0?", "-c", "copy", "-sn", "-dn",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-movflags", "+faststart", *limit, "-f", "mp4", file_url(part),
        # The same read also keeps the stream's own sequence parameter sets (each names a frame size).
        "-map", "0:V:0", "-c", "copy", "-bsf:v", "filter_units=pass_types=7", *limit, "-f", "h264", file_url(sps),
    ]  # fmt: skip
    reached = 0.0

    def on_progress(block: dict[str, str]) -> None:
        nonlocal reached
        value = block.get("out_time_us", "")
        if value.isdigit():
            reached = max(reached, int(value) / 1e6)
        if progress is not None and block.get("progress") != "end" and claimed and value.isdigit():
            progress(min(0.99, int(value) / 1e6 / claimed))

    try:
        try:
            result = run_ffmpeg(argv, timeout=timeout, on_progress=on_progress)
        except FFmpegTimeout:
            raise
        except FFmpegError:
            if check is not None:
                validate(src, check)  # the file's fault: raises MediaRejected with its reason
            raise
        if check is not None:
            if result.stderr.strip():
                # The demuxer met a cut or damaged part and stopped or skipped: the copy may not hold
                # the whole video. A full decode names the fault as validate does; a file that decodes
                # to the end without an error is whole (the complaint was about something else), and
                # so is its copy.
                log.info("remux of %s reported errors, decoding it: %s", src, result.stderr.strip()[-300:])
                info = validate(src, check)
            else:
                info = judge_decoded(info, reached, result.stderr, check)
        sizes = sps_frame_sizes(sps.read_bytes()) if sps.exists() else []
        if any(size != (info.width, info.height) for size in sizes):
            raise NotRemuxable(f"the frame size changes inside the stream: {sorted(set(sizes))}")
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
        sps.unlink(missing_ok=True)
    if progress is not None:
        progress(1.0)
    return info


# -- H.264 sequence parameter sets ----------------------------------------------------------------

_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


def sps_frame_sizes(annexb: bytes) -> list[tuple[int, int]]:
    """The (width, height) after cropping that each H.264 SPS in the Annex B stream `annexb` declares.
    An SPS that cannot be read counts as (0, 0): a size nobody has."""
    sizes = []
    for nal in annexb.split(b"\x00\x00\x01"):
        nal = nal.rstrip(b"\x00")
        if not nal or nal[0] & 0x1F != 7:
            continue
        try:
            sizes.append(_sps_size(_unescape(nal[1:])))
        except (IndexError, ValueError):
            sizes.append((0, 0))
    return sizes


def _unescape(rbsp: bytes) -> bytes:
    return rbsp.replace(b"\x00\x00\x03", b"\x00\x00")


class _Bits:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


def _sps_size(rbsp: bytes) -> tuple[int, int]:
    """H.264 spec 7.3.2.1.1, as far as the frame size."""
    bits = _Bits(rbsp)
    profile_idc = bits.u(8)
    bits.u(16)  # constraint flags, level_idc
    bits.ue()  # seq_parameter_set_id
    chroma_format_idc = 1
    separate_planes = 0
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = bits.ue()
        if chroma_format_idc == 3:
            separate_planes = bits.u(1)
        bits.ue()  # bit_depth_luma_minus8
        bits.ue()  # bit_depth_chroma_minus8
        bits.u(1)  # qpprime_y_zero_transform_bypass_flag
        if bits.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format_idc != 3 else 12):
                if bits.u(1):
                    last = following = 8
                    for _ in range(16 if i < 6 else 64):
                        if following:
                            following = (last + bits.se() + 256) % 256
                        last = following or last
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = bits.ue() + 1
    height_units = bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field_flag
    bits.u(1)  # direct_8x8_inference_flag
    width, height = width_mbs * 16, (2 - frame_mbs_only) * height_units * 16
    if bits.u(1):  # frame_cropping_flag
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        array_type = 0 if separate_planes else chroma_format_idc
        sub_width, sub_height = {1: (2, 2), 2: (2, 1), 3: (1, 1)}.get(array_type, (1, 1))
        unit_x = 1 if array_type == 0 else sub_width
        unit_y = (2 - frame_mbs_only) * (1 if array_type == 0 else sub_height)
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    return width, height
