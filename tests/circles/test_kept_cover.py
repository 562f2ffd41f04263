"""A refused circle form (new or settings) and a refused profile keep the chosen image attached."""
from __future__ import annotations

import io
import re

from lms.circles.models import Circle
from lms.extensions import db
from lms.uploads.models import Media
from tests.accounts.helpers import png_bytes
from tests.fixtures.app import page_text

LABEL = "Image still attached from your last try"


def _kept(response) -> list[str]:
    return re.findall(r'name="kept_image" value="(\d+)" checked', response.get_data(as_text=True))


def test_a_refused_new_circle_keeps_its_cover(make, client_as):
    """The name is left empty: refused (422), the cover still attached; sent again with a name and the
    kept cover, does the circle have that cover?"""
    owner = make.user(name="Olga")
    client = client_as(owner)
    fields = {"kind": "teaching", "join_policy": "code"}
    refused = client.post("/circles/new", data={**fields, "name": "", "cover": (io.BytesIO(png_bytes()), "cover.png")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and LABEL in page_text(refused)
    kept = _kept(refused)
    assert len(kept) == 1 and "cover.png" in page_text(refused)
    made = client.post("/circles/new", data={**fields, "name": "Dance class", "kept_image": kept},
                       content_type="multipart/form-data")
    assert made.status_code == 302
    circle = db.session.scalar(db.select(Circle).where(Circle.name == "Dance class"))
    assert circle.cover_key and db.session.get(Media, int(kept[0])) is None
    assert client.get(f"/c/{circle.id}/cover").mimetype == "image/png"


def test_refused_circle_settings_keep_the_new_cover(make, client_as):
    owner = make.user(name="Olga")
    circle = make.circle(owner, "Choir")
    client = client_as(owner)
    fields = {"kind": "teaching", "join_policy": "code", "description": ""}
    refused = client.post(f"/c/{circle.id}/settings",
                          data={**fields, "name": "", "cover": (io.BytesIO(png_bytes()), "new-cover.png")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "new-cover.png" in page_text(refused)
    saved = client.post(f"/c/{circle.id}/settings", data={**fields, "name": "Choir", "kept_image": _kept(refused)},
                        content_type="multipart/form-data")
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Circle, circle.id).cover_key


def test_a_refused_profile_keeps_the_chosen_avatar(make, client_as):
    """The name is left empty: refused, the avatar still attached; saved with a name, is it the avatar?"""
    user = make.user(name="Pat")
    client = client_as(user)
    refused = client.post("/profile", data={"name": "", "avatar": (io.BytesIO(png_bytes()), "me.png")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "me.png" in page_text(refused)
    saved = client.post("/profile", data={"name": "Pat", "kept_image": _kept(refused)},
                        content_type="multipart/form-data")
    assert saved.status_code == 302
    db.session.expire_all()
    assert user.avatar_key
