"""The home page's "Latest posts": a small photo of a post that has images."""
from __future__ import annotations

import re

from tests.feed.posts.conftest import last_post, png, write_post


def test_a_post_with_images_shows_its_first_as_a_thumbnail(feed):
    """Does the home page show the first image of a post with photos (served by the post's image route, to
    a member), and no thumbnail for a text-only post?"""
    write_post(feed.clients["sam"], feed.circle.id, "Our trip", images=[png(), png((0, 0, 200))])
    photo_post = last_post()
    write_post(feed.clients["pia"], feed.circle.id, "Just words")
    page = feed.clients["pia"].get(f"/c/{feed.circle.id}").get_data(as_text=True)
    first = photo_post.images[0]
    thumbs = re.findall(r'class="home-post-thumb"[^>]*><img src="([^"]+)"', page)
    assert thumbs == [f"/circles/{feed.circle.id}/feed/{photo_post.id}/images/{first.id}"]
    response = feed.clients["pia"].get(thumbs[0])
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert feed.clients["stranger"].get(thumbs[0]).status_code == 404
