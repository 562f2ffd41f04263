"""A post's video through the media pipeline: only the poster's own upload attaches, members fetch it, a
stranger or a member who lost sight of the post gets 404, and uploads for the feed follow who may post."""
from __future__ import annotations

import io
import re

import pytest

from lms.extensions import db
from lms.storage import get_storage, new_key
from lms.uploads import access
from lms.uploads.access import Rendition, Subject
from lms.uploads.models import Media, MediaKind, MediaState
from tests.feed.posts.conftest import last_post, write_post


def _ready_video(owner, circle) -> Media:
    key = new_key("media")
    get_storage().put(key, io.BytesIO(b"\x00\x00\x00\x18ftypmp42 not really a video"))
    media = Media(owner_id=owner.id, circle_id=circle.id, kind=MediaKind.video, state=MediaState.ready,
                  filename="<b>clip</b>.mp4", mp4_key=key, duration=3.0, width=64, height=64)
    db.session.add(media)
    db.session.commit()
    return media


def _video_url(html: str) -> str:
    return re.search(r'data-mp4="([^"]+)"', html).group(1).replace("&amp;", "&")


def test_members_watch_a_posts_video_and_strangers_get_404(feed):
    """Does a classmate get the post's video from the URL on the page, a stranger 404 (even with a URL
    signed for them), and the classmate 404 once the post is hidden?"""
    media = _ready_video(feed.sam, feed.circle)
    assert write_post(feed.clients["sam"], feed.circle.id, "Watch this", media_id=str(media.id)).status_code == 302
    post = last_post()
    assert post.media_id == media.id
    url = _video_url(feed.clients["pia"].get(f"{feed.url}/{post.id}").get_data(as_text=True))
    assert feed.clients["pia"].get(url, buffered=True).status_code == 200
    assert feed.clients["stranger"].get(url).status_code == 404
    token = access.sign(feed.stranger.id, media, Rendition.mp4, Subject("feed_post", post.id))
    assert feed.clients["stranger"].get(f"/media/{token}/video.mp4").status_code == 404
    feed.clients["teacher"].post(f"{feed.url}/{post.id}/hide", data={"reason": "Wrong circle"})
    assert feed.clients["pia"].get(url).status_code == 404


def test_someone_elses_upload_cannot_be_attached(feed):
    """Can a member attach another member's upload to their post? No: refused, nothing posted."""
    media = _ready_video(feed.sam, feed.circle)
    response = write_post(feed.clients["pia"], feed.circle.id, "Stolen", media_id=str(media.id))
    assert response.status_code == 422
    assert last_post() is None


@pytest.mark.parametrize("who, staff_only, allowed", [
    ("sam", False, True), ("sam", True, False), ("teacher", True, True), ("stranger", False, False)])
def test_uploads_for_the_feed_follow_who_may_post(feed, who, staff_only, allowed):
    """May an upload be started for the feed by a member (not when only staff post), staff, a stranger?"""
    if staff_only:
        feed.clients["owner"].post(f"{feed.url}/settings", data={"who_may_post": "staff"})
    user = getattr(feed, who)
    if allowed:
        assert access.upload_circle(user, "feed", feed.circle.id) == feed.circle.id
    else:
        with pytest.raises(LookupError):
            access.upload_circle(user, "feed", feed.circle.id)


def test_a_video_the_server_found_unusable_is_refused_and_the_text_kept(feed):
    """A video whose processing failed ("not a video"): is the post refused at the field, nothing posted,
    the text still in the box?"""
    media = _ready_video(feed.sam, feed.circle)
    media.state = MediaState.failed
    db.session.commit()
    response = write_post(feed.clients["sam"], feed.circle.id, "Our holiday trip", media_id=str(media.id))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That video cannot be used" in page and "Our holiday trip" in page
    assert last_post() is None


def test_a_post_refused_for_another_reason_keeps_its_video_in_the_form(feed, monkeypatch):
    """Refused by the server for something else (here: an entry without a picture), does the form come
    back with the chosen video still in it (its hidden input), ready to send again?"""
    from lms.feed.posts import operations as ops

    media = _ready_video(feed.sam, feed.circle)

    def refuse(*_args, **_kwargs):
        raise ops.FeedError("Refused for the test.", "body_md")

    monkeypatch.setattr(ops, "create_post", refuse)
    response = write_post(feed.clients["sam"], feed.circle.id, "Our holiday trip", media_id=str(media.id))
    page = response.get_data(as_text=True)
    assert response.status_code >= 400 and "Our holiday trip" in page
    assert f'<input type="hidden" name="media_id" value="{media.id}">' in page


def test_an_edit_refused_keeps_the_new_video_in_the_form(feed, monkeypatch):
    """Editing a post, the server refuses the change: does the form come back with the new video in it?"""
    from lms.feed.posts import operations as ops

    assert write_post(feed.clients["sam"], feed.circle.id, "Trip").status_code == 302
    post = last_post()
    media = _ready_video(feed.sam, feed.circle)

    def refuse(*_args, **_kwargs):
        raise ops.FeedError("Refused for the test.", "body_md")

    monkeypatch.setattr(ops, "update_post", refuse)
    response = feed.clients["sam"].post(f"{feed.url}/{post.id}/edit", data={"body_md": "Trip, edited",
                                                                           "media_id": str(media.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Trip, edited" in page
    assert f'<input type="hidden" name="media_id" value="{media.id}">' in page
