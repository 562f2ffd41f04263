"""A refused post (new or edited) comes back with the images the writer chose still attached."""
from __future__ import annotations

import io
import re

from lms.extensions import db
from lms.feed.posts.operations import MAX_BODY
from lms.uploads.models import Media
from tests.feed.posts.conftest import last_post, png, write_post
from tests.fixtures.app import page_text


def _kept_ids(response) -> list[str]:
    return re.findall(r'name="kept_image" value="(\d+)" checked', response.get_data(as_text=True))


def test_a_refused_post_keeps_its_images(feed):
    """Sam's post is too long: refused (422) with the reason, and both images are still attached. With the
    text shortened and sent again, is the post made with them (kept ones first), the kept uploads gone?"""
    client = feed.clients["sam"]
    refused = write_post(client, feed.circle.id, "x" * (MAX_BODY + 1), images=[png(), png((0, 0, 200))])
    assert refused.status_code == 422
    kept = _kept_ids(refused)
    assert len(kept) == 2 and "photo0.png" in page_text(refused) and "photo1.png" in page_text(refused)
    again = client.post(f"/circles/{feed.circle.id}/feed", data={"body_md": "Sunset", "kept_image": kept},
                        content_type="multipart/form-data")
    assert again.status_code == 302
    post = last_post()
    assert post.body_md == "Sunset" and len(post.images) == 2
    assert all(db.session.get(Media, int(i)) is None for i in kept)
    image = client.get(f"{feed.url}/{post.id}/images/{post.images[1].id}")
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_someone_elses_kept_image_is_not_taken(feed):
    """Pia sends Sam's kept image id with her post: is it left out (and still Sam's)?"""
    refused = write_post(feed.clients["sam"], feed.circle.id, "x" * (MAX_BODY + 1), images=[png()])
    [sams] = _kept_ids(refused)
    response = feed.clients["pia"].post(f"/circles/{feed.circle.id}/feed",
                                        data={"body_md": "mine", "kept_image": [sams]},
                                        content_type="multipart/form-data")
    assert response.status_code == 302 and last_post().images == []
    assert db.session.get(Media, int(sams)) is not None


def test_a_refused_edit_keeps_the_new_images(feed):
    """Sam edits a post, adds an image and makes the text too long: refused, the new image still attached;
    saved with a shorter text, does the post have it?"""
    client = feed.clients["sam"]
    write_post(client, feed.circle.id, "First")
    post = last_post()
    url = f"{feed.url}/{post.id}/edit"
    refused = client.post(url, data={"body_md": "x" * (MAX_BODY + 1), "images": [(io.BytesIO(png()), "new.png")]},
                          content_type="multipart/form-data")
    assert refused.status_code == 422
    kept = _kept_ids(refused)
    assert len(kept) == 1 and "new.png" in page_text(refused)
    saved = client.post(url, data={"body_md": "Second", "kept_image": kept}, content_type="multipart/form-data")
    assert saved.status_code == 302
    db.session.expire_all()
    assert len(last_post().images) == 1 and last_post().body_md == "Second"
