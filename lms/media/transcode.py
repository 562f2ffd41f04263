"""Turn a validated upload into what browsers play: an H.264/AAC MP4, a JPEG poster, HLS."""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import ffmpeg as ffmpeg_python

from lms.media import remux as remuxing
from lms.media.ffmpeg import FFmpegError, FFmpegTimeout, file_url, has_filters, input_args, run_ffmpeg, safe_input
from lms.media.probe import ProbeResult, probe
from lms.media.validate import Limits, decode_cap, judge_decoded, validate

log = logging.getLogger(__name__)

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
    info: ProbeResult | None = None,
    check: Limits | None = None,
    niceness: int | None = None,
) -> ProbeResult:
    """Encode `src` into a web MP4 at `dst_mp4`: H.264 High + AAC stereo, faststart, no metadata.

    Only the first video stream and the first audio stream (if any) are kept; subtitles, data
    tracks, chapters and metadata (titles, GPS position, device make and model) are dropped.

    The picture: turned upright (the phone's rotation), scaled down, never up, so its shorter side
    is at most `max_height` (720p: a portrait phone video becomes 720×1280) with even dimensions,
    in 8-bit 4:2:0 BT.709 as every browser shows it. The frame size is fixed from the first frame;
    a stream whose size changes later (a browser recording of a phone that turned) has each part
    fitted into it with its own aspect ratio, black bars filling the rest. HDR (PQ, HLG) is
    tone-mapped to SDR; 10-bit, 4:2:2/4:4:4, full-range and wide-gamut (BT.2020) input is converted.
    The output is tagged BT.709, limited range.

    `max_seconds` cuts the output. `progress` is called with a fraction 0..1 as encoding advances
    (1.0 at the end). `niceness` overrides FFMPEG_NICE (a background job runs nicer). `info` (the
    source's probe) or `duration` (seconds) saves a probe when the caller knows it; `timeout`
    defaults to 3 × duration + 60 s.

    With `check` (the upload's Limits), this run is also the validation's full decode: decoding
    stops at the first damaged packet, and what was decoded is judged as `validate` judges it
    (truncated, corrupt, header_lies, too_long raise MediaRejected). `src` must then have passed
    ``validate(src, check, decode=False)``, whose result is `info`. When ffmpeg fails, a separate
    decode of the file tells a broken file (MediaRejected) from a failure of ours (FFmpegError).
    The decode then runs to `decode_cap` rather than `max_seconds`, so an accepted video may run
    past `max_seconds` by up to the limit's `duration_tolerance`, as validation allows.

    Expects `src` to have passed `validate`. Writes to a temporary name beside `dst_mp4` and
    renames at the end, so `dst_mp4` is never a partial file. Returns the source's probe (with the
    decoded duration when `check` was given). Raises FFmpegTimeout or FFmpegError.
    """
    dst = Path(dst_mp4)
    if info is None:
        info = probe(src)
    if duration is None:
        duration = info.duration or max_seconds or 0
    cut = max_seconds
    if check is not None:
        # Decode a little past the limit, so a file whose header understates its length is caught.
        cut = decode_cap(check)
        # A browser recording states no length: read its packets (no decoding) for the progress bar.
        duration = duration or _demuxed_seconds(src, cut) or cut
    total = min(duration, max_seconds) if max_seconds else duration
    if timeout is None:
        timeout = 3 * (min(duration, cut) if cut else duration) + 60

    inp = safe_input(src, xerror=None) if check is not None else safe_input(src)
    width, height = output_size(info.display_size or (info.width, info.height), max_height)
    video = inp["V:0"]
    for name, options in video_filters(info, width, height):
        video = video.filter(name, **options)
    options = {
        "c:v": "libx264",
        "profile:v": "high",
        "preset": preset,
        "crf": crf,
        "maxrate": "3M",
        "bufsize": "6M",
        "pix_fmt": "yuv420p",
        **BT709_TAGS,
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
    if cut:
        options["t"] = f"{cut:.3f}"
    if threads:
        options["threads"] = threads
    part = dst.with_name(dst.name + ".part")
    spec = ffmpeg_python.output(video, inp["a:0?"], file_url(part), **options)
    decoded = 0.0

    def on_progress(block: dict[str, str]) -> None:
        nonlocal decoded
        value = block.get("out_time_us", "")
        if value.isdigit():
            decoded = max(decoded, int(value) / 1e6)
        if progress is None:
            return
        if block.get("progress") == "end":
            progress(1.0)
            return
        if total and value.isdigit():
            progress(min(1.0, int(value) / 1e6 / total))

    try:
        try:
            result = run_ffmpeg(spec, timeout=timeout, on_progress=on_progress, memory_limit=memory_limit,
                                niceness=niceness)
        except FFmpegTimeout:
            raise
        except FFmpegError:
            if check is not None:
                validate(src, check)  # the file's fault: raises MediaRejected with its reason
            raise
        if check is not None:
            info = judge_decoded(info, decoded, result.stderr, check)
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
    return info


def _demuxed_seconds(src: str | os.PathLike, cap: float) -> float | None:
    """How far the first video stream's packets reach, read without decoding (a stream copy to
    nothing, at most `cap` seconds); None when that fails. An estimate for progress only."""
    reached = 0.0

    def on_progress(block: dict[str, str]) -> None:
        nonlocal reached
        value = block.get("out_time_us", "")
        if value.isdigit():
            reached = max(reached, int(value) / 1e6)

    argv = [*input_args(src), "-map", "0:V:0", "-c", "copy", "-t", f"{cap:.3f}", "-f", "null", "-"]
    try:
        run_ffmpeg(argv, timeout=60 + cap / 20, on_progress=on_progress)
    except FFmpegError:
        return None
    return reached or None


#: Output options that tag a video as SDR BT.709, limited range: what browsers assume and show.
BT709_TAGS = {"color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709", "color_range": "tv"}

#: How ffprobe names an SD matrix → the colorspace filter's name for its colour system (without zscale).
_COLORSPACE_SYSTEMS = {"smpte170m": "smpte170m", "bt470bg": "bt470bg", "fcc": "bt470m"}
#: ffprobe's names zscale understands as they are.
_ZSCALE_PRIMARIES = {"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "film", "bt2020", "smpte428",
                     "smpte431", "smpte432", "jedec-p22"}
_ZSCALE_TRANSFERS = {"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "linear", "bt2020-10", "bt2020-12",
                     "smpte2084", "iec61966-2-1", "arib-std-b67"}
_ZSCALE_MATRICES = {"bt709", "fcc", "bt470bg", "smpte170m", "bt2020nc", "bt2020c"}
#: Pixel formats that hold RGB (ffmpeg's names), not YUV.
_RGB_FORMATS = re.compile(r"(?:[0x]?(?:rgb|bgr)|gbr|argb|abgr|rgba|bgra|x2rgb|x2bgr)")
#: Nominal peak of SDR white in nits, for tone mapping (the SDR reference of BT.2408 and the usual
#: choice for phone HDR).
_SDR_PEAK_NITS = 100


def output_size(display: tuple[int | None, int | None], max_height: int) -> tuple[int, int]:
    """The frame size of the web video for a picture shown at `display` (width, height): its shorter
    side at most `max_height`, never enlarged, both sides even, the aspect ratio kept."""
    width, height = display
    if not width or not height:
        raise FFmpegError("the video's picture size is unknown")
    short = min(width, height)
    target = max(2, min(short, max_height) // 2 * 2)
    long = max(2, round(max(width, height) * target / short / 2) * 2)
    return (long, target) if width >= height else (target, long)


def video_filters(info: ProbeResult, width: int, height: int) -> list[tuple[str, dict]]:
    """The filter chain (name, options) that makes the picture browser-ready at `width`×`height`.

    Sizes are constants, not expressions of the input: ffmpeg rebuilds the chain when the size of
    the decoded frames changes mid-stream, and a fixed output keeps the encoder's frame size.
    """
    fit = {"w": width, "h": height, "force_original_aspect_ratio": "decrease", "force_divisible_by": 2}
    wide_gamut = info.color_primaries == "bt2020"
    if info.is_hdr or wide_gamut:
        chain = [("scale", fit)]  # scale first, in the source's format: the float steps then see fewer pixels
        if has_filters("zscale", "tonemap"):
            chain += _zscale_to_bt709(info)
        else:
            chain += _colorspace_to_bt709(info)
    else:
        # An untagged picture is taken as BT.709, as browsers show it, and kept as it is. An SD matrix
        # (BT.601 and kin) is converted, or its colours would shift under the BT.709 tag (swscale
        # does not convert between YUV matrices, zscale does).
        rgb = info.color_space == "gbr" or _RGB_FORMATS.match(info.pix_fmt or "")
        # RGB (screen recordings, PNG or QuickTime Animation) becomes YUV with the BT.709 matrix;
        # swscale's default would be BT.601.
        chain = [("scale", {**fit, "out_range": "tv", **({"out_color_matrix": "bt709"} if rgb else {})})]
        if info.color_space in _ZSCALE_MATRICES and info.color_space != "bt709":
            if has_filters("zscale"):
                chain.append(("zscale", {"min": info.color_space, "m": "bt709", "rin": "limited", "r": "limited"}))
            else:
                chain.append(("colorspace", {"all": "bt709", "iall": _COLORSPACE_SYSTEMS.get(info.color_space,
                                                                                              "smpte170m")}))
        chain.append(("format", {"pix_fmts": "yuv420p"}))
    pad = {"w": width, "h": height, "x": "(ow-iw)/2", "y": "(oh-ih)/2", "color": "black"}
    return [*chain, ("pad", pad), ("setsar", {"r": 1})]


def _zscale_to_bt709(info: ProbeResult) -> list[tuple[str, dict]]:
    """libzimg: linear light, BT.709 primaries, tone-mapped (HDR only), then BT.709 8-bit 4:2:0."""
    source = {
        "tin": info.color_transfer if info.color_transfer in _ZSCALE_TRANSFERS else "bt2020-10",
        "pin": info.color_primaries if info.color_primaries in _ZSCALE_PRIMARIES else "bt2020",
        "min": info.color_space if info.color_space in _ZSCALE_MATRICES else "bt2020nc",
        "rin": "full" if info.color_range == "pc" or (info.pix_fmt or "").startswith("yuvj") else "limited",
    }
    out = {"t": "bt709", "p": "bt709", "m": "bt709", "r": "limited"}
    if not info.is_hdr:  # BT.2020 SDR: only the gamut and matrix change
        return [("zscale", {**source, **out}), ("format", {"pix_fmts": "yuv420p"})]
    return [
        ("zscale", {**source, "t": "linear", "npl": _SDR_PEAK_NITS}),
        ("format", {"pix_fmts": "gbrpf32le"}),
        ("zscale", {"p": "bt709"}),
        # Möbius keeps what SDR can show as it is (the picture stays as bright and colourful as the
        # phone showed it) and rolls off only the highlights above it.
        ("tonemap", {"tonemap": "mobius", "desat": 0}),
        ("zscale", out),
        ("format", {"pix_fmts": "yuv420p"}),
    ]


def _colorspace_to_bt709(info: ProbeResult) -> list[tuple[str, dict]]:
    """Without libzimg: the colorspace filter converts BT.2020 to BT.709 (gamut, matrix, 8 bits). It
    has no PQ/HLG curve, so HDR is read as 10-bit BT.2020 SDR: colours right, highlights flatter."""
    log.warning("ffmpeg has no zscale filter (libzimg): HDR video is converted without tone mapping")
    trc = info.color_transfer if info.color_transfer in ("bt709", "bt2020-10", "bt2020-12") else "bt2020-10"
    space = "bt2020ncl" if info.color_space != "bt709" else "bt709"
    return [
        ("format", {"pix_fmts": "yuv420p10le"}),
        ("colorspace", {"all": "bt709", "iprimaries": "bt2020", "itrc": trc, "ispace": space,
                        "irange": "pc" if info.color_range == "pc" else "tv", "range": "tv",
                        "format": "yuv420p"}),
    ]


def poster(
    src: str | os.PathLike,
    dst_jpg: str | os.PathLike,
    at_seconds: float,
    *,
    width: int = 640,
    timeout: float = 60,
    matrix: str | None = None,
) -> None:
    """Write one frame of `src`, taken at `at_seconds`, as a JPEG at most `width` pixels wide.

    `matrix` is the video's YUV matrix as ffprobe names it ("bt709" for our web videos), when known:
    a JPEG's is BT.601, so another one is converted (with zscale), or the poster's colours would
    shift from the video's. If the video is shorter than `at_seconds` the first frame is used.
    Raises FFmpegError when no frame could be decoded, FFmpegTimeout after `timeout` seconds.
    """
    dst = Path(dst_jpg)
    part = dst.with_name(dst.name + ".part")
    filters = f"scale=w='min(iw,{width})':h=-2"
    if matrix in _ZSCALE_MATRICES and matrix not in ("smpte170m", "bt470bg") and has_filters("zscale"):
        filters += f",zscale=min={matrix}:m=bt470bg:rin=limited:r=full,format=yuvj420p"
    try:
        for at in (at_seconds, 0) if at_seconds > 0 else (0,):
            spec = ffmpeg_python.output(
                safe_input(src, ss=f"{at:.3f}")["V:0"],
                file_url(part),
                vf=filters,
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
            "map_metadata": -1,
            "map_chapters": -1,
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


def strip_metadata(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    info: ProbeResult | None = None,
    timeout: float = 600,
) -> str:
    """Write to `dst` a copy of the video `src` without what the camera wrote about where and with what
    it was filmed: the same audio and video streams, bit for bit (stream copy), in the same kind of
    container, without global or stream metadata (GPS position ``©xyz``/``location``, QuickTime keys
    such as make, model and software, titles, dates), chapters, data tracks (timed GPS), subtitles,
    attachments or cover art. The display rotation is kept (it is not metadata but the stream's
    display matrix). When a stream cannot be copied into any muxer of the family, only the first
    video and audio streams are. Returns the container written: "mp4", "mov", "webm" or "matroska".

    For what others download instead of the original. Raises FFmpegError when ffmpeg cannot remux
    the file (not a container we accept, damaged), FFmpegTimeout after `timeout` seconds.
    """
    if info is None:
        info = probe(src, timeout=min(timeout, 30))
    bmff = info.format_name.startswith("mov")
    last: FFmpegError | None = None
    dst = Path(dst)
    part = dst.with_name(dst.name + ".part")
    # Every picture and sound stream, else (a codec no muxer here knows, such as a newer phone's
    # spatial audio) the two the web video is made from; in the first muxer of the family that takes
    # them (mp4 refuses PCM, webm refuses H.264).
    for video, audio in (("V", "a?"), ("V:0", "a:0?")):
        for container in ("mp4", "mov") if bmff else ("webm", "matroska"):
            inp = safe_input(src)
            spec = ffmpeg_python.output(
                inp[video], inp[audio], file_url(part),
                **{"c": "copy", "map_metadata": -1, "map_chapters": -1, "dn": None, "sn": None, "f": container},
            )
            try:
                run_ffmpeg(spec, timeout=timeout)
                os.replace(part, dst)
                return container
            except FFmpegTimeout:
                raise
            except FFmpegError as error:
                last = error
            finally:
                part.unlink(missing_ok=True)
    raise last


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
    #: ``video.mp4`` is a stream copy of the upload (the fast path), not an encode.
    remuxed: bool = False
    #: ``video.mp4`` is heavier than the standard rendition (a remux above 720p or ~3.5 Mbit/s): the
    #: caller should have `standard_rendition` made from it later and put in its place.
    heavier_than_standard: bool = False


def make_renditions(
    src: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    duration: float | None,
    max_seconds: float | None = None,
    hls_min_seconds: float | None = None,
    progress: Callable[[float], None] | None = None,
    info: ProbeResult | None = None,
    limits: Limits | None = None,
    fast: bool = True,
) -> Renditions:
    """Everything browsers need from a validated upload, written into `out_dir`: ``video.mp4``,
    ``poster.jpg`` and, when the result lasts at least `hls_min_seconds`, ``hls/``.

    ``video.mp4`` is a stream copy of the upload when browsers play it as it is (`fast`, and
    lms.media.remux.unplayable_reason finds nothing: H.264 8-bit 4:2:0 SDR and AAC in MP4/MOV), else
    its transcode. A copy heavier than the standard rendition says so (`heavier_than_standard`).

    `duration` is the validated length (saves a probe); `progress` as for `transcode`. With
    `limits`, `src` has passed ``validate(src, limits, decode=False)`` (whose result is `info`)
    and the copy's or the transcode's own pass finishes the validation: MediaRejected as `validate`
    raises it. The job that processes uploads and `flask media process` both call this. Raises
    FFmpegError/Timeout.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mp4 = out / "video.mp4"
    remuxed = False
    if fast:
        known = info if info is not None else probe(src)
        reason = remuxing.unplayable_reason(known)
        if reason is None:
            try:
                remuxing.remux(src, mp4, info=known, check=limits, max_seconds=max_seconds, progress=progress)
                remuxed = True
            except remuxing.NotRemuxable as why:
                log.info("%s is encoded after all: %s", src, why)
        else:
            log.info("%s is encoded for browsers: %s", src, reason)
    if not remuxed:
        transcode(src, mp4, max_seconds=max_seconds, duration=duration, progress=progress, info=info, check=limits)
    result = probe(mp4)
    length = result.duration or duration or 0
    poster_path = out / "poster.jpg"
    poster(mp4, poster_path, at_seconds=min(2.0, length / 3), matrix=result.color_space)
    playlist = None
    if hls_min_seconds is not None and length >= hls_min_seconds:
        playlist = hls(mp4, out / "hls")
    width, height = result.display_size or (result.width, result.height)
    return Renditions(mp4=mp4, poster=poster_path, hls_playlist=playlist, duration=length, width=width,
                      height=height, video_codec=result.video_codec, audio_codec=result.audio_codec,
                      remuxed=remuxed, heavier_than_standard=remuxed and remuxing.heavier_than_standard(result))


@dataclass(frozen=True)
class Standard:
    """What `standard_rendition` wrote."""

    mp4: Path
    hls_playlist: Path | None
    duration: float
    width: int | None
    height: int | None


def standard_rendition(
    src_mp4: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    with_hls: bool = False,
    progress: Callable[[float], None] | None = None,
    niceness: int | None = None,
) -> Standard:
    """The standard 720p web video (and its HLS with `with_hls`) made from `src_mp4`, a heavier web
    MP4 we wrote (a remux): ``video.mp4`` and ``hls/`` in `out_dir`. It replaces the remux for every
    viewer later (lms.uploads.tasks.make_standard_rendition). Raises FFmpegError/Timeout."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mp4 = out / "video.mp4"
    transcode(src_mp4, mp4, progress=progress, niceness=niceness)
    result = probe(mp4)
    playlist = hls(mp4, out / "hls") if with_hls else None
    width, height = result.display_size or (result.width, result.height)
    return Standard(mp4=mp4, hls_playlist=playlist, duration=result.duration or 0, width=width, height=height)
