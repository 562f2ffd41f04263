"""What to tell a person about a failed upload or processing run, in their language."""
from __future__ import annotations

from flask_babel import format_decimal, gettext as _, ngettext

from lms.core.i18n import join_sentences
from lms.core.images import rejection_message as image_rejection_message
from lms.uploads.models import Media


#: the size symbols, the same in every language (the uploader's formatBytes in static/js/uploads/helpers.js
#: writes sizes by the same rule, so a file reads alike before and after its upload)
SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_bytes(size: int | float, digits: int | None = None) -> str:
    """`size` bytes as people read it, in binary multiples with the number in the reader's language:
    "601 B", "850 KB", "1.5 GB" (one decimal below 100, none from 100 on; `digits` to choose)."""
    size, unit = float(size), 0
    while size >= 1024 and unit < len(SIZE_UNITS) - 1:
        size /= 1024
        unit += 1
    if digits is None:
        digits = 0 if unit == 0 or size >= 100 else 1
    number = format_decimal(round(size, digits), format="#,##0." + "#" * digits if digits else "#,##0")
    return _("%(size)s %(unit)s", size=number, unit=SIZE_UNITS[unit])


def sizes_apart(size: int | float, limit: int | float) -> tuple[str, str]:
    """`size` and `limit` written with just enough decimals to differ when they do (210,000,000 bytes
    against a limit of 200 MB: "200.27 MB", not "200 MB")."""
    for digits in (None, 1, 2, 3):
        texts = human_bytes(size, digits), human_bytes(limit, digits)
        if texts[0] != texts[1] or size == limit:
            return texts
    return texts


def too_large_message(size: int | float, limit: int | float, kind: str = "file", name: str | None = None) -> str:
    """The one refusal of a file over the size limit, for every upload (the uploader's tooLarge in
    static/js/uploads/helpers.js says the same before the first byte): the sizes apart, and advice that fits
    the file's kind ("video", "audio", "image", else any file)."""
    size_text, limit_text = sizes_apart(size, limit)
    if kind == "video":
        advice = _("Shorten or compress the video first.")
    elif kind == "audio":
        advice = _("Shorten or compress the recording first.")
    elif kind == "image":
        advice = _("Choose a smaller photo, or shrink it first.")
    else:
        advice = _("Choose a smaller file.")
    if name:
        return join_sentences(_("“%(name)s” is %(size)s, more than the limit of %(limit)s.", name=name,
                                size=size_text, limit=limit_text), advice)
    return join_sentences(_("The file is %(size)s, more than the limit of %(limit)s.", size=size_text,
                            limit=limit_text), advice)


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
        return too_large_message(p.get("size_bytes", 0), p.get("limit_bytes", 0), "video")
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
