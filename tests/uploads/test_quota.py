"""Per-person storage quota: refused before the first byte with usage and limit; who sees a circle's usage."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.uploads.models import Media, MediaKind
from lms.uploads.queries import circle_storage, quota_problem, storage_used
from tests.fixtures.app import page_text
from tests.fixtures.homework import later

MB = 1024**2


def _media(owner, size: int, circle=None, kind=MediaKind.video) -> Media:
    media = Media(owner_id=owner.id, circle_id=circle.id if circle else None, kind=kind, bytes=size, filename="x.mp4")
    db.session.add(media)
    db.session.commit()
    return media


@pytest.fixture
def quota(app, monkeypatch):
    """A 100 MB quota per person."""
    monkeypatch.setitem(app.config, "USER_QUOTA_BYTES", 100 * MB)


def test_storage_counts_every_item_the_person_owns(klass):
    """Are all of a person's items counted (any circle, none, files too), and nobody else's?"""
    _media(klass.student, 30 * MB, klass.circle)
    _media(klass.student, 20 * MB)
    _media(klass.student, 1 * MB, kind=MediaKind.file)
    _media(klass.classmate, 70 * MB, klass.circle)
    assert storage_used(klass.student) == 51 * MB


def test_an_upload_past_the_quota_is_refused_naming_usage_and_limit(klass, quota):
    """With 80 MB used of 100 MB, is a 30 MB upload refused with both figures, and a 20 MB one let through?"""
    _media(klass.student, 80 * MB)
    problem = quota_problem(klass.student, 30 * MB)
    assert problem is not None
    assert "30 MB" in problem and "80 MB" in problem and "100 MB" in problem
    assert quota_problem(klass.student, 20 * MB) is None


def test_the_quota_holds_for_uploads_for_an_assignment_too(klass, hw, client_as, quota):
    """Is the uploader's check before an assignment upload refused (413) when the file does not fit?"""
    assignment = hw.assignment(klass.circle, due_at=later(days=1))
    _media(klass.student, 90 * MB)
    client = client_as(klass.student)
    url = f"/circles/{klass.circle.id}/assignments/{assignment.id}/draft/may-upload"
    refused = client.get(f"{url}?size={20 * MB}")
    assert refused.status_code == 413
    assert "90 MB" in refused.get_json()["error"]["message"]
    assert client.get(f"{url}?size={5 * MB}").status_code == 200


def test_zero_means_no_quota(klass, app, monkeypatch):
    monkeypatch.setitem(app.config, "USER_QUOTA_BYTES", 0)
    _media(klass.student, 10 * 1024**3)
    assert quota_problem(klass.student, 10 * 1024**3) is None


def test_the_circles_usage_sums_its_uploads_and_each_persons(klass):
    """Does the circle's total count only its uploads, and each person's row both figures?"""
    _media(klass.student, 30 * MB, klass.circle)
    _media(klass.student, 20 * MB)
    _media(klass.classmate, 5 * MB, klass.circle)
    total, people = circle_storage(klass.circle.id, [klass.student.id, klass.classmate.id, klass.teacher.id])
    assert total == 35 * MB
    assert people == {klass.student.id: (30 * MB, 50 * MB), klass.classmate.id: (5 * MB, 5 * MB),
                      klass.teacher.id: (0, 0)}


@pytest.mark.parametrize("who, sees", [("owner", True), ("teacher", True), ("admin", True),
                                       ("assistant", False), ("student", False)])
def test_who_sees_the_circles_storage_on_the_roster(klass, client_as, quota, who, sees):
    """Do the owner and teachers see the circle's total and each person's usage, and does a student
    (or an assistant) see nobody's?"""
    _media(klass.student, 30 * MB, klass.circle)
    _media(klass.classmate, 5 * MB, klass.circle)
    response = client_as(getattr(klass, who)).get(f"/c/{klass.circle.id}/members")
    assert response.status_code == 200
    text = page_text(response)
    assert ("Uploads for this circle take 35 MB" in text) is sees
    assert ("30 MB here, 30 MB in all" in text) is sees
    assert ("data-storage" in response.get_data(as_text=True)) is sees


def test_a_stranger_gets_404_for_the_roster(klass, client_as):
    assert client_as(klass.stranger).get(f"/c/{klass.circle.id}/members").status_code == 404


def test_my_uploads_shows_my_usage_and_limit(klass, client_as, quota):
    _media(klass.student, 30 * MB, klass.circle)
    _media(klass.classmate, 5 * MB, klass.circle)
    assert "You use 30 MB of your 100 MB of storage." in page_text(client_as(klass.student).get("/media/"))


@pytest.mark.parametrize("how", ["tus", "json"])
def test_every_upload_past_the_quota_is_refused_at_creation(klass, client_as, quota, how):
    """Is an upload from "My uploads", a tus client or the app's own widget (not only one for an
    assignment) refused with 413 and the figures before any byte, leaving no media item behind?"""
    from tests.uploads.test_tus import create

    _media(klass.student, 90 * MB)
    client = client_as(klass.student)
    before = db.session.scalar(db.select(db.func.count()).select_from(Media))
    if how == "tus":
        refused = create(client, 20 * MB)
    else:
        refused = client.post("/uploads", json={"filename": "clip.mp4", "size": 20 * MB, "kind": "video"},
                              headers={"X-CSRFToken": client.csrf_token()})
    assert refused.status_code == 413
    assert "90 MB" in refused.get_json()["error"]["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Media)) == before
    assert create(client, 5 * MB).status_code == 201
