"""A refused check-in keeps the photos the member sent: the page comes back with them still attached."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from lms.checkins.models import Checkin, RequirementKind
from lms.extensions import db
from lms.storage import get_storage
from lms.uploads.models import Media
from tests.checkins.test_pages import _task
from tests.fixtures.app import page_text
from tests.fixtures.images import phone_jpeg


def _kept_ids(response) -> list[str]:
    return re.findall(r'name="kept_image" value="(\d+)" checked', response.get_data(as_text=True))


def test_a_refused_check_in_comes_back_with_its_photos_attached(klass, client_as):
    """A task asks for two photos; the member sends one: refused (422) with the reason, and the page
    lists that photo as still attached. Sent again with one more, is the check-in made with both (the
    kept one first), and is the kept upload used up rather than left behind?"""
    task = _task(klass, requirement=RequirementKind.photo, min_photos=2)
    client = client_as(klass.student)
    url = f"/c/{klass.circle.id}/checkins/{task.id}/checkin"
    refused = client.post(url, data={"photos": (io.BytesIO(phone_jpeg()), "IMG_0001.jpg")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "Add at least 2 photos" in page_text(refused)
    kept = _kept_ids(refused)
    assert len(kept) == 1 and "IMG_0001.jpg" in page_text(refused)
    media = db.session.get(Media, int(kept[0]))
    assert media.owner_id == klass.student.id and get_storage().exists(media.original_key)
    key = media.original_key

    again = client.post(url, data={"kept_image": kept, "photos": (io.BytesIO(phone_jpeg()), "IMG_0002.jpg")},
                        content_type="multipart/form-data")
    assert again.status_code == 302, page_text(again)
    entry = db.session.scalar(sa.select(Checkin).where(Checkin.task_id == task.id))
    assert [p.storage_key for p in entry.photos][0] == key and len(entry.photos) == 2
    assert db.session.get(Media, int(kept[0])) is None and get_storage().exists(key)
    photo = client.get(f"/c/{klass.circle.id}/checkins/{task.id}/entries/{entry.id}/photos/{entry.photos[0].id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_kept_photos_survive_a_second_refusal_and_only_ones_own_count(klass, client_as):
    """Refused twice (the second time with nothing new chosen), are the kept photos still attached; and
    is someone else's kept photo id, sent with the form, left out?"""
    task = _task(klass, requirement=RequirementKind.photo, min_photos=3)
    url = f"/c/{klass.circle.id}/checkins/{task.id}/checkin"
    other = client_as(klass.classmate).post(url, data={"photos": (io.BytesIO(phone_jpeg()), "theirs.jpg")},
                                            content_type="multipart/form-data")
    theirs = _kept_ids(other)
    assert len(theirs) == 1
    client = client_as(klass.student)
    first = client.post(url, data={"photos": [(io.BytesIO(phone_jpeg()), "a.jpg"), (io.BytesIO(phone_jpeg()), "b.jpg")]},
                        content_type="multipart/form-data")
    mine = _kept_ids(first)
    assert len(mine) == 2
    second = client.post(url, data={"kept_image": mine + theirs}, content_type="multipart/form-data")
    assert second.status_code == 422 and _kept_ids(second) == mine
    assert "theirs.jpg" not in page_text(second)
    assert db.session.get(Media, int(theirs[0])) is not None


def test_a_photo_that_is_not_an_image_is_not_kept(klass, client_as):
    """A refused try with a good photo and a text file named .jpg: only the photo is kept."""
    task = _task(klass, requirement=RequirementKind.photo, min_photos=3)
    response = client_as(klass.student).post(
        f"/c/{klass.circle.id}/checkins/{task.id}/checkin",
        data={"photos": [(io.BytesIO(phone_jpeg()), "ok.jpg"), (io.BytesIO(b"<html>"), "evil.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 422 and len(_kept_ids(response)) == 1
    assert "ok.jpg" in page_text(response)


def test_nothing_is_kept_past_the_members_storage_quota(klass, client_as, app, monkeypatch):
    """A member whose storage is full: the refusal keeps none of the photos (they count like any upload)."""
    monkeypatch.setitem(app.config, "USER_QUOTA_BYTES", 1)
    db.session.add(Media(owner_id=klass.student.id, kind="file", state="ready", filename="big.bin", bytes=10))
    db.session.commit()
    task = _task(klass, requirement=RequirementKind.photo, min_photos=2)
    response = client_as(klass.student).post(
        f"/c/{klass.circle.id}/checkins/{task.id}/checkin",
        data={"photos": (io.BytesIO(phone_jpeg()), "IMG_0001.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 422 and _kept_ids(response) == []
