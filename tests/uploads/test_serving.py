"""Media files by signed URL: only for whom the URL was issued, with range requests, our content types."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.uploads.models import Media
from lms.uploads.queries import media_urls
from tests.fixtures.factories import sign_in
from tests.uploads.helpers import upload_bytes, upload_file


@pytest.fixture
def ready_video(make, login, clips):
    owner = make.user()
    client = login(owner)
    body = upload_file(client, clips.valid)
    return client, owner, db.session.get(Media, body["media_id"])


def test_owner_streams_the_video_with_range_requests(ready_video):
    """Can the page's player seek (HTTP range requests) in the MP4 its signed URL names?"""
    client, owner, media = ready_video
    urls = client.get(f"/media/{media.id}/state").get_json()["urls"]
    whole = client.get(urls["mp4"], buffered=True)
    assert whole.status_code == 200 and whole.mimetype == "video/mp4"
    part = client.get(urls["mp4"], headers={"Range": "bytes=100-199"}, buffered=True)
    assert part.status_code == 206 and part.data == whole.data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.data)}"
    poster = client.get(urls["poster"], buffered=True)
    assert poster.mimetype == "image/jpeg" and poster.data[:3] == b"\xff\xd8\xff"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"


def test_a_url_is_useless_to_anyone_else(app, make, ready_video):
    """Does another signed-in user, given the owner's URL, get 404?"""
    client, owner, media = ready_video
    url = client.get(f"/media/{media.id}/state").get_json()["urls"]["mp4"]
    other = app.test_client()
    sign_in(other, make.user())
    assert other.get(url).status_code == 404
    assert app.test_client().get(url).status_code in (302, 401)  # signed out: to the sign-in page


def test_tampered_and_expired_urls_are_refused(app, ready_video, monkeypatch):
    client, owner, media = ready_video
    url = client.get(f"/media/{media.id}/state").get_json()["urls"]["mp4"]
    token = url.split("/")[2]
    assert client.get(url.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))).status_code == 404
    monkeypatch.setitem(app.config, "MEDIA_URL_MAX_AGE", -1)
    assert client.get(url).status_code == 404


def test_only_known_names_are_served(ready_video):
    client, owner, media = ready_video
    url = client.get(f"/media/{media.id}/state").get_json()["urls"]["mp4"]
    for name in ("original", "../../secret_key", "hls/../video.mp4", "poster.jpg/../video.mp4"):
        assert client.get(url.replace("video.mp4", name)).status_code == 404


def test_attachment_download_keeps_its_name_but_not_its_type(make, login):
    """Is a file downloaded under its (escaped) name, as an opaque download, whatever type it claimed?"""
    owner = make.user()
    client = login(owner)
    body = upload_bytes(client, b"<html><script>alert(1)</script>", kind="file", filename='plan "v2" 计划.html')
    media = db.session.get(Media, body["media_id"])
    urls = client.get(f"/media/{media.id}/state").get_json()["urls"]
    response = client.get(urls["download"], buffered=True)
    assert response.mimetype == "application/octet-stream"
    disposition = response.headers["Content-Disposition"]
    # named by the rule of every download and ZIP entry (lms.storage.names): the quotes, forbidden on Windows, are "_"
    assert disposition.startswith("attachment;") and "filename*=UTF-8''plan%20_v2_%20%E8%AE%A1%E5%88%92.html" in disposition
    assert response.data == b"<html><script>alert(1)</script>"


def test_hls_playlist_and_segments_for_long_videos(app, make, login, clips, monkeypatch):
    """Does a video over MEDIA_HLS_MIN_SECONDS also get an HLS rendition whose segments load through
    the same signed URL?"""
    monkeypatch.setitem(app.config, "MEDIA_HLS_MIN_SECONDS", 1)
    owner = make.user()
    client = login(owner)
    media = db.session.get(Media, upload_file(client, clips.valid)["media_id"])
    assert media.hls_prefix
    urls = client.get(f"/media/{media.id}/state").get_json()["urls"]
    playlist = client.get(urls["hls"], buffered=True)
    assert playlist.mimetype == "application/vnd.apple.mpegurl"
    segments = [line for line in playlist.get_data(as_text=True).splitlines() if line and not line.startswith("#")]
    assert segments
    base = urls["hls"].rsplit("/", 1)[0]
    segment = client.get(f"{base}/{segments[0]}", buffered=True)
    assert segment.status_code == 200 and segment.mimetype == "video/mp2t" and segment.data[0] == 0x47


@pytest.fixture
def shown_to(app, monkeypatch):
    """A subject kind "lesson" whose checker lets through the viewers in the returned set (as a
    domain's checker would, from its own rules)."""
    from lms.uploads.access import _checkers

    allowed: set[int] = set()
    monkeypatch.setitem(_checkers(app), "lesson", lambda viewer, subject_id, media, rendition: viewer.id in allowed)
    return allowed


def test_media_urls_for_a_viewer_are_signed_for_that_viewer(app, make, ready_video, shown_to):
    """A teacher's page gets URLs of a student's video signed for the teacher and what the page showed
    it for; they work for the teacher while the subject's checker says so, and for nobody else."""
    client, owner, media = ready_video
    teacher = make.user()
    teacher_client = app.test_client()
    sign_in(teacher_client, teacher)
    shown_to.add(teacher.id)
    with app.test_request_context():
        urls = media_urls(media, ("lesson", 1), teacher)
    assert teacher_client.get(urls["mp4"], buffered=True).status_code == 200
    assert client.get(urls["mp4"], buffered=True).status_code == 404
    shown_to.clear()
    assert teacher_client.get(urls["mp4"], buffered=True).status_code == 404


def test_a_viewer_who_is_not_the_owner_follows_the_state_by_signed_url(app, make, login, clips, shown_to):
    """Can a teacher whose page shows a student's video still being processed poll its state (they
    get no pushes), while the owner's own state URL stays closed to them?"""
    from lms.core.types import utcnow
    from lms.uploads.models import MediaState
    from lms.uploads.queries import media_state_url

    student = make.user()
    media = Media(owner_id=student.id, state=MediaState.processing, progress=40, filename="a.mp4",
                  original_key="media/viewer-state/original", received_at=utcnow())
    db.session.add(media)
    db.session.commit()
    teacher, stranger = make.user(), make.user()
    shown_to.add(teacher.id)
    teacher_client, stranger_client = app.test_client(), app.test_client()
    sign_in(teacher_client, teacher)
    sign_in(stranger_client, stranger)
    with app.test_request_context():
        url = media_state_url(media, ("lesson", 1), teacher)
    state = teacher_client.get(url).get_json()
    assert (state["state"], state["progress"], state["urls"]) == ("processing", 40, {})
    assert stranger_client.get(url).status_code == 404
    assert teacher_client.get(f"/media/{media.id}/state").status_code == 404
