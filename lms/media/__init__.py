"""Video processing as plain functions over file paths: probe, validate, transcode, poster, HLS.

No Flask here. Every ffmpeg/ffprobe run goes through `lms.media.ffmpeg`, which adds the safety
flags and limits; the other modules only say what to compute.
"""
from lms.media.ffmpeg import FFmpegError, FFmpegNotFound, FFmpegTimeout
from lms.media.probe import ProbeResult, probe
from lms.media.transcode import (Renditions, Standard, hls, make_renditions, poster, standard_rendition,
                                 strip_metadata, transcode)
from lms.media.validate import Limits, MediaRejected, validate

__all__ = [
    "FFmpegError",
    "FFmpegNotFound",
    "FFmpegTimeout",
    "Limits",
    "MediaRejected",
    "ProbeResult",
    "Renditions",
    "Standard",
    "hls",
    "make_renditions",
    "poster",
    "probe",
    "standard_rendition",
    "strip_metadata",
    "transcode",
    "validate",
]
