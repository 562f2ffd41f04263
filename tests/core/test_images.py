"""lms.core.images.clean_image: every accepted format comes out as pixels alone, upright; anything that is
not a decodable image of a sane size is refused with a reason a person can act on."""
from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from lms.core.images import ImageRejected, clean_image
from tests.fixtures.images import (MODEL, assert_clean, assert_upright, bomb_png, phone_exif, phone_jpeg)


def _clean(data: bytes, **kwargs) -> tuple[bytes, object]:
    out = io.BytesIO()
    made = clean_image(io.BytesIO(data), out, **kwargs)
    return out.getvalue(), made


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_phone_jpeg_loses_gps_device_comment_xmp_and_profile_and_stands_upright(app):
    """Does a phone JPEG (GPS, make, model, orientation 6, comment, XMP, ICC) come out as a JPEG with
    none of it, turned upright (width and height swapped)?"""
    data, made = _clean(phone_jpeg())
    image = assert_clean(data)
    assert image.format == "JPEG" and made.mimetype == "image/jpeg"
    assert (made.width, made.height, made.frames, made.bytes) == (30, 60, 1, len(data))
    assert_upright(image)


def test_cleaning_twice_changes_nothing_that_matters(app):
    """Is a cleaned image cleaned again (a retried job) still clean, upright and the same size?"""
    once, _ = _clean(phone_jpeg())
    twice, _ = _clean(once)
    assert_upright(assert_clean(twice))


@pytest.mark.parametrize("fmt, options", [
    ("PNG", {}), ("WEBP", {"lossless": True}), ("WEBP", {"quality": 80}), ("GIF", {}),
])
def test_other_formats_keep_their_format_and_lose_their_metadata(app, fmt, options):
    """Do PNG (text chunks, eXIf), WebP (EXIF, XMP) and GIF (comment) keep their format and drop the rest?"""
    picture = Image.new("RGB", (60, 30), (255, 0, 0))
    picture.paste((0, 0, 255), (0, 0, 20, 30))
    extra = {"exif": phone_exif()} if fmt != "GIF" else {"comment": b"Taken at home"}
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "Taken at home")
        extra["pnginfo"] = text
    if fmt == "WEBP":
        extra["xmp"] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Pat\'s phone</x:xmpmeta>'
    source = _saved(picture, fmt, **options, **extra)
    assert MODEL.encode() in source or b"Taken at home" in source
    data, made = _clean(source)
    image = assert_clean(data)
    assert image.format == fmt and made.mimetype == f"image/{fmt.lower()}"
    if fmt == "GIF":
        assert image.size == (60, 30)  # GIF has no orientation tag
    else:
        assert_upright(image)
    if fmt == "WEBP":
        assert (data[12:16] == b"VP8L") == bool(options.get("lossless"))  # a lossless diagram stays sharp


def test_animated_gif_keeps_its_frames_and_timing_but_not_its_comment(app):
    """Is an animated GIF kept animated (frames, durations, loop) without its comment?"""
    frames = [Image.new("RGB", (20, 10), colour) for colour in ("red", "lime", "blue")]
    source = _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0,
                    comment=b"Taken at home")
    data, made = _clean(source)
    image = assert_clean(data)
    assert made.frames == image.n_frames == 3
    seen = []
    for index in range(3):
        image.seek(index)
        seen.append((image.info["duration"], image.convert("RGB").getpixel((5, 5))))
    assert seen == [(100, (255, 0, 0)), (200, (0, 255, 0)), (300, (0, 0, 255))]


def test_transparency_survives(app):
    """Does a transparent PNG stay transparent where it was?"""
    picture = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    picture.putpixel((1, 1), (255, 0, 0, 255))
    data, _ = _clean(_saved(picture, "PNG"))
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((1, 1)) == (255, 0, 0, 255)


def test_decompression_bomb_is_refused_before_decoding(app):
    """Is a 40 KB PNG that would decode to 900 million pixels refused with a clear message?"""
    source = bomb_png()
    assert len(source) < 200_000
    with pytest.raises(ImageRejected) as refused:
        _clean(source)
    assert refused.value.code == "image_too_many_pixels"
    assert str(refused.value) == ("The image has more than 52 megapixels, more than we accept. Save it at a "
                                  "smaller size and upload it again.")


def test_image_over_the_site_limit_is_refused_with_its_size(app):
    """Is an image over MAX_IMAGE_PIXELS (but under Pillow's own guard) refused with its size in the message?"""
    with pytest.raises(ImageRejected) as refused:
        _clean(bomb_png(3000, 2000), max_pixels=5_000_000)
    assert str(refused.value) == ("The image is 3000×2000 pixels, more than the 5 megapixels we accept. "
                                  "Save it at a smaller size and upload it again.")


def test_long_animation_is_refused_by_its_pixels_in_all(app):
    """Is an animation refused when its frames together pass the pixel limit, though each one is small?"""
    frames = [Image.new("L", (100, 100), shade) for shade in range(0, 250, 5)]
    source = _saved(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageRejected) as refused:
        _clean(source, max_pixels=100_000)
    assert refused.value.code == "image_animation_too_large"
    assert "The animation has 50 frames of 100×100 pixels" in str(refused.value)


def test_animation_of_many_tiny_frames_is_refused(app):
    """Is a GIF of 1,001 one-pixel frames (few pixels, but an object per frame) refused?"""
    frames = [Image.new("L", (1, 1), index % 2 * 255) for index in range(1001)]
    source = _saved(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageRejected) as refused:
        _clean(source)
    assert str(refused.value).startswith("The animation has 1001 frames of 1×1 pixels, more than we accept.")


@pytest.mark.parametrize("data, code", [
    (b"just some text, named photo.jpg", "image_not_image"),
    (b"%PDF-1.4 not a picture", "image_not_image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image_not_image"),
    (b"\xff\xd8\xff\xe0 a JPEG signature and nothing after it", "image_damaged"),
])
def test_what_does_not_decode_is_refused(app, data, code):
    """Are text, PDF, SVG and a file with a JPEG signature but no picture refused, each with its reason?"""
    with pytest.raises(ImageRejected) as refused:
        _clean(data)
    assert refused.value.code == code


def test_truncated_jpeg_is_refused_as_damaged(app):
    """Is a JPEG cut off half way (an interrupted upload) refused as damaged rather than stored grey?"""
    whole = _saved(Image.effect_noise((200, 200), 60).convert("RGB"), "JPEG")
    with pytest.raises(ImageRejected) as refused:
        _clean(whole[: len(whole) // 2])
    assert refused.value.code == "image_damaged"
    assert "damaged or incomplete" in str(refused.value)
