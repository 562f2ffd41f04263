"""`flask media clean-images`: images stored before uploads were cleaned (avatars, covers, attachments)
are re-encoded in place; what does not clean is taken away; other files are left alone."""
from __future__ import annotations

import io

from lms.extensions import db
from lms.storage import get_storage, new_key
from lms.uploads.models import Media, MediaKind, MediaState
from tests.fixtures.images import assert_clean, assert_upright, bomb_png, phone_jpeg


def _stored(data: bytes) -> str:
    key = new_key("old")
    get_storage().put(key, io.BytesIO(data))
    return key


def _read(key: str) -> bytes:
    with get_storage().open(key) as f:
        return f.read()


def _attachment(owner, data: bytes, filename: str) -> Media:
    media = Media(owner_id=owner.id, kind=MediaKind.file, state=MediaState.ready, filename=filename,
                  bytes=len(data), original_key=_stored(data))
    db.session.add(media)
    return media


def test_old_avatars_covers_and_attachments_are_cleaned_in_place(app, klass):
    """Are an avatar, a cover and a photo attachment stored raw before this change cleaned and upright,
    a bomb attachment failed with its reason, a broken avatar removed, and a PDF left byte for byte?"""
    klass.student.avatar_key = _stored(phone_jpeg())
    klass.classmate.avatar_key = broken = _stored(b"\xff\xd8\xff\xe0 broken")
    klass.circle.cover_key = _stored(phone_jpeg())
    photo = _attachment(klass.student, phone_jpeg(), "IMG_2041.JPG")
    bomb = _attachment(klass.student, bomb_png(), "huge.png")
    pdf = _attachment(klass.student, b"%PDF-1.4 essay", "essay.pdf")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["media", "clean-images", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("3 images cleaned, 2 taken away, 0 missing from storage")
    assert f"avatar of user {klass.classmate.id}: image_damaged, taken away" in result.output

    db.session.expire_all()
    assert_upright(assert_clean(_read(klass.student.avatar_key)))
    assert_upright(assert_clean(_read(klass.circle.cover_key)))
    cleaned = _read(photo.original_key)
    assert_upright(assert_clean(cleaned))
    assert (photo.bytes, photo.width, photo.height) == (len(cleaned), 30, 60)
    assert klass.classmate.avatar_key is None and not get_storage().exists(broken)
    assert bomb.state == MediaState.failed and bomb.error_code == "image_too_many_pixels"
    assert pdf.state == MediaState.ready and _read(pdf.original_key) == b"%PDF-1.4 essay"
