"""Uploaded images (avatars, covers, image attachments): accepted by their content, never by name or
header, and re-encoded from their pixels alone so nothing the camera wrote travels with them."""
from __future__ import annotations

import io
import os
import struct
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from flask import Response, current_app
from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from lms.storage import get_storage, new_key

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)

#: The decoders Pillow may use on an upload (its other plugins are never tried). A phone's JPEG with
#: a depth map or a second picture opens as MPO through the JPEG plugin.
_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
_SAVE_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WEBP"}
_MIMETYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}

#: EXIF Orientation (0x0112) → the transpose that makes the picture upright (as ImageOps.exif_transpose).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
#: Frames of an animation: each becomes an image object in memory, however few pixels it has.
MAX_FRAMES = 1000
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def sniff_image(head: bytes) -> str | None:
    """The image type the first bytes prove, or None. SVG is never accepted (it can carry script)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class ImageRejected(ValueError):
    """The upload is not an image we accept. `code` and `params` name the reason (kept on a failed
    media item); `message` (and str()) says it in the current language, with what to do next."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return rejection_message(self.code, self.params)

    def __str__(self) -> str:
        try:
            return self.message
        except (KeyError, RuntimeError):  # no app to translate with (a log line outside a request)
            return self.code


def rejection_message(code: str, params: dict | None = None) -> str:
    """The sentence for an ImageRejected code (codes start with "image_")."""
    from flask_babel import gettext as _

    p = params or {}
    if code == "image_empty":
        return _("The file is empty.")
    if code == "image_too_large":
        return _("The image is larger than %(mb)d MB. Choose a smaller one.", mb=p.get("mb", 0))
    if code == "image_too_many_pixels" and not p.get("width"):
        return _("The image has more than %(limit)d megapixels, more than we accept. Save it at a smaller "
                 "size and upload it again.", limit=p.get("megapixels", 0))
    if code == "image_too_many_pixels":
        return _("The image is %(width)d×%(height)d pixels, more than the %(limit)d megapixels we accept. "
                 "Save it at a smaller size and upload it again.",
                 width=p.get("width", 0), height=p.get("height", 0), limit=p.get("megapixels", 0))
    if code == "image_animation_too_large":
        return _("The animation has %(frames)d frames of %(width)d×%(height)d pixels, more than we accept. "
                 "Make it shorter or smaller and upload it again.",
                 frames=p.get("frames", 0), width=p.get("width", 0), height=p.get("height", 0))
    if code == "image_damaged":
        return _("This image is damaged or incomplete and cannot be opened. Save it again (or take a "
                 "screenshot of it) and upload the new file.")
    return _("This file is not a PNG, JPEG, GIF or WebP image.")


@dataclass(frozen=True)
class CleanImage:
    """What `clean_image` wrote: its content type, upright size in pixels, frame count and bytes."""

    mimetype: str
    width: int
    height: int
    frames: int
    bytes: int


def clean_image(src: str | os.PathLike | BinaryIO, dst: BinaryIO, *, max_pixels: int | None = None) -> CleanImage:
    """Decode the image in `src` and write to `dst` a new file of the same format made from its pixels
    only, upright. Raises ImageRejected (not an image we accept, damaged, too many pixels).

    - Refused before decoding: more than `max_pixels` (default MAX_IMAGE_PIXELS) in one frame, or in
      all frames of an animation together, or more than MAX_FRAMES frames: a small file can hold a
      picture that needs gigabytes once decoded (a "decompression bomb"). Memory stays within a few
      bytes per allowed pixel (the decoded picture and its upright copy).
    - The EXIF orientation is applied to the pixels (ImageOps.exif_transpose; every frame of an
      animation), since the tag that told viewers to rotate it is dropped with the rest.
    - Dropped: EXIF (GPS position, camera make and model, dates, serial numbers), its embedded
      thumbnail (which may show the picture before it was cropped), XMP, IPTC, JPEG and GIF comments,
      PNG text chunks, the extra pictures of an MPO (depth maps, previews), DPI. An ICC colour profile
      is applied (the pixels are converted to sRGB, which browsers assume) and then dropped too: a
      camera's profile can name the device, and sRGB needs no profile.
    - Kept: the format (MPO becomes plain JPEG at quality 90, PNG optimized, WebP lossless when the
      source was, GIF), transparency, and the frames, durations and loop count of an animated GIF,
      PNG or WebP (students hand in animations; they are re-encoded frame by frame like stills).
    """
    limit = max_pixels or current_app.config["MAX_IMAGE_PIXELS"]
    try:
        with Image.open(src, formats=_FORMATS) as img:
            return _clean(img, dst, limit)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        # Pillow's own guard (MAX_IMAGE_PIXELS, process-wide) fires above ours; say it the same way.
        raise ImageRejected("image_too_many_pixels", megapixels=limit // 1_000_000) from bomb
    except UnidentifiedImageError as error:
        raise ImageRejected("image_not_image") from error
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, ImageCms.PyCMSError,
            struct.error, IndexError, KeyError, TypeError, ZeroDivisionError) as error:
        # what Pillow's parsers raise on malformed headers, EXIF included
        raise ImageRejected("image_damaged") from error


def _clean(img: Image.Image, dst: BinaryIO, limit: int) -> CleanImage:
    fmt = _SAVE_AS[img.format]
    width, height = img.size
    frames = getattr(img, "n_frames", 1) if fmt != "JPEG" else 1
    if width * height > limit:
        raise ImageRejected("image_too_many_pixels", width=width, height=height, megapixels=limit // 1_000_000)
    if frames * width * height > limit or frames > MAX_FRAMES:
        raise ImageRejected("image_animation_too_large", frames=frames, width=width, height=height,
                            megapixels=limit // 1_000_000)
    icc = img.info.get("icc_profile")
    transparency = img.info.get("transparency")
    lossless = fmt == "WEBP" and _webp_is_lossless(img)
    start = dst.tell()
    if frames == 1:
        img.load()
        out = _to_srgb(ImageOps.exif_transpose(img), icc)
        out.info = {}
        _save(out, dst, fmt, transparency=transparency if out.mode in ("P", "L", "RGB") else None,
              lossless=lossless)
        size = out.size
    else:
        method = _ORIENTATION.get(img.getexif().get(0x0112))
        pictures, durations = [], []
        for frame in ImageSequence.Iterator(img):
            picture = frame.convert("RGBA")  # frames are composited whole; no palette or disposal tricks
            durations.append(frame.info.get("duration") or 100)  # known once the frame is loaded (WebP)
            picture = _to_srgb(picture.transpose(method) if method else picture, icc)
            picture.info = {}
            pictures.append(picture)
        extra = {"loop": img.info.get("loop", 0), "duration": durations}
        if fmt == "GIF":
            extra["disposal"] = 2
        _save(pictures[0], dst, fmt, lossless=lossless, save_all=True, append_images=pictures[1:], **extra)
        size = pictures[0].size
    return CleanImage(mimetype=_MIMETYPES[fmt], width=size[0], height=size[1], frames=frames,
                      bytes=dst.tell() - start)


def _save(image: Image.Image, dst: BinaryIO, fmt: str, *, transparency=None, lossless: bool = False, **extra) -> None:
    """Write with explicit options only: nothing from the source's `info` reaches the encoder."""
    if transparency is not None:
        extra["transparency"] = transparency
    if fmt == "JPEG":
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(dst, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        image.save(dst, "PNG", optimize=True, **extra)
    elif fmt == "WEBP":
        image.save(dst, "WEBP", **({"lossless": True} if lossless else {"quality": 90}), **extra)
    else:
        image.save(dst, "GIF", optimize=True, **extra)


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The picture's colours in sRGB: converted through its ICC profile when it has one (a phone's
    Display P3 photo keeps its look once the profile is gone); CMYK always becomes RGB."""
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, _SRGB,
                                             outputMode="RGBA" if image.mode == "RGBA" else "RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: keep the pixels as they are, without it
    return image.convert("RGB") if image.mode == "CMYK" else image


def _webp_is_lossless(img: Image.Image) -> bool:
    """Whether a WebP holds lossless (VP8L) pictures: re-encoding those lossily would blur a diagram."""
    fp = img.fp
    if fp is None:
        return False
    here = fp.tell()
    try:
        fp.seek(0)
        head = fp.read(4096)
    finally:
        fp.seek(here)
    return head[12:16] == b"VP8L" or (head[12:16] == b"VP8X" and b"VP8L" in head and b"VP8 " not in head)


def store_image(stream: BinaryIO, prefix: str) -> str:
    """Check, clean (`clean_image`) and store an uploaded image; return its new storage key. Only the
    cleaned file is ever stored. Raises ImageRejected."""
    key = new_key(prefix)
    store_image_at(stream, key)
    return key


def store_image_at(stream: BinaryIO, key: str) -> CleanImage:
    """As `store_image`, under the storage key `key` (ours, never the user's); return what was stored."""
    limit = current_app.config["MAX_IMAGE_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        raise ImageRejected("image_empty")
    if len(data) > limit:
        raise ImageRejected("image_too_large", mb=limit // 1024**2)
    if sniff_image(data[:16]) is None:
        raise ImageRejected("image_not_image")
    cleaned = io.BytesIO()
    made = clean_image(io.BytesIO(data), cleaned)
    cleaned.seek(0)
    get_storage().put(key, cleaned, made.mimetype)
    return made


def clean_stored_image(key: str, work_dir: str | os.PathLike | None = None) -> CleanImage | None:
    """Replace the stored object `key` with its cleaned copy (`clean_image`) when its first bytes are a
    PNG, JPEG, GIF or WebP image; return what was written, or None (left as it is) for anything else.
    Temporary files go into `work_dir` (default MEDIA_WORK_DIR; a job passes its own folder).
    Running it again on a cleaned image changes nothing that matters. Raises ImageRejected when the
    image does not clean (the object is left as it is), FileNotFoundError when there is none."""
    storage = get_storage()
    if sniff_image(b"".join(storage.iter_range(key, 0, 15))) is None:
        return None
    work_dir = work_dir or current_app.config.get("MEDIA_WORK_DIR")
    with storage.local_path(key, dir=work_dir) as src, \
            tempfile.NamedTemporaryFile(prefix="lms-image-", dir=work_dir) as out:
        cleaned = clean_image(src, out)
        out.flush()
        storage.put_file(key, out.name, cleaned.mimetype)
    return cleaned


def image_response(key: str) -> Response:
    """Serve a stored image with the type its bytes prove; never sniffed as HTML by the browser."""
    storage = get_storage()
    with storage.open(key) as f:
        data = f.read()
    kind = sniff_image(data[:16]) or "application/octet-stream"
    response = Response(data, mimetype=kind)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
