"""Avatars from a phone: what classmates (and the person) get back is the picture alone, upright, with no
GPS position, device or any other metadata; images that cannot be cleaned are refused with the reason."""
from __future__ import annotations

import io

import pytest

from lms.extensions import db
from lms.storage import get_storage
from tests.fixtures.app import page_text
from tests.fixtures.images import assert_clean, assert_upright, bomb_png, phone_jpeg


def _save_avatar(client, user, data: bytes, filename: str):
    return client.post("/profile", data={"name": user.name, "locale": "", "timezone": "",
                                         "avatar": (io.BytesIO(data), filename)})


def test_phone_avatar_reaches_classmates_and_its_owner_without_gps_or_device(klass, client_as):
    """Does a classmate (and the student) download a phone-photo avatar with no EXIF, GPS, make or model,
    turned upright, and is nothing else stored?"""
    student = klass.student
    assert _save_avatar(client_as(student), student, phone_jpeg(), "IMG_2041.JPG").status_code == 302
    db.session.refresh(student)
    with get_storage().open(student.avatar_key) as stored:
        assert_clean(stored.read())
    for viewer in (klass.classmate, student, klass.teacher):
        served = client_as(viewer).get(f"/users/{student.id}/avatar")
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        image = assert_clean(served.data)
        assert image.format == "JPEG"
        assert_upright(image)


@pytest.mark.parametrize("data, filename, message", [
    (bomb_png(), "me.png", "The image has more than 52 megapixels, more than we accept. Save it at a smaller size "
                           "and upload it again."),
    (b"Dear diary, today I renamed a text file.", "me.jpg", "This file is not a PNG, JPEG, GIF or WebP image."),
    (b"\xff\xd8\xff\xe0 the start of a JPEG and nothing more", "me.jpg",
     "This image is damaged or incomplete and cannot be opened."),
])
def test_avatar_that_cannot_be_cleaned_is_refused_with_the_reason(klass, client_as, data, filename, message):
    """Are a decompression bomb, a text file renamed .jpg and a broken JPEG refused as avatars, each saying
    why, with nothing stored?"""
    student = klass.student
    response = _save_avatar(client_as(student), student, data, filename)
    assert response.status_code == 422
    assert message in page_text(response)
    db.session.refresh(student)
    assert student.avatar_key is None
