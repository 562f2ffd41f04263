"""Circle covers from a phone: members get the picture alone, upright, without GPS position or device."""
from __future__ import annotations

import io

from lms.extensions import db
from lms.storage import get_storage
from tests.fixtures.app import page_text
from tests.fixtures.images import assert_clean, assert_upright, bomb_png, phone_jpeg


def _settings(client, circle, **fields):
    data = {"name": circle.name, "kind": circle.kind.value, "description": circle.description,
            "join_policy": circle.join_policy.value}
    data.update(fields)
    return client.post(f"/c/{circle.id}/settings", data=data)


def test_phone_cover_reaches_members_without_gps_or_device(klass, client_as):
    """Does a member (and the owner) download a phone-photo cover with no EXIF, GPS, make or model, turned
    upright, and is only the cleaned file stored?"""
    circle = klass.circle
    response = _settings(client_as(klass.owner), circle, cover=(io.BytesIO(phone_jpeg()), "class-trip.jpg"))
    assert response.status_code == 302, page_text(response)
    db.session.refresh(circle)
    with get_storage().open(circle.cover_key) as stored:
        assert_clean(stored.read())
    for viewer in (klass.student, klass.owner):
        served = client_as(viewer).get(f"/c/{circle.id}/cover")
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert_upright(assert_clean(served.data))


def test_new_circle_cover_is_cleaned_too(klass, client_as):
    """Is the cover given when a circle is created cleaned the same way?"""
    client = client_as(klass.teacher)
    response = client.post("/circles/new", data={"name": "Trip", "kind": "teaching", "description": "",
                                                 "join_policy": "code",
                                                 "cover": (io.BytesIO(phone_jpeg()), "trip.jpg")})
    assert response.status_code == 302
    circle_path = response.headers["Location"].rstrip("/")
    served = client.get(f"{circle_path}/cover")
    assert served.status_code == 200
    assert_upright(assert_clean(served.data))


def test_bomb_and_renamed_text_are_refused_as_covers(klass, client_as):
    """Are a decompression bomb and a text file renamed .jpg refused as covers, saying why, nothing kept?"""
    circle, owner = klass.circle, client_as(klass.owner)
    bomb = _settings(owner, circle, cover=(io.BytesIO(bomb_png()), "cover.png"))
    assert bomb.status_code == 422
    assert "The image has more than 52 megapixels" in page_text(bomb)
    text = _settings(owner, circle, cover=(io.BytesIO(b"not a picture at all"), "cover.jpg"))
    assert text.status_code == 422
    assert "This file is not a PNG, JPEG, GIF or WebP image." in page_text(text)
    db.session.refresh(circle)
    assert circle.cover_key is None
