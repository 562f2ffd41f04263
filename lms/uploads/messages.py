"""What to tell a person about a failed upload or processing run, in their language."""
from __future__ import annotations

from flask_babel import format_decimal, gettext as _, ngettext

from lms.core.images import rejection_message as image_rejection_message
from lms.uploads.models import Media


def human_bytes(size: int | float) -> str:
    """`size` bytes as people read it: "850 KB", "1.5 GB"."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            break
        size /= 1024
    if unit == "bytes":
        return ngettext("%(num)d byte", "%(num)d bytes", int(size))
    return _("%(size)s %(unit)s", size=format_decimal(round(size, 1)), unit=unit)


def human_seconds(seconds: int | float) -> str:
    """A length of video in words with units: "45 seconds", "20 minutes", "3 minutes 30 seconds",
    "1 hour 30 minutes"; never "20:00", which reads as a time of day (players keep m:ss for a
    moment in a video). static/js/uploads/helpers.js formatLength writes the same."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    if hours:
        text = ngettext("%(num)d hour", "%(num)d hours", hours)
        if minutes:
            text = _("%(hours)s %(minutes)s", hours=text, minutes=ngettext("%(num)d minute", "%(num)d minutes", minutes))
        return text
    if not minutes:
        return ngettext("%(num)d second", "%(num)d seconds", rest)
    text = ngettext("%(num)d minute", "%(num)d minutes", minutes)
    if rest:
        text = _("%(minutes)s %(seconds)s", minutes=text, seconds=ngettext("%(num)d second", "%(num)d seconds", rest))
    return text


def rejection_message(code: str, params: dict | None = None) -> str:
    """The sentence for a rejection code of `lms.media.validate` (or one of ours): what went wrong
    and what to do next."""
    if code.startswith("image_"):
        return image_rejection_message(code, params)
    p = params or {}
    if code == "empty":
        return _("The file is empty. Choose the video again and upload it once more.")
    if code == "too_large":
        return _("The file is %(size)s, more than the %(limit)s allowed. Trim the video or record it at a "
                 "lower quality, then upload it again.",
                 size=human_bytes(p.get("size_bytes", 0)), limit=human_bytes(p.get("limit_bytes", 0)))
    if code == "not_video":
        return _("This file is not a video. Upload a video from your phone or camera (MP4, MOV or WebM).")
    if code == "playlist":
        return _("This file is a playlist or a list of other files, not a video. Upload the video file itself "
                 "(MP4, MOV or WebM).")
    if code == "unsupported_format":
        return _("This video format is not supported. Convert it to MP4 (or record it again with your phone's "
                 "camera app) and upload it again.")
    if code == "corrupt":
        return _("The video is damaged and cannot be played. Export or record it again and upload the new file.")
    if code == "truncated":
        return _("The file is incomplete: it stops before the video ends, probably because the upload or the "
                 "recording was interrupted. Upload the complete file again.")
    if code == "no_video_stream":
        return _("The file has no picture (it may be sound only). Upload a video.")
    if code == "too_many_streams":
        return _("The file has too many tracks (%(streams)d; at most %(limit)d are accepted). Export it again as an "
                 "ordinary video with one picture and one sound track.",
                 streams=p.get("streams", 0), limit=p.get("limit", 0))
    if code == "too_long":
        return _("The video is %(duration)s long, longer than the %(limit)s limit. Trim it and upload it again.",
                 duration=human_seconds(p.get("seconds", 0)), limit=human_seconds(p.get("limit_seconds", 0)))
    if code == "too_large_dimensions":
        return _("The picture is %(width)d×%(height)d pixels, larger than we accept (at most %(max_side)d pixels on "
                 "its longer side). Export it at 4K or lower and upload it again.",
                 width=p.get("width", 0), height=p.get("height", 0), max_side=p.get("max_side", 0))
    if code == "header_lies":
        return _("The video's length information does not match its content. Export it again with your video app "
                 "and upload the new file.")
    if code == "upload_expired":
        return _("The upload was not finished in time and has been deleted. Choose the file and upload it again.")
    return _("We could not process this video, even after several tries. Your original file is kept; try "
             "uploading it again later, or ask your teacher if it keeps happening.")


def error_message(media: Media) -> str | None:
    """Why `media` failed, in the reader's language; None unless it failed."""
    if not media.is_failed:
        return None
    return rejection_message(media.error_code or "processing_failed", media.error_params)
